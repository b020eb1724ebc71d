/**
 * torch.autograd.profiler / torch.profiler (src/profiler.ts): the summaries and the table
 * against PyTorch's profiler_util over the same events (test/fixtures/profiler.json), the
 * schedule's actions and the windows a scheduled profile hands over; recorded events of real
 * op calls (names, nesting, counts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.js";
import { EventList, FunctionEvent, type TableOptions } from "../src/profiler.js";
import { readFixture } from "./helpers/fixtures.js";

interface Fixture {
  tables: {
    name: string;
    events: { name: string; start: number; end: number; shapes: number[][] | null }[];
    calls: {
      what: "events" | "averages" | "averages_by_shape";
      options: TableOptions;
      text: string;
    }[];
  }[];
  schedules: { options: torch.ScheduleOptions; actions: string[] }[];
  windows: { options: torch.ScheduleOptions; steps: number; ready: [number, number, number][] }[];
}
const fx = readFixture<Fixture>("profiler.json");

/** The events nested by time, as PyTorch's EventList._build_tree nests them. */
function eventsOf(spec: Fixture["tables"][number]["events"]): EventList<FunctionEvent> {
  const evts = spec.map((e, i) => new FunctionEvent(i, e.name, e.start, e.end, e.shapes));
  const stack: FunctionEvent[] = [];
  for (const e of evts) {
    while (stack.length > 0 && stack[stack.length - 1].endUs <= e.startUs) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent !== undefined && e.endUs <= parent.endUs) {
      e.cpuParent = parent;
      parent.appendCpuChild(e);
    }
    stack.push(e);
  }
  return EventList.from(evts) as EventList<FunctionEvent>;
}

for (const t of fx.tables) {
  t.calls.forEach((c, i) => {
    test(`table: ${t.name} #${i}: ${c.what} ${JSON.stringify(c.options)}`, () => {
      const el = eventsOf(t.events);
      const src = c.what === "events" ? el : el.keyAverages(c.what === "averages_by_shape");
      assert.equal(src.table(c.options), c.text);
    });
  });
}

test("table: an unknown sort key is refused", () => {
  const el = eventsOf(fx.tables[0].events);
  assert.throws(
    () => el.keyAverages().table({ sortBy: "flops_total" }),
    /no attribute 'flops_total'/,
  );
});

for (const s of fx.schedules) {
  test(`schedule ${JSON.stringify(s.options)}: PyTorch's actions for steps 0..23`, () => {
    const f = torch.profiler.schedule(s.options);
    assert.deepEqual(
      s.actions.map((_, i) => f(i)),
      s.actions,
    );
  });
}

for (const w of fx.windows) {
  test(`scheduled profile ${JSON.stringify(w.options)}: the windows handed to onTraceReady`, () => {
    const ready: [number, number, number][] = [];
    const prof = torch.profiler.profile({
      activities: [torch.profiler.ProfilerActivity.CPU],
      schedule: torch.profiler.schedule(w.options),
      onTraceReady: (p) => {
        const names = p.events().map((e) => e.name);
        ready.push([
          p.stepNum,
          names.filter((n) => n === "ProfilerStep*").length,
          names.filter((n) => n === "aten::exp").length,
        ]);
      },
    });
    for (let i = 0; i < w.steps; i++) {
      torch.ones(2).exp();
      prof.step();
    }
    prof.exit();
    assert.deepEqual(ready, w.ready);
  });
}

test("profile: op calls become aten:: events nested in recordFunction ranges", () => {
  const x = torch.randn(8, 8);
  const prof = torch.autograd.profiler.profile(
    () => {
      torch.autograd.profiler.recordFunction("block", () => x.matmul(x).exp().exp());
      x.relu();
    },
    { recordShapes: true },
  );
  const events = prof.events();
  const block = events.find((e) => e.name === "block");
  assert.ok(block !== undefined);
  assert.deepEqual(
    block.cpuChildren.map((e) => e.name),
    ["aten::matmul", "aten::exp", "aten::exp"],
  );
  assert.deepEqual(block.cpuChildren[0].inputShapes, [
    [8, 8],
    [8, 8],
  ]);
  const relu = events.find((e) => e.name === "aten::relu");
  assert.equal(relu?.cpuParent, null);
  for (const e of events)
    assert.ok(e.selfCpuTimeTotal <= e.cpuTimeTotal && e.selfCpuTimeTotal >= 0);
  const avg = prof.keyAverages();
  assert.equal(avg.find((e) => e.key === "aten::exp")?.count, 2);
  assert.ok(avg.table({ sortBy: "self_cpu_time_total" }).includes("Self CPU time total: "));
  // after the profile, op calls record nothing
  const n = prof.events().length;
  x.exp();
  assert.equal(prof.events().length, n);
});

test("profile: the guard form, in-place names, backward's ops, and one profile at a time", () => {
  const w = torch.randn(3, { requiresGrad: true });
  const prof = torch.autograd.profiler.profile();
  assert.throws(() => torch.autograd.profiler.profile(), /Profiler is already enabled/);
  const y = w.mul(2);
  y.sum().backward();
  torch.zeros(2).add_(1);
  prof.exit();
  const names = prof.events().map((e) => e.name);
  assert.ok(names.includes("aten::add_"));
  // MulBackward0's formula multiplies the gradient: its aten::mul runs inside backward
  assert.ok(names.filter((n) => n === "aten::mul").length >= 2);
  assert.equal(torch.autograd.profiler.profile({ enabled: false }).events().length, 0);
  assert.throws(() => torch.autograd.profiler.profile({ useCuda: true }), /no CUDA/);
  const trace = JSON.parse(prof.exportChromeTrace()) as {
    traceEvents: { name: string; ph: string }[];
  };
  assert.equal(trace.traceEvents.length, names.length);
  assert.ok(trace.traceEvents.every((e) => e.ph === "X"));
});
