"""explore --symmetry (issue 11 item 4): one state per orbit under permutations of the vCPUs when they are a
scalarset. The verdict, the depth and the full state count must be those of the plain search, and a trace must be
a run of the spec from its real initial state."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_paths import SPEC

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


CONSTANT = ORDERED.replace("requires c < d", "requires c != 0")


@pytest.mark.parametrize("text, why", [(CONSTANT, "a constant of Cpu"),(SORT_IN_STATE, "peer holds values that may be of Cpu"),
                                       (ORDERED, "Cpu is not a scalarset")])
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


@st.composite
def symmetric_specs(draw) -> str:
    """A random spec whose vCPUs are a scalarset: maps over `Cpu` of bools, a range wider than Cpu and an enum; actions over
    one or two vCPU parameters that read and write their entries, compare the parameters only for equality, and
    quantify over the whole range; one invariant over every vCPU."""
    n = draw(st.integers(2, 3))
    kinds = draw(st.lists(st.sampled_from(["bool", "0..6", "Mode"]), min_size=2, max_size=3))
    names = [f"x{i}" for i in range(len(kinds))]
    init = {"bool": "false", "0..6": "0", "Mode": "Off"}
    values = {"bool": ["true", "false"], "0..6": ["0", "1", "2"], "Mode": ["Off", "On", "Busy"]}

    def atom(v: str, k: str, c: str) -> str:
        if k == "bool":
            return f"{v}[{c}]" if draw(st.booleans()) else f"not {v}[{c}]"
        return f"{v}[{c}] {draw(st.sampled_from(['==', '!=']))} {draw(st.sampled_from(values[k]))}"

    lines = ["module sym", f"const NCPU: 2..4 = {n}", "type Cpu = 0..NCPU-1", "type Mode = enum { Off, On, Busy }"]
    lines += [f"var {v}: Cpu -> {k}" for v, k in zip(names, kinds)]
    lines += ["init {"] + [f"  {v} = [c in Cpu: {init[k]}]" for v, k in zip(names, kinds)] + ["}"]
    for a in range(draw(st.integers(2, 4))):
        two = draw(st.booleans())
        lines.append(f"action a{a}(c: Cpu{', d: Cpu' if two else ''})")
        guards = []
        if draw(st.booleans()):
            i = draw(st.integers(0, len(names) - 1))
            guards.append(atom(names[i], kinds[i], "c"))
        if two and draw(st.booleans()):
            guards.append(draw(st.sampled_from(["c != d", "c == d"])))
        if draw(st.integers(0, 3)) == 0:
            i = draw(st.integers(0, len(names) - 1))
            guards.append(f"(forall e in Cpu: {atom(names[i], kinds[i], 'e')})")
        if guards:
            lines.append("  requires " + " and ".join(guards))
        lines.append("{")
        for i in sorted(set(draw(st.lists(st.integers(0, len(names) - 1), min_size=1, max_size=2)))):
            who = "d" if two and draw(st.booleans()) else "c"
            lines.append(f"  {names[i]}'[{who}] = {draw(st.sampled_from(values[kinds[i]]))}")
        lines.append("}")
    i = draw(st.integers(0, len(names) - 1))
    j = draw(st.integers(0, len(names) - 1))
    lines.append(f"invariant inv: forall c in Cpu: {atom(names[i], kinds[i], 'c')} or {atom(names[j], kinds[j], 'c')}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric_specs())
def test_random_symmetric_specs_agree_with_and_without_symmetry(text):
    same_answer(load_system("sym.irq", text=text))
