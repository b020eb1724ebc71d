/**
 * The fixtures' encoding of non-finite floats (scripts/fixtures/common.py): JSON has no NaN or
 * infinities, so they are the strings "nan", "inf" and "-inf". No Node built-ins: the browser
 * tests bundle this module.
 */
export type NonFinite = "nan" | "inf" | "-inf";

/** A recorded number: "nan", "inf" and "-inf" as NaN and ±Infinity. */
export function decodeNumber(v: number | NonFinite): number {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}
