"""Regenerate every test fixture from real PyTorch 1.13: the single entry point.

    /usr/bin/python3 scripts/gen_fixtures.py            # all of scripts/fixtures/*_fx.py
    /usr/bin/python3 scripts/gen_fixtures.py ops print  # only ops_fx.py and print_fx.py

Each scripts/fixtures/NAME_fx.py module has a main() that writes test/fixtures/NAME.json; the
modules are discovered by glob, so a new one runs without being listed here. They run in
sorted order, each with torch's global state reset (seed, default dtype, print options).
"""
import glob
import importlib.util
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# the modules import their shared helpers (scripts/fixtures/common.py) as `common`, as they do
# when run directly from that folder
sys.path.insert(0, os.path.join(HERE, "fixtures"))


def reset_torch():
    import torch

    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    torch.set_printoptions(profile="default")
    torch.set_grad_enabled(True)


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f"fixtures_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv):
    paths = sorted(glob.glob(os.path.join(HERE, "fixtures", "*_fx.py")))
    if argv:
        wanted = {a[:-3] if a.endswith("_fx") else a for a in argv}
        paths = [p for p in paths if os.path.basename(p)[: -len("_fx.py")] in wanted]
        missing = wanted - {os.path.basename(p)[: -len("_fx.py")] for p in paths}
        if missing:
            sys.exit(f"no fixture module for: {', '.join(sorted(missing))}")
    failed = []
    for path in paths:
        name = os.path.basename(path)
        start = time.time()
        print(f"== {name}", flush=True)
        try:
            reset_torch()
            module = load(path)
            if not hasattr(module, "main"):
                raise AttributeError(f"{name} has no main()")
            module.main()
        except Exception as e:  # report every module's failure, then exit non-zero
            import traceback

            traceback.print_exc()
            failed.append(f"{name}: {e}")
        else:
            print(f"   done in {time.time() - start:.1f}s", flush=True)
    if failed:
        sys.exit("fixture generation failed:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main(sys.argv[1:])
