/**
 * The README's TypeScript examples: every ```ts block that imports "tensorgrad" (compiled by
 * test/readme-types.test.ts against dist/*.d.ts and by test/consumer.test.ts in projects that
 * installed the packed tarball).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function readmeTsBlocks(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((b) => b.includes('from "tensorgrad"'));
}
