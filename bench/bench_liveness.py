"""Benchmark of liveness: the time of `irqspec check spec/svm_evtinj_cr8.irq --inv delivered` (the shortest fair
lasso, the CR8 gap) at 2 / 3 / 4 vCPUs x 240 vectors, with the representative-vector reduction and without it
(--no-reduce, where it finishes within --timeout), and the length found; and `irqspec prove` of the KVM-style cure
(-D CR8_INTERCEPT=true, through liveness to safety) at the sizes asked, with its answer. Wall time of the whole
command, machine load included. Prints the table; asserts nothing.

    python bench/bench_liveness.py [--ncpu 2,3,4] [--timeout 300] [--prove-sizes small,full] [--prove-timeout 120]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "spec/svm_evtinj_cr8.irq"
SIZES = {"small": ["-D", "VECTORS=16..16", "-D", "TPR_WRITES=16..16", "-D", "CR8_MAX=1"], "full": []}


def run(argv: list[str], timeout: float) -> tuple[float, dict | None, int]:
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "irqspec.cli", *argv, "--json"], cwd=ROOT, capture_output=True,
                              text=True, check=False, timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        return time.monotonic() - start, None, -1
    wall = time.monotonic() - start
    try:
        return wall, json.loads(done.stdout), done.returncode
    except json.JSONDecodeError:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ncpu", default="2,3,4")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--prove-sizes", default="small")
    parser.add_argument("--prove-timeout", type=float, default=120.0)
    args = parser.parse_args()
    print("check --inv delivered on", SPEC, "x 240 vectors (the shortest fair lasso)")
    print(f"{'vCPUs':>5}  {'reduced s':>9}  {'steps':>5}  {'full s':>9}  {'steps':>5}  {'ratio':>6}")
    for n in [int(x) for x in args.ncpu.split(",")]:
        base = ["check", SPEC, "-D", f"NCPU={n}", "--inv", "delivered", "--timeout", str(args.timeout)]
        t_red, doc_red, _ = run(base, args.timeout)
        t_full, doc_full, _ = run(base + ["--no-reduce"], args.timeout)

        def steps(doc: dict | None) -> str:
            if doc is None:
                return "-"
            return str(doc["depth"]) if doc["status"] == "violated" else doc["status"]

        full = f"{t_full:9.2f}" if doc_full is not None and doc_full["status"] == "violated" else \
            f"{'>' + str(int(args.timeout)):>9}"
        ratio = f"{t_full / t_red:5.1f}x" if doc_full is not None and doc_full["status"] == "violated" else \
            f"{'>' + format(args.timeout / t_red, '.0f') + 'x':>6}"
        print(f"{n:>5}  {t_red:9.2f}  {steps(doc_red):>5}  {full}  {steps(doc_full):>5}  {ratio:>6}")
    print()
    print("prove --inv delivered -D CR8_INTERCEPT=true (liveness to safety)")
    print(f"{'size':>6}  {'seconds':>8}  answer")
    for size in args.prove_sizes.split(","):
        argv = ["prove", SPEC, "-D", "CR8_INTERCEPT=true", *SIZES[size], "--inv", "delivered", "--timeout",
                str(args.prove_timeout)]
        wall, doc, code = run(argv, args.prove_timeout)
        answer = "(killed)" if doc is None else f"{doc['status']} ({doc['engine']}): {doc['reason'][:90]}"
        print(f"{size:>6}  {wall:8.1f}  {answer}")


if __name__ == "__main__":
    main()
