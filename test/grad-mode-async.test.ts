// Grad modes across `await` (Note [async grad mode] in src/autograd/grad-mode.ts): an async
// callback keeps its mode for its own task through awaits, and concurrent tasks do not see it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import * as torch from "../src/index.js";

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test("noGrad(async fn) keeps the mode through awaits", async () => {
  const x = torch.ones(2, { requiresGrad: true });
  const seen: boolean[] = [];
  const y = await torch.noGrad(async () => {
    seen.push(torch.isGradEnabled());
    await tick();
    seen.push(torch.isGradEnabled());
    await sleep(1);
    seen.push(torch.isGradEnabled());
    return x.mul(2);
  });
  assert.deepEqual(seen, [false, false, false]);
  assert.equal(y.requiresGrad, false);
  assert.equal(torch.isGradEnabled(), true);
  assert.equal(x.mul(2).requiresGrad, true);
});

test("two concurrent tasks, one under noGrad, do not leak into each other", async () => {
  const x = torch.ones(2, { requiresGrad: true });
  const log: string[] = [];
  const a = torch.noGrad(async () => {
    for (let i = 0; i < 5; i++) {
      log.push(`a${i}:${torch.isGradEnabled()}:${x.mul(2).requiresGrad}`);
      await tick();
    }
  });
  const b = (async () => {
    for (let i = 0; i < 5; i++) {
      log.push(`b${i}:${torch.isGradEnabled()}:${x.mul(2).requiresGrad}`);
      await tick();
    }
  })();
  await Promise.all([a, b]);
  // the tasks did interleave
  assert.deepEqual(log.slice(0, 4), [
    "a0:false:false",
    "b0:true:true",
    "a1:false:false",
    "b1:true:true",
  ]);
  for (const entry of log) {
    const expected = entry.startsWith("a") ? "false:false" : "true:true";
    assert.ok(entry.endsWith(expected), entry);
  }
});

test("concurrent noGrad and enableGrad scopes inside a global noGrad", async () => {
  const prev = torch.setGradEnabled(false);
  try {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? torch.enableGrad : torch.noGrad)(async () => {
          const seen: boolean[] = [];
          for (let k = 0; k < 4; k++) {
            await sleep(((i * 7 + k * 3) % 5) + 1);
            seen.push(torch.isGradEnabled());
          }
          return seen;
        }),
      ),
    );
    results.forEach((seen, i) => assert.deepEqual(seen, new Array(4).fill(i % 2 === 0), `${i}`));
    assert.equal(torch.isGradEnabled(), false);
  } finally {
    prev.exit();
  }
  assert.equal(torch.isGradEnabled(), true);
});

test("nested async scopes restore the outer scope's mode", async () => {
  const seen: boolean[] = [];
  await torch.noGrad(async () => {
    await tick();
    const inner = await torch.enableGrad(async () => {
      await tick();
      return torch.isGradEnabled();
    });
    seen.push(inner, torch.isGradEnabled());
    await tick();
    seen.push(torch.isGradEnabled());
  });
  assert.deepEqual(seen, [true, false, false]);
  assert.equal(torch.isGradEnabled(), true);
});

test("sync forms inside an async scope change that scope only", async () => {
  const other = (async () => {
    const s: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      s.push(torch.isGradEnabled());
      await tick();
    }
    return s;
  })();
  const seen = await torch.enableGrad(async () => {
    const s: boolean[] = [];
    s.push(torch.noGrad(() => torch.isGradEnabled()));
    s.push(torch.isGradEnabled());
    const g = torch.setGradEnabled(false);
    await tick();
    s.push(torch.isGradEnabled());
    g.exit();
    s.push(torch.isGradEnabled());
    {
      using _ = torch.noGrad();
      await tick();
      s.push(torch.isGradEnabled());
    }
    s.push(torch.isGradEnabled());
    return s;
  });
  assert.deepEqual(seen, [false, true, false, true, false, true]);
  assert.deepEqual(await other, [true, true, true, true]);
});

test("inferenceMode(async fn) holds for its task only", async () => {
  const [inside, outside] = await Promise.all([
    torch.inferenceMode(async () => {
      await tick();
      return [torch.isInferenceModeEnabled(), torch.isGradEnabled()];
    }),
    (async () => {
      await tick();
      return [torch.isInferenceModeEnabled(), torch.isGradEnabled()];
    })(),
  ]);
  assert.deepEqual(inside, [true, false]);
  assert.deepEqual(outside, [false, true]);
  // noGrad inside inference mode keeps inference mode on
  const inf = await torch.inferenceMode(async () =>
    torch.noGrad(async () => {
      await tick();
      return torch.isInferenceModeEnabled();
    }),
  );
  assert.equal(inf, true);
  assert.equal(torch.isInferenceModeEnabled(), false);
});

test("backward with createGraph inside an async noGrad scope", async () => {
  const x = torch.tensor([1, 2], { dtype: torch.float64, requiresGrad: true });
  const y = x.pow(3).sum();
  const [g, after] = await torch.noGrad(async () => {
    await tick();
    const [d] = torch.autograd.grad(y, [x], { createGraph: true });
    return [d, torch.isGradEnabled()] as const;
  });
  assert.equal(after, false, "the engine restored the scope's mode");
  assert.equal(g?.requiresGrad, true, "createGraph records even under noGrad");
  assert.deepEqual(g?.tolist(), [3, 12]);
  assert.equal(torch.isGradEnabled(), true);
});

test("a rejected async scope restores the mode and propagates the error", async () => {
  await assert.rejects(
    torch.noGrad(async () => {
      await tick();
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(torch.isGradEnabled(), true);
  assert.throws(() =>
    torch.noGrad(() => {
      throw new Error("sync boom");
    }),
  );
  assert.equal(torch.isGradEnabled(), true);
});

test("work left behind by a settled scope sees the enclosing mode", async () => {
  let late: boolean | null = null;
  let done!: () => void;
  const fired = new Promise<void>((r) => (done = r));
  // the timer's work waits for a gate opened only after the scope settled (a fixed delay
  // raced the scope on a loaded machine)
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  await torch.noGrad(async () => {
    setTimeout(() => {
      void gate.then(() => {
        late = torch.isGradEnabled();
        done();
      });
    }, 0);
    await tick();
  });
  open();
  // keep another scope alive meanwhile, so the storage is still enabled when the timer fires
  await torch.noGrad(async () => {
    await fired;
  });
  assert.equal(late, true);
});

test("a plain function returning a promise has the mode for its synchronous part", async () => {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    const seen: boolean[] = [];
    const run = async (): Promise<void> => {
      seen.push(torch.isGradEnabled());
      await tick();
      seen.push(torch.isGradEnabled());
    };
    await torch.noGrad(() => run());
    await torch.noGrad(() => run());
    assert.deepEqual(seen, [false, true, false, true]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /Pass an async function/);
  } finally {
    console.warn = warn;
  }
  assert.equal(torch.isGradEnabled(), true);
});

test("sync forms are unchanged", () => {
  const x = torch.ones(2, { requiresGrad: true });
  assert.equal(torch.noGrad(() => x.mul(2)).requiresGrad, false);
  assert.equal(torch.noGrad(() => torch.enableGrad(() => x.mul(2))).requiresGrad, true);
  const g = torch.setGradEnabled(false);
  assert.equal(torch.isGradEnabled(), false);
  g.exit();
  g.exit();
  assert.equal(torch.isGradEnabled(), true);
  {
    using _ = torch.inferenceMode();
    assert.equal(torch.isInferenceModeEnabled(), true);
    assert.equal(torch.isGradEnabled(), false);
  }
  assert.equal(torch.isInferenceModeEnabled(), false);
});

test("awaiting promises made before the scope, and thenables, keeps the scope's mode", async () => {
  let resolveEarly!: (v: number) => void;
  const early = new Promise<number>((r) => (resolveEarly = r));
  const seen: boolean[] = [];
  const scoped = torch.noGrad(async () => {
    await early;
    seen.push(torch.isGradEnabled());
    await early.then((v) => v + 1);
    seen.push(torch.isGradEnabled());
    await { then: (r: (v: number) => void) => setTimeout(() => r(1), 1) };
    seen.push(torch.isGradEnabled());
  });
  setTimeout(() => resolveEarly(1), 2);
  await scoped;
  assert.deepEqual(seen, [false, false, false]);
  assert.equal(torch.isGradEnabled(), true);
});
