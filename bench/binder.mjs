// Binder micro-benchmark: ns per call of the op call forms that bind an int list, varargs or a
// trailing options object (Note [binder fast path] in src/registry/binder.ts), and a few
// positional calls for reference. Same timing method as bench/overhead.mjs: the median of
// REPEATS timed runs of ITERS calls after a warm-up run. The op's own work is included, so the
// figures compare call forms of the same op, not ops with each other.
//   npm run build && node bench/binder.mjs [--save FILE] [--baseline FILE] [--ab DIR]
// --save writes the medians as JSON; --baseline adds a column from such a file (before/after);
// --ab DIR times another build too (another checkout's dist/), its runs interleaved with this
// one's so that both see the same load on a shared machine.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { URL, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : null);
const load = (dir) => import(pathToFileURL(resolve(dir, "index.js")).href);
const torch = await import(new URL("../dist/index.js", import.meta.url).href);
const abDir = opt("--ab");
const other = abDir ? await load(abDir) : null;

const REPEATS = 15;
const ITERS = 20000;

/** ns per call of one timed run of ITERS calls */
function run(fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERS; i++) fn();
  return Number(process.hrtime.bigint() - t0) / ITERS;
}

/** median of REPEATS timed runs of each of `fns`, interleaved, after a warm-up run of each */
function time(...fns) {
  for (const fn of fns) run(fn);
  const runs = fns.map(() => []);
  for (let r = 0; r < REPEATS; r++) fns.forEach((fn, k) => runs[k].push(run(fn)));
  return runs.map((rs) => rs.sort((a, b) => a - b)[(REPEATS - 1) >> 1]);
}

/** the call forms, on one build's tensors */
function makeForms(torch) {
  const x = torch.arange(6, { dtype: torch.float32 }).reshape(2, 3);
  const row = torch.tensor([[1, 2, 3]]);
  const c = torch.tensor([
    [true, false, true],
    [false, true, false],
  ]);
  const y = torch.zeros(2, 3);
  const int64 = torch.int64;

  return {
    // positional calls the fast path took already (reference)
    "x.add(1)": () => x.add(1),
    "x.sum()": () => x.sum(),
    "x.transpose(0, 1)": () => x.transpose(0, 1),
    // varargs ints
    "x.view(3, 2)": () => x.view(3, 2),
    "x.view(-1)": () => x.view(-1),
    "x.reshape(3, 2)": () => x.reshape(3, 2),
    "row.expand(4, -1)": () => row.expand(4, -1),
    "x.permute(1, 0)": () => x.permute(1, 0),
    "torch.zeros(2, 3)": () => torch.zeros(2, 3),
    // a single int list
    "x.view([3, 2])": () => x.view([3, 2]),
    "x.reshape([3, 2])": () => x.reshape([3, 2]),
    "x.permute([1, 0])": () => x.permute([1, 0]),
    "torch.zeros([2, 3])": () => torch.zeros([2, 3]),
    "x.sum([0, 1])": () => x.sum([0, 1]),
    // int[1] from one int
    "x.sum(0)": () => x.sum(0),
    "x.mean(1)": () => x.mean(1),
    // trailing options object
    "x.sum(0, { keepdim: true })": () => x.sum(0, { keepdim: true }),
    "x.sum({ dtype: int64 })": () => x.sum({ dtype: int64 }),
    "torch.zeros(2, 3, { dtype: int64 })": () => torch.zeros(2, 3, { dtype: int64 }),
    "torch.full([2, 3], 1.5, { dtype: int64 })": () => torch.full([2, 3], 1.5, { dtype: int64 }),
    "torch.arange(6, { dtype: int64 })": () => torch.arange(6, { dtype: int64 }),
    // a tensor list
    "torch.cat([x, y], 1)": () => torch.cat([x, y], 1),
    // function form with overloads of other arities
    "torch.where(c, x, y)": () => torch.where(c, x, y),
  };
}

const baselineFile = opt("--baseline");
const baseline = baselineFile ? JSON.parse(readFileSync(baselineFile, "utf8")).ns : null;

const forms = makeForms(torch);
const otherForms = other ? makeForms(other) : null;
const ns = {};
const otherNs = {};
for (const [name, fn] of Object.entries(forms)) {
  if (otherForms) [otherNs[name], ns[name]] = time(otherForms[name], fn);
  else [ns[name]] = time(fn);
}
const rows = Object.keys(forms).map((name) => {
  const r = { form: name, "ns/call": ns[name].toFixed(0) };
  if (otherForms) {
    r[`${abDir} ns/call`] = otherNs[name].toFixed(0);
    r[`${abDir} / this`] = (otherNs[name] / ns[name]).toFixed(2) + "x";
  }
  if (baseline) {
    const b = baseline[name];
    r["before ns/call"] = b === undefined ? "n/a" : b.toFixed(0);
    r["before / now"] = b === undefined ? "n/a" : (b / ns[name]).toFixed(2) + "x";
  }
  return r;
});
console.table(rows);
const save = opt("--save");
if (save)
  writeFileSync(save, JSON.stringify({ date: new Date().toISOString(), ns }, null, 2) + "\n");
