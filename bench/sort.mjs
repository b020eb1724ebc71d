// sort / topk of 1e6 float32 (best of 7 runs, ms): `node --import tsx bench/sort.mjs`;
// compare with PyTorch's at 1 and 2 threads (scripts print them with --torch).
import * as torch from "../src/index.ts";

const n = 1_000_000;
const x = torch.rand(n);
const cases = {
  sort: () => torch.sort(x),
  "sort stable": () => torch.sort(x, { stable: true }),
  "sort descending": () => torch.sort(x, { descending: true }),
  argsort: () => torch.argsort(x),
  "topk 10": () => torch.topk(x, 10),
  "topk 1000": () => torch.topk(x, 1000),
  "topk 100000": () => torch.topk(x, 100000),
};
for (const [name, f] of Object.entries(cases)) {
  f();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  console.log(`${name}: ${best.toFixed(2)} ms`);
}
