"""Shared fixtures: where the shipped specs are."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"
SEED_SPECS = ["svm_virq.irq", "svm_evtinj.irq", "svm_virq_pending.irq"]


@pytest.fixture
def spec_dir() -> Path:
    return SPEC
