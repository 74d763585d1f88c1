"""irqspec explore next to TLC on the same model: each shipped spec exported (`irqspec export --tla`), TLC with one
worker on the export, the explorer on the spec, one after the other in this run. Prints the distinct states each
found (they must be equal), the seconds each took and the ratio; asserts nothing but that agreement.

    python bench/bench_tlc.py [--jar PATH] [--two-vectors]

The default size is one vector (-D VECTORS=32..32 -D CR8_MAX=0 -D TPR_WRITES=0..0: 33,600 to 36,864 states, a few
seconds each); --two-vectors adds svm_evtinj at 32..33 (1,467,072 states, about two minutes each). TLC's time
includes the JVM's start (about 0.5 s); TLC checks the liveness properties of svm_evtinj_cr8 only when --liveness is
given (minutes: see docs/export.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from irqspec.export.tla import export_tla  # noqa: E402
from irqspec.front.frontend import load_system  # noqa: E402
from irqspec.pybackend.explore import explore  # noqa: E402

ONE = {"VECTORS": "32..32", "CR8_MAX": "0", "TPR_WRITES": "0..0"}
TWO = {"VECTORS": "32..33", "CR8_MAX": "0", "TPR_WRITES": "0..0"}


def tlc(jar: Path, system, liveness: bool) -> tuple[int | None, float, str]:
    """TLC on the export: its distinct states (None when it stopped at a violation), seconds, and exit code text."""
    module = export_tla(system)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / f"{module.name}.tla").write_text(module.tla)
        cfg = module.cfg if liveness else re.sub(r"PROPERTIES\n(    .*\n)+", "", module.cfg)
        (work / f"{module.name}.cfg").write_text(cfg)
        start = time.monotonic()
        proc = subprocess.run(["java", "-XX:+UseParallelGC", f"-Djava.io.tmpdir={work}", "-jar", str(jar),
                               "-workers", "1", "-config", f"{module.name}.cfg", f"{module.name}.tla"],
                              cwd=work, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - start
    found = re.findall(r"([\d,]+) distinct states found", proc.stdout)
    states = int(found[-1].replace(",", "")) if found and proc.returncode == 0 else None
    return states, elapsed, {0: "holds", 12: "violated", 11: "deadlock", 13: "liveness"}.get(proc.returncode,
                                                                                             f"exit {proc.returncode}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default=os.environ.get("IRQSPEC_TLA2TOOLS", str(ROOT.parent / "shared/tools/tla2tools.jar")))
    ap.add_argument("--two-vectors", action="store_true")
    ap.add_argument("--liveness", action="store_true")
    args = ap.parse_args()
    jar = Path(args.jar)
    if not jar.is_file() or shutil.which("java") is None:
        sys.exit(f"bench_tlc: no TLC: {jar} is not a file or java is not on PATH (--jar PATH)")
    cases = [(spec, ONE) for spec in ("svm_virq", "svm_virq_pending", "svm_evtinj", "svm_evtinj_cr8")]
    if args.two_vectors:
        cases.append(("svm_evtinj", TWO))
    print(f"{'spec':18} {'vectors':8} {'verdict':9} {'states':>11} {'TLC s':>8} {'explore s':>10} {'TLC/explore':>12}")
    for spec, defines in cases:
        system = load_system(ROOT / "spec" / f"{spec}.irq", defines)
        tlc_states, tlc_s, verdict = tlc(jar, system, args.liveness)
        start = time.monotonic()
        result = explore(system)
        explore_s = time.monotonic() - start
        if result.status == "holds":
            assert tlc_states == result.states, (spec, tlc_states, result.states)
        states = f"{result.states:,}" if result.status == "holds" else f"({len(result.trace.steps) - 1} steps)"
        print(f"{spec:18} {defines['VECTORS']:8} {verdict:9} {states:>11} {tlc_s:8.2f} {explore_s:10.2f} "
              f"{tlc_s / explore_s:11.2f}x", flush=True)


if __name__ == "__main__":
    main()
