"""explore --symmetry (issue 11 item 4): one state per orbit under permutations of the vCPUs when they are a
scalarset. The verdict, the depth and the full state count must be those of the plain search, and a trace must be
a run of the spec from its real initial state."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from spec_paths import SPEC
from test_differential import random_specs

from irqspec.cli import main
from irqspec.front.frontend import load_system
from irqspec.pybackend.explore import Symmetry, explore, symmetry
from irqspec.pybackend.loadmodel import load_model

TINY = {"VECTORS": "16..16", "TPR_WRITES": "16..16", "CR8_MAX": "1"}


def _is_run(model, trace) -> None:
    s = model.state_from_dict(trace.steps[0].state)
    assert s == model.initial_state()
    for step in trace.steps[1:]:
        s = model.step(s, step.action, step.params)
        assert s == model.state_from_dict(step.state)


def same_answer(system, max_states: int | None = None) -> None:
    sym = symmetry(system)
    assert isinstance(sym, Symmetry), sym
    model = load_model(system)
    plain = explore(system, model=model, max_states=max_states, deadlock=True)
    reduced = explore(system, model=model, max_states=max_states, deadlock=True, symmetric=sym)
    assert reduced.status == plain.status and reduced.invariant == plain.invariant
    assert reduced.symmetry == sym.sort and reduced.states <= plain.states
    if plain.status == "holds":
        assert reduced.full_states == plain.states and reduced.diameter == plain.diameter
    if plain.trace is not None:
        assert len(reduced.trace) == len(plain.trace)
        _is_run(model, reduced.trace)
        bad = dict(model.violated_invariants(model.state_from_dict(reduced.trace.last.state)))
        if plain.invariant in bad:
            assert bad[plain.invariant] == reduced.witness


@pytest.mark.parametrize("name", ["svm_virq", "svm_virq_pending"])
def test_shipped_specs_agree_with_and_without_symmetry(name):
    same_answer(load_system(SPEC / f"{name}.irq", TINY), max_states=None if name == "svm_virq" else 40_000)


def test_three_vcpus_shrink_by_up_to_six():
    system = load_system(SPEC / "svm_virq.irq", {**TINY, "NCPU": "3"})
    sym = symmetry(system)
    assert isinstance(sym, Symmetry) and sym.size == 3
    model = load_model(system)
    plain = explore(system, model=model, max_depth=6)
    reduced = explore(system, model=model, max_depth=6, symmetric=sym)
    assert reduced.full_states == plain.states and plain.states / reduced.states > 4


SORT_IN_STATE = """module owner
const NCPU: 2..4 = 2
type Cpu = 0..NCPU-1
var busy: Cpu -> bool
var peer: Cpu -> Cpu
init {
  busy = [c in Cpu: false]
  peer = [c in Cpu: c]
}
action take(c: Cpu, d: Cpu) requires not busy[c] { busy'[c] = true
  peer'[c] = d }
invariant one: forall c in Cpu: busy[c] or not busy[c]
"""

ORDERED = """module ordered
const NCPU: 2..4 = 2
type Cpu = 0..NCPU-1
var busy: Cpu -> bool
init { busy = [c in Cpu: false] }
action take(c: Cpu, d: Cpu) requires c < d { busy'[c] = true }
invariant fine: forall c in Cpu: busy[c] or not busy[c]
"""


@pytest.mark.parametrize("text, why", [(SORT_IN_STATE, "peer holds values that may be of Cpu"),
                                       (ORDERED, "no sort is a scalarset")])
def test_no_symmetry_says_why(text, why):
    reason = symmetry(load_system("s.irq", text=text))
    assert isinstance(reason, str) and why in reason


def test_cli_prints_both_counts(capsys):
    argv = ["explore", str(SPEC / "svm_virq_pending.irq"), "--symmetry", "--max-states", "3000"]
    for k, v in TINY.items():
        argv += ["-D", f"{k}={v}"]
    main(argv)
    out = capsys.readouterr().out
    assert "canonical under permutations of Cpu, standing for" in out


def test_cli_without_a_symmetry_explores_plainly(tmp_path, capsys):
    spec = tmp_path / "owner.irq"
    spec.write_text(SORT_IN_STATE)
    assert main(["explore", str(spec), "--symmetry", "--no-deadlock"]) == 0
    captured = capsys.readouterr()
    assert "no symmetry reduction: peer holds values" in captured.err and "standing for" not in captured.out


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_random_specs_agree_where_symmetry_applies(text):
    system = load_system("random_spec.irq", text=text)
    if isinstance(symmetry(system), Symmetry):
        same_answer(system)
