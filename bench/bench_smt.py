"""Benchmark of the Z3 backend: time to the counterexample of svm_virq and time to the proof of svm_evtinj.

Sizes: NCPU = 2, 3, 4 (or --ncpu) and vector domains of 2, 8 and 240 vectors (-D VECTORS=32..33, 32..39, 16..255).
The counterexample runs with the reductions of docs/reduction.md (engine `bmc`, check's default) and without them
(`bmc-full`, check --no-reduce), and a second table gives their ratio. Proofs run with each engine and with the
portfolio. Every case runs in its own subprocess with a timeout, so one slow case cannot stall the table; peak memory
is the case process's maximum resident set (with the portfolio's engine processes). Prints the tables; asserts
nothing (targets on a 2-core machine, issue 15: counterexample at 240 vectors in under 1 / 2 / 3 / 10 s at 2 / 3 /
4 / 8 vCPUs; proof < 10 s at 2 vCPUs x 240, < 60 s at 4 vCPUs x 240).

    python bench/bench_smt.py [--timeout 60] [--engines induction,kind,spacer,auto] [--ncpu 2,3,4] [--check-only]
                               [--vectors 2,8,240]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = {"2": "32..33", "8": "32..39", "240": "16..255"}


def run_case(case: dict) -> dict:
    """Run one case in this process and return its figures."""
    sys.path.insert(0, str(ROOT))
    from irqspec.front.frontend import load_system
    from irqspec.smt import bmc
    from irqspec.smt.prove import prove

    defines = {"NCPU": str(case["ncpu"]), "VECTORS": case["vectors"]}
    start = time.monotonic()
    system = load_system(ROOT / "spec" / f"{case['spec']}.irq", defines)
    if case["kind"] == "check":
        r = bmc.check(system, max_depth=12, timeout=case["timeout"], reduce=case["engine"] == "bmc")
        outcome = f"{r.status} at depth {r.depth_reached}" if r.status == "violated" else f"{r.status} ({r.reason})"
    else:
        p = prove(system, engine=case["engine"], timeout=case["timeout"])
        outcome = p.status if p.status != "unknown" else f"unknown ({p.reason[:60]})"
        if case["engine"] == "auto" and p.status != "unknown":
            outcome += f" by {p.engine}"
    elapsed = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": elapsed, "peak_mb": peak / 1024, "outcome": outcome}


def in_subprocess(case: dict) -> dict:
    try:
        out = subprocess.run([sys.executable, __file__, "--case", json.dumps(case)], capture_output=True, text=True,
                             timeout=case["timeout"] + 30, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return {"seconds": float(case["timeout"] + 30), "peak_mb": float("nan"), "outcome": "killed (timeout)"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"seconds": float("nan"), "peak_mb": float("nan"), "outcome": f"failed: {out.stderr.strip()[-80:]}"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    parser.add_argument("--engines", default="induction,kind,spacer,auto")
    parser.add_argument("--ncpu", default="2,3,4")
    parser.add_argument("--check-only", action="store_true", help="only the counterexample cases")
    parser.add_argument("--vectors", default=",".join(DOMAINS), help="vector counts to run, of 2,8,240 (default all)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return
    cases = []
    for ncpu in [int(n) for n in args.ncpu.split(",")]:
        for count, vectors in DOMAINS.items():
            if count not in args.vectors.split(","):
                continue
            for engine in ("bmc", "bmc-full"):
                cases.append({"kind": "check", "spec": "svm_virq", "engine": engine, "ncpu": ncpu,
                              "vectors": vectors, "count": count, "timeout": args.timeout})
    for ncpu in [int(n) for n in args.ncpu.split(",")] if not args.check_only else []:
        for count, vectors in DOMAINS.items():
            if count not in args.vectors.split(","):
                continue
            for engine in args.engines.split(","):
                cases.append({"kind": "prove", "spec": "svm_evtinj", "engine": engine, "ncpu": ncpu,
                              "vectors": vectors, "count": count, "timeout": args.timeout})
    header = f"{'task':<22} {'engine':<10} {'NCPU':>4} {'vectors':>7} {'seconds':>8} {'peak MB':>8}  outcome"
    print(header)
    print("-" * len(header))
    checks: dict[tuple[int, str], dict[str, dict]] = {}
    for case in cases:
        r = in_subprocess(case)
        task = "check svm_virq" if case["kind"] == "check" else "prove svm_evtinj"
        print(f"{task:<22} {case['engine']:<10} {case['ncpu']:>4} {case['count']:>7} {r['seconds']:>8.2f} "
              f"{r['peak_mb']:>8.0f}  {r['outcome']}", flush=True)
        if case["kind"] == "check":
            checks.setdefault((case["ncpu"], case["count"]), {})[case["engine"]] = r
    print()
    print("check svm_virq, with the reductions against without them (seconds; same outcome?)")
    print(f"{'NCPU':>4} {'vectors':>7} {'reduced':>8} {'full':>8} {'ratio':>6}  same")
    for (ncpu, count), by in checks.items():
        red, full = by["bmc"], by["bmc-full"]
        ratio = full["seconds"] / red["seconds"] if red["seconds"] > 0 else float("nan")
        same = "yes" if red["outcome"] == full["outcome"] else f"no: {red['outcome']} / {full['outcome']}"
        print(f"{ncpu:>4} {count:>7} {red['seconds']:>8.2f} {full['seconds']:>8.2f} {ratio:>6.1f}  {same}")


if __name__ == "__main__":
    main()
