"""The mutant machinery of bench/bench_mutants.py: every mutant of the bhyve port still applies to the port as it is,
copies leave the real port alone, and the unmutated copy is killed by nothing (so a kill in the bench means the slip).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.mutants.catalogue import MUTANTS
from bench.mutants.counting import CountingAdapter
from bench.mutants.port import PORT_DIR, PortCopies, mutated_sources
from irqspec.runtime.conformance import lockstep
from irqspec.runtime.model import walk

ROOT = Path(__file__).resolve().parent.parent


def _model():
    path = ROOT / "generated_tests" / "svm_evtinj_model.py"
    spec = importlib.util.spec_from_file_location("svm_evtinj_model_for_mutants", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_at_least_thirty_distinct_mutants_each_with_a_slip_and_a_function():
    assert len(MUTANTS) >= 30
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    assert all(m.slip and m.function and m.edits for m in MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_every_mutant_applies_once_and_its_copy_imports(mutant):
    original = mutated_sources(None)
    changed = {f for f, text in mutated_sources(mutant).items() if text != original[f]}
    assert changed == {e.file for e in mutant.edits}
    with PortCopies() as ports:
        adapters = ports.adapters(mutant)
        assert adapters.postfix_adapter(2).module == "svm_evtinj"


def test_a_mutated_copy_leaves_the_real_port_and_the_unmutated_copy_alone():
    mutant = next(m for m in MUTANTS if m.name == "pending_ge")
    before = (PORT_DIR / "vlapic.py").read_text()
    with PortCopies() as ports:
        mutated = ports.adapters(mutant)
        unmutated = ports.adapters(None)
        assert mutated.__name__ != unmutated.__name__
        def vlapic_source(adapters):
            return Path(sys.modules[adapters.__package__ + ".vlapic"].__file__).read_text()

        assert "PRIO(vector) >= PRIO(self.ppr)" in vlapic_source(mutated)
        assert "PRIO(vector) > PRIO(self.ppr)" in vlapic_source(unmutated)
    assert (PORT_DIR / "vlapic.py").read_text() == before


def test_the_counting_adapter_counts_action_calls_only():
    with PortCopies() as ports:
        adapter = CountingAdapter(ports.adapters(None).postfix_adapter(2))
        adapter.reset()
        adapter.observe()
        adapter.vmrun(c=0)
        adapter.vmexit(c=0)
        assert (adapter.steps, adapter.steps_since_reset) == (2, 2)
        adapter.reset()
        assert (adapter.steps, adapter.steps_since_reset) == (2, 0)


def test_the_unmutated_copy_follows_the_model_on_random_walks():
    model = _model()
    with PortCopies() as ports:
        adapters = ports.adapters(None)
        for seed in range(10):
            run: list = []

            def record(action, args, _state, run=run):
                run.append((action, dict(zip((p for p, _ in model.ACTIONS[action].params), args))))

            walk(model, 200, seed=seed, on_step=record)
            lockstep(model, adapters.postfix_adapter(2), run)


def test_the_unmutated_copy_passes_every_generated_svm_evtinj_test(tmp_path):
    out = tmp_path / "records.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "bench_mutants.py"), "--suites-worker", "(unmutated)",
                    "--out", str(out)], cwd=ROOT, check=True, capture_output=True, timeout=120)
    records = json.loads(out.read_text())
    assert records and all(r["outcome"] == "passed" for r in records), [r for r in records if r["outcome"] != "passed"]
    assert all(r["steps"] > 0 for r in records)
