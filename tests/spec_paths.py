"""Where the shipped specs are (a module of its own: generated_tests/ has a conftest.py too, so tests do not import
from `conftest`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"
SEED_SPECS = ["svm_virq.irq", "svm_evtinj.irq", "svm_virq_pending.irq"]
