"""Explorer speed: distinct states per second of `irqspec explore` on svm_evtinj at NCPU=2 with 2 vectors
(-D VECTORS=32..33), and the states and depth reached. Prints figures; asserts nothing.

    python bench/bench_explore.py [--max-states N] [--max-depth K]

The full state space at this size is well over a million states (V_TPR and TPR take 16 values per CPU), so by default
the run stops at 500,000 states; pass --max-states 0 to exhaust it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from irqspec.pybackend.explore import explore
from irqspec.front.frontend import load_system

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-states", type=int, default=500_000)
    ap.add_argument("--max-depth", type=int, default=None)
    ap.add_argument("--spec", default="svm_evtinj.irq")
    args = ap.parse_args()
    system = load_system(ROOT / "spec" / args.spec, {"NCPU": "2", "VECTORS": "32..33"})
    result = explore(system, max_states=args.max_states or None, max_depth=args.max_depth)
    print(f"{args.spec} NCPU=2 VECTORS=32..33: {result.status} ({result.reason})")
    print(f"  distinct states  {result.states:,}")
    print(f"  depth reached    {result.diameter}" + (" (diameter)" if result.status == "holds" else ""))
    print(f"  time             {result.elapsed:.2f} s")
    print(f"  states/second    {result.states_per_second:,.0f}")


if __name__ == "__main__":
    main()
