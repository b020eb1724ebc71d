/**
 * Debian's Chromium for the page tests (browser, webgpu-browser, site): where it is, why a test
 * skips without it, and a headless launch through puppeteer-core.
 */
import { existsSync } from "node:fs";
import type { Browser } from "puppeteer-core";

/** CHROMIUM_PATH, else Debian's /usr/bin/chromium (`.ci/run` installs it when missing). */
export const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why the page tests skip (no Chromium), or false. */
export const chromiumSkip: string | false = existsSync(chromium)
  ? false
  : `no Chromium at ${chromium} (set CHROMIUM_PATH; .ci/run installs Debian's chromium)`;

/** A headless Chromium with `args` (e.g. `--disable-gpu`, or `--enable-unsafe-webgpu`). */
export async function launchChromium(args: readonly string[]): Promise<Browser> {
  const { launch } = await import("puppeteer-core");
  return launch({ executablePath: chromium, headless: true, args: ["--no-sandbox", ...args] });
}
