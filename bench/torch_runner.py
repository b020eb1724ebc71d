"""One PyTorch child measurement for bench/suite.mjs:
    /usr/bin/python3 bench/torch_runner.py <threads> <workload> [--quick]
Same workloads, shapes and timing rules as bench/lib/harness.mjs; prints one @@RESULT line."""
import json
import math
import os
import re
import sys
import time

import torch

threads, workload = int(sys.argv[1]), sys.argv[2]
quick = "--quick" in sys.argv
torch.set_num_threads(threads)
torch.manual_seed(0)
F = torch.nn.functional


def emit(obj):
    print("\n@@RESULT " + json.dumps(obj), flush=True)


def now():
    return time.perf_counter() * 1e3


# bench/lib/harness.mjs's Note [warm-up until steady]: after warmup_ms, chunks of about
# min_rep_ms until the median of the last STEADY_WINDOW chunks is not STEADY_GAIN faster than
# that of the STEADY_WINDOW before them, or the warm-up has lasted steady_ms in all
STEADY_WINDOW = 4
STEADY_GAIN = 0.01


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def measure(step, repeats, min_rep_ms, warmup_ms, steady_ms=0):
    step()
    calls, start = 0, now()
    t0 = start
    while True:
        step()
        calls += 1
        if now() - t0 >= warmup_ms:
            break
    once = max((now() - t0) / calls, 1e-5)
    if steady_ms > 0:
        chunk = max(1, math.ceil(min_rep_ms / once))
        chunks = []
        while now() - start < steady_ms:
            t0 = now()
            for _ in range(chunk):
                step()
            chunks.append((now() - t0) / chunk)
            k = len(chunks)
            if k >= 2 * STEADY_WINDOW and median(chunks[k - STEADY_WINDOW :]) > (
                1 - STEADY_GAIN
            ) * median(chunks[k - 2 * STEADY_WINDOW : k - STEADY_WINDOW]):
                break
        if chunks:
            once = median(chunks[-STEADY_WINDOW:])
    warmed_ms = now() - start
    iters = max(1, math.ceil(min_rep_ms / once))
    runs = []
    for _ in range(repeats):
        t0 = now()
        for _ in range(iters):
            step()
        runs.append((now() - t0) / iters)
    return {
        "ms": median(runs),
        "runs": len(runs),
        "itersPerRun": iters,
        "warmupMs": round(warmed_ms),
    }


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def peak_rss_mb():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def randn(*shape, requires_grad=False):
    return torch.rand(*shape).mul_(2).sub_(1).requires_grad_(requires_grad)


def matmul(n):
    a, b = randn(n, n, requires_grad=True), randn(n, n, requires_grad=True)

    def step():
        a.grad = b.grad = None
        c = a @ b
        c.backward(torch.ones_like(c))

    return step


def train(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def tiny():
    x = torch.tensor([1.0, 2, 3, 4], requires_grad=True)
    return lambda: ((2 * x + 1) ** 2).mean().backward()


def poly():
    x = torch.tensor(1.0, requires_grad=True)
    return lambda: (x**4 + 3 * x**3 + 3 * x**2 + 5 * x + 1).backward()


def mlp():
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    return train(model, randn(128, 784), torch.randint(0, 10, (128,)))


def elementwise():
    n = 1_000_000
    x, w, b = randn(n), randn(n, requires_grad=True), randn(n, requires_grad=True)

    def step():
        w.grad = b.grad = None
        (torch.tanh(x * w + b) ** 2).mean().backward()

    return step


def cnn():
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 13 * 13, 10)
    )
    return train(model, randn(32, 1, 28, 28), torch.randint(0, 10, (32,)))


def gpt():
    # examples/gpt's model (bench/libs/tensorgrad.mjs builds the same), dropout 0
    nn = torch.nn
    layers, heads, width, context, batch, vocab = 4, 4, 128, 64, 16, 65
    tok, pos = nn.Embedding(vocab, width), nn.Embedding(context, width)
    blocks = [
        nn.TransformerEncoderLayer(width, heads, 4 * width, 0.0, activation="gelu", batch_first=True, norm_first=True)
        for _ in range(layers)
    ]
    ln_f, head = nn.LayerNorm(width), nn.Linear(width, vocab, bias=False)
    model = nn.ModuleList([tok, pos, *blocks, ln_f, head])
    mask = nn.Transformer.generate_square_subsequent_mask(context)
    positions = torch.arange(context)
    x = torch.randint(0, vocab, (batch, context))
    y = torch.randint(0, vocab, (batch * context,))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        h = tok(x) + pos(positions)
        for b in blocks:
            h = b(h, mask)
        logits = head(ln_f(h))
        F.cross_entropy(logits.view(batch * context, vocab), y).backward()
        opt.step()

    return step


def lstm():
    batch, seq, inp, hidden, layers = 32, 35, 64, 256, 2
    model = torch.nn.LSTM(inp, hidden, num_layers=layers)
    x = randn(seq, batch, inp)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        out, _ = model(x)
        out.pow(2).mean().backward()
        opt.step()

    return step


def memory():
    step = mlp()
    steps, warmup = 1000, 100
    half = (steps + warmup) // 2
    after_warmup = first = second = 0.0
    for i in range(1, steps + 1):
        step()
        if i % 10 == 0 or i == steps:
            r = rss_mb()
            if i <= warmup:
                after_warmup = max(after_warmup, r)
            elif i <= half:
                first = max(first, r)
            else:
                second = max(second, r)
    return {"peakMB": peak_rss_mb(), "warmupMB": after_warmup, "growthMB": second - first}


MAKERS = {
    "tiny": tiny,
    "poly": poly,
    "mlp": mlp,
    "matmul256": lambda: matmul(256),
    "matmul512": lambda: matmul(512),
    "matmul1024": lambda: matmul(1024),
    "elementwise": elementwise,
    "cnn": cnn,
    "gpt": gpt,
    "lstm": lstm,
}

try:
    info = f"PyTorch {torch.__version__}, {threads} thread(s)"
    if "OMP_WAIT_POLICY" in os.environ:
        info += f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
    if workload == "memory":
        emit({"ok": True, **memory(), "info": info})
    else:
        r = measure(
            MAKERS[workload](),
            3 if quick else 9,
            50 if quick else 150,
            0 if workload == "matmul1024" else (500 if quick else 2000),
            0 if workload == "matmul1024" else (3000 if quick else 8000),
        )
        emit({"ok": True, **r, "info": info})
except Exception as e:  # reported in the table, not a crash
    emit({"ok": False, "status": "error", "reason": str(e).splitlines()[0]})
