"""Time to generate the suites of every seed spec (the Z3 questions included), at the committed size and at the full
vector range. Prints a table; asserts nothing.

    python bench/bench_gen.py [--full]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from irqspec.pybackend.suites import generate_all

ROOT = Path(__file__).resolve().parent.parent
SPECS = ["svm_virq.irq", "svm_evtinj.irq", "svm_virq_pending.irq"]


def main() -> None:
    sizes = [("VECTORS=47..48, depth 10", {"VECTORS": "47..48"}, 10)]
    if "--full" in sys.argv:
        sizes.append(("VECTORS=16..255, depth 10", {}, 10))
    print(f"{'spec':<24} {'size':<28} {'files':>5} {'tests':>6} {'seconds':>8}")
    for label, defines, depth in sizes:
        total = 0.0
        for name in SPECS:
            start = time.perf_counter()
            result = generate_all(ROOT / "spec" / name, defines, f"irqspec gen spec/{name}", max_depth=depth)
            seconds = time.perf_counter() - start
            total += seconds
            tests = sum(result.report.counts.values())
            print(f"{name:<24} {label:<28} {len(result.files):>5} {tests:>6} {seconds:>8.1f}")
        print(f"{'all three':<24} {label:<28} {'':>5} {'':>6} {total:>8.1f}")


if __name__ == "__main__":
    main()
