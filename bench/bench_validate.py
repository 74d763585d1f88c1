"""Trace validation speed: post-fix recordings of the bhyve port (examples/bhyve_svm/tracing.py) through the full
map and the host-only map, at 1,000 and 100,000 events; prints events per second and the seconds of each part
(recording, reading the map, validating). The target (issue 14): 100,000 events in under a minute.

    python bench/bench_validate.py [--steps 1000 100000] [--hostonly-steps 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examples.bhyve_svm.tracing import record_run  # noqa: E402
from irqspec.front.diagnostics import Span  # noqa: E402
from irqspec.front.frontend import load_system  # noqa: E402
from irqspec.pybackend.loadmodel import load_model  # noqa: E402
from irqspec.tracefiles import Record  # noqa: E402
from irqspec.validation import validate  # noqa: E402
from irqspec.validation.mapping import mapped_events, read_map  # noqa: E402

MAPS = {"full": ROOT / "examples/bhyve_svm/svm_evtinj.map.toml",
        "host-only": ROOT / "examples/bhyve_svm/svm_evtinj_hostonly.map.toml"}


def one(system, model, which: str, steps: int, seed: int = 1) -> None:
    t0 = time.perf_counter()
    records = record_run("postfix", seed, steps)
    t1 = time.perf_counter()
    trace_map = read_map(MAPS[which], model, system.module)
    events = mapped_events(model, [Record(r["event"], r, Span("run", i + 1, 1)) for i, r in enumerate(records)],
                           trace_map).events
    t2 = time.perf_counter()
    result = validate(system, model, events, trace_map.internal, trace_map.max_hidden)
    t3 = time.perf_counter()
    print(f"{which:9} {steps:>7} steps  {len(events):>7} events  {result.verdict:12}  record {t1 - t0:6.2f} s  "
          f"map {t2 - t1:5.2f} s  validate {t3 - t2:6.2f} s  {len(events) / (t3 - t2):>9,.0f} events/s  "
          f"(Z3 events: {result.symbolic})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--hostonly-steps", type=int, nargs="+", default=[1000])
    args = parser.parse_args()
    system = load_system(ROOT / "spec/svm_evtinj.irq")
    model = load_model(system)
    print("spec/svm_evtinj.irq at its shipped size (240 vectors, 2 vCPUs)")
    for n in args.steps:
        one(system, model, "full", n)
    for n in args.hostonly_steps:
        one(system, model, "host-only", n)


if __name__ == "__main__":
    main()
