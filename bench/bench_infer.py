"""Benchmark of lemma inference (docs/infer.md): for each shipped spec whose invariants hold, with its hand-written
lemmas removed, at the vCPU counts asked x 240 vectors: the lemmas the spec carries and the number inferred,
candidates (clauses, kept by sampling, refuted by Z3), the phases' times, the whole `prove` (engine auto: infer
closes it) and, as the peer that needs no lemmas either, Spacer on the same lemma-free spec (up to --spacer-timeout;
its ratio against auto). In-process, one fresh Z3 context per proof. Prints the table; asserts nothing.

    python bench/bench_infer.py [--ncpu 2,3] [--spacer-timeout 120]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from irqspec.front.frontend import load_system
from irqspec.infer import infer
from irqspec.smt.context import fresh_context
from irqspec.smt.prove import _goals, prove

ROOT = Path(__file__).resolve().parent.parent
SPECS = ["svm_evtinj", "svm_virq_pending", "svm_evtinj_cr8"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ncpu", default="2,3")
    parser.add_argument("--spacer-timeout", type=float, default=120.0)
    args = parser.parse_args()
    print("prove with the spec's lemmas removed, x 240 vectors (auto: induction is skipped, infer closes it)")
    print(f"{'spec':<17} {'vCPUs':>5} {'lemmas':>6} {'inferred':>8} {'clauses':>7} {'kept':>5} {'refuted':>7} "
          f"{'sample s':>8} {'Z3 s':>6} {'auto s':>7} {'answer':>7} {'Spacer s':>9} {'ratio':>6}")
    for name in SPECS:
        for n in [int(x) for x in args.ncpu.split(",")]:
            own = load_system(ROOT / "spec" / f"{name}.irq", {"NCPU": str(n)})
            system = replace(own, lemmas=())
            with fresh_context():
                found = infer(system, _goals(system, None, "induction"))
            f = found.figures or {}
            start = time.monotonic()
            auto = prove(system)
            t_auto = time.monotonic() - start
            start = time.monotonic()
            spacer = prove(system, engine="spacer", timeout=args.spacer_timeout)
            t_spacer = time.monotonic() - start
            if spacer.status == "proved":
                peer, ratio = f"{t_spacer:9.1f}", f"{t_spacer / t_auto:5.1f}x"
            else:
                peer, ratio = f"{'>' + format(args.spacer_timeout, '.0f'):>9}", \
                    f"{'>' + format(args.spacer_timeout / t_auto, '.0f') + 'x':>6}"
            print(f"{name:<17} {n:>5} {len(own.lemmas):>6} {len(found.lemmas):>8} {f.get('clauses', 0):>7} "
                  f"{f.get('kept', 0):>5} {f.get('refuted', 0):>7} {f.get('sampling_s', 0):>8.1f} "
                  f"{f.get('houdini_s', 0) + f.get('support_s', 0):>6.1f} {t_auto:>7.1f} {auto.status:>7} "
                  f"{peer} {ratio}", flush=True)


if __name__ == "__main__":
    main()
