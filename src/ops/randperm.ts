/**
 * torch.randperm: a random permutation of 0..n-1, drawn as PyTorch 1.13's CPU kernel does
 * (randperm_cpu: a Fisher-Yates pass swapping r[i] with r[i + random() % (n - i)]), so seeded
 * permutations, and the shuffles DataLoader and randomSplit make from them, match PyTorch's.
 */
import type { CPUGeneratorImpl } from "../random.js";
import { defaultGenerator } from "../generator.js";
import { runtimeError } from "../errors.js";

/** The permutation as a plain array (what `randperm(n).tolist()` gives). */
export function randpermArray(n: number, generator: CPUGeneratorImpl = defaultGenerator): number[] {
  if (!Number.isInteger(n) || n < 0) {
    throw runtimeError(`n must be non-negative, got${n}`);
  }
  const r = new Array<number>(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = generator.random() % (n - i);
    const s = r[i];
    r[i] = r[z + i];
    r[z + i] = s;
  }
  return r;
}

/**
 * `torch.empty((), dtype=torch.int64).random_(generator=g).item()`: random64() mod 2^63, the
 * seed DataLoader and RandomSampler draw (as a bigint; exact).
 */
export function randomInt64(generator: CPUGeneratorImpl = defaultGenerator): bigint {
  return generator.random64() % (1n << 63n);
}
