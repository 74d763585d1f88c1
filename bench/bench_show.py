"""How long `irqspec show` takes to lay out and render a trace: the seed counterexample of svm_virq (7 steps) and
random runs of 100 and 400 steps of svm_evtinj (the generated model's random walk), as HTML and as SVG. Prints
figures; asserts nothing.

    python bench/bench_show.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from irqspec.front.frontend import load
from irqspec.itf_types import param_descriptors, var_descriptors
from irqspec.pybackend.loadmodel import load_model
from irqspec.runtime.itf import trace_to_itf
from irqspec.runtime.model import walk
from irqspec.runtime.trace import Step, Trace
from irqspec.show import render, sheet_of_itf
from irqspec.smt.bmc import check

ROOT = Path(__file__).resolve().parent.parent


def random_run(system, steps: int, seed: int = 1) -> dict:
    """An ITF document of `steps` random steps of `system`'s generated model."""
    model = load_model(system, "bench_show")
    names = {a.name: [p.name for p in a.params] for a in system.actions}
    out = [Step(None, {}, model.state_to_dict(model.initial_state()))]

    def seen(action: str, args: tuple, state) -> None:
        out.append(Step(action, dict(zip(names[action], args)), model.state_to_dict(state)))

    walk(model, steps, seed, seen)
    return trace_to_itf(Trace(tuple(out)), var_descriptors(system), param_descriptors(system))


def timed(doc: dict, front, svg: bool, repeat: int = 5) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        text = render(sheet_of_itf(json.loads(json.dumps(doc)), "t.itf.json", front.system, front.system.file,
                                   front.sources), svg=svg)
        best = min(best, time.perf_counter() - start)
        size = len(text.encode())
    return best, size


def main() -> None:
    virq = load(ROOT / "spec" / "svm_virq.irq")
    seed = check(virq.system).trace
    docs = [("svm_virq seed counterexample", virq,
             trace_to_itf(seed, var_descriptors(virq.system), param_descriptors(virq.system),
                          {"irqspec::module": "svm_virq"}))]
    evtinj = load(ROOT / "spec" / "svm_evtinj.irq")
    for steps in (100, 400):
        docs.append(("svm_evtinj random run", evtinj, random_run(evtinj.system, steps)))
    for name, front, doc in docs:
        for svg in (False, True):
            best, size = timed(doc, front, svg)
            print(f"{name:30} {len(doc['states']) - 1:4} steps  {'SVG ' if svg else 'HTML'}  "
                  f"{best * 1000:7.1f} ms  {size / 1024:7.1f} KB")


if __name__ == "__main__":
    main()
