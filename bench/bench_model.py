"""Steps per second of the generated reference model of svm_evtinj (NCPU=2) on a long random run.

A step picks an action and parameter values uniformly and applies them when the guard holds (irqspec.runtime.model.walk);
attempts whose guard is false are drawn again and are not counted as steps. Prints figures, asserts nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from irqspec.pybackend.codegen import generate_model  # noqa: E402
from irqspec.front.frontend import load_system  # noqa: E402
from irqspec.runtime.model import walk  # noqa: E402


def load_model(spec: Path, defines: dict[str, str]):
    system = load_system(spec, defines)
    text = spec.read_bytes()
    source = generate_model(system, str(spec.relative_to(ROOT)), hashlib.sha256(text).hexdigest(), "bench")
    out = Path(tempfile.mkdtemp()) / f"{system.module}_model.py"
    out.write_text(source)
    module_spec = importlib.util.spec_from_file_location(out.stem, out)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    for label, defines in (("VECTORS=16..255", {"NCPU": "2"}), ("VECTORS=32..33", {"NCPU": "2", "VECTORS": "32..33"})):
        model = load_model(ROOT / "spec" / "svm_evtinj.irq", defines)
        start = time.perf_counter()
        _, attempts = walk(model, steps, seed=1)
        elapsed = time.perf_counter() - start
        print(f"svm_evtinj NCPU=2 {label}: {steps} steps in {elapsed:.2f} s = {steps / elapsed:,.0f} steps/s "
              f"({attempts / elapsed:,.0f} attempts/s, {steps / attempts:.0%} of attempts enabled)")


if __name__ == "__main__":
    main()
