"""Benchmark of `irqspec sweep`: the same grid in one process (--serial) and on a LocalCluster of 1, 2, ... workers,
wall time of the whole command (cluster start-up included), the ratio to the serial run, and whether every point's
verdict is the same. Grids: svm_virq's shortest counterexample at 2-4 vCPUs x {240, 2} vectors (check), and
svm_evtinj's proof at 2-3 vCPUs x {240, 2} vectors (prove). Prints the table; asserts nothing.

    python bench/bench_sweep.py [--workers 1,2] [--repeat 1] [--grids check,prove]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRIDS = {
    "check": ["spec/svm_virq.irq", "--grid", "NCPU=2..4", "--grid", "VECTORS=16..255,32..33"],
    "prove": ["spec/svm_evtinj.irq", "--engine", "prove", "--grid", "NCPU=2..3", "--grid", "VECTORS=16..255,32..33"],
}


def run(argv: list[str]) -> tuple[float, dict]:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "irqspec.cli", "sweep", *argv, "--json"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"sweep {' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    return wall, json.loads(done.stdout)


def verdicts(doc: dict) -> list[tuple]:
    return [(p["status"], p["invariant"], p["steps"]) for p in doc["points"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="LocalCluster sizes to run (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case; the best is shown (default 1)")
    parser.add_argument("--grids", default=",".join(GRIDS), help=f"of {','.join(GRIDS)} (default all)")
    args = parser.parse_args()
    print(f"{'grid':6} {'points':>6} {'run':>18} {'wall s':>8} {'task s':>8} {'x serial':>9}  verdicts")
    for name in args.grids.split(","):
        grid = GRIDS[name]
        cases = [("serial", ["--serial"])] + [(f"{n} worker{'s' if n != '1' else ''}", ["--workers", n])
                                              for n in args.workers.split(",")]
        base_wall, base = None, None
        for label, extra in cases:
            best, doc = min((run(grid + extra) for _ in range(args.repeat)), key=lambda r: r[0])
            if base is None:
                base_wall, base = best, doc
            same = "same" if verdicts(doc) == verdicts(base) else "DIFFER"
            busy = sum(p["elapsed"] for p in doc["points"])
            print(f"{name:6} {len(doc['points']):>6} {label:>18} {best:8.1f} {busy:8.1f} {base_wall / best:9.2f}  "
                  f"{same} ({', '.join(f'{n} {s}' for s, n in doc['counts'].items())})")


if __name__ == "__main__":
    main()
