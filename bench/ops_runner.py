"""PyTorch's side of bench/ops.mjs: one long-lived worker per configuration of bench/lib/pytorch.mjs.
    /usr/bin/python3 bench/ops_runner.py <threads>
Reads the cases as one JSON line on stdin ({id: [setup, expr]}, data drawn after
torch.manual_seed(0) as tensorgrad draws it), then answers each line `<id> <repeats>` with the best
of `repeats` timed calls of the case's expression (after one untimed call): wall time and CPU
time of the process (every thread), in ms."""
import json
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]))
cases = json.loads(sys.stdin.readline())
envs = {}
for cid, (setup, expr) in cases.items():
    torch.manual_seed(0)
    env = {"torch": torch}
    exec(setup, env)
    envs[cid] = (env, compile(expr, cid, "eval"))
print("ready", flush=True)
for line in sys.stdin:
    cid, reps = line.split()
    env, code = envs[cid]
    eval(code, env)
    wall = cpu = float("inf")
    for _ in range(int(reps)):
        c = time.process_time()
        t = time.perf_counter()
        eval(code, env)
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    print(wall * 1e3, cpu * 1e3, flush=True)
