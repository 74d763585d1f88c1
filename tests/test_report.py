"""Traces a hypervisor developer can follow (generator/report.py): writes that change nothing are shown, each step
carries its action's doc comment, one formatting rule for every value, the whole last state on demand, and which
parts of the violated invariant are false at the witness."""

from __future__ import annotations

import json
import re

import pytest
from spec_paths import SPEC

from irqspec import ir
from irqspec.cli import main
from irqspec.front.frontend import load
from irqspec.pybackend.loadmodel import load_model
from irqspec.report import (
    explain_violation,
    format_params,
    format_step,
    format_trace,
    format_value,
    format_witness,
    is_vector_type,
)
from irqspec.runtime.model import take
from irqspec.runtime.trace import Step, Trace

SMALL = {"VECTORS": "32..33", "TPR_WRITES": "32..33"}
# the lost IPI of spec/svm_virq.irq: the second IPI of 0x20 merges into the IRR bit that the first one left set while
# its handler runs, then the exit accepts the vector once
LOST_IPI = [("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": 0x20}), ("vmrun", {"c": 1}),
            ("take_virq", {"c": 1}), ("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": 0x20}),
            ("vmexit", {"c": 1})]


@pytest.fixture(scope="module")
def virq():
    front = load(SPEC / "svm_virq.irq", SMALL)
    model = load_model(front.system)
    s = model.initial_state()
    steps = [Step(None, {}, model.state_to_dict(s))]
    for action, params in LOST_IPI:
        s = take(model, s, action, params)
        steps.append(Step(action, params, model.state_to_dict(s)))
    return front, Trace(tuple(steps), "no_lost_ipi", {"c": 1, "v": 0x20})


def _step(text: str, i: int) -> list[str]:
    """The lines of step i of a printed trace (its header first)."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(f"step {i} "))
    end = next((k for k in range(start + 1, len(lines)) if not lines[k].startswith(" ")), len(lines))
    return [line.strip() for line in lines[start:end]]


def test_second_ipi_merging_into_the_set_irr_bit_is_shown_as_already_set(virq):
    front, trace = virq
    second = _step(format_trace(front.system, trace), 6)
    assert second[0] == "step 6  send_ipi(src=0, dst=1, v=0x20)"
    assert "irr[1] |= {0x20} (already set)" in second
    assert "owed[1] = {0x20}" in second  # the ghost records the IPI owed ...
    first = _step(format_trace(front.system, trace), 2)
    assert "irr[1] = {0x20}" in first  # ... the first one changed IRR
    assert not any("irr[1] |=" in line for line in first)


def test_a_write_that_leaves_its_value_is_marked_written_unchanged(virq):
    front, trace = virq
    lines = _step(format_trace(front.system, trace), 1)  # vmrun(c=0) with nothing pending: the else branch
    assert "v_irq[0] = false (written, unchanged)" in lines
    assert "v_intr_vector[0] = 0x00 (written, unchanged)" in lines
    assert "in_guest[0] = true" in lines


def test_only_the_writes_of_the_branch_taken_are_shown():
    front = load("branches.irq", text="module branches\nvar x: 0..3\nvar y: 0..3\ninit { x = 0  y = 0 }\n"
                                      "action a(p: 0..1) { if p == 0 { x' = x } else { y' = y } }\n")
    system = front.system
    state = {"x": 0, "y": 0}
    assert format_step(system, "a", {"p": 0}, state, state) == ["x = 0 (written, unchanged)"]
    assert format_step(system, "a", {"p": 1}, state, state) == ["y = 0 (written, unchanged)"]


def test_a_step_the_action_does_not_explain_shows_only_what_changed():
    front = load("frame.irq", text="module frame\nvar x: 0..3\nvar y: 0..3\ninit { x = 0  y = 0 }\n"
                                   "action a() { x' = x }\n")
    # a recorded post-state the action cannot produce (y changed): no claim about writes, only the difference
    assert format_step(front.system, "a", {}, {"x": 0, "y": 0}, {"x": 0, "y": 1}) == ["y = 1"]


def test_each_step_shows_the_first_line_of_its_actions_doc_comment(virq):
    front, trace = virq
    text = format_trace(front.system, trace)
    assert _step(text, 4)[1] == "--- APM 15.21.4: the guest takes the virtual interrupt (V_IRQ, V_INTR_PRIO > V_TPR, " \
                                "IF = 1, no interrupt shadow): ..."
    assert _step(text, 2)[1].startswith("--- Guest writes ICR (traps:")
    front2 = load("nodoc.irq", text="module nodoc\nvar x: bool\ninit { x = false }\naction a() { x' = true }\n")
    assert format_step(front2.system, "a", {}, {"x": False}, {"x": True}) == ["x = true"]


def test_vector_types_print_in_hex_everywhere(virq):
    front, trace = virq
    system = front.system
    text = format_trace(system, trace)
    assert "v=0x20" in text  # a parameter of the range constant VECTORS
    assert "v_intr_vector[1] = 0x20" in text and "handler_vector[1] = 0x20" in text  # Vector-typed variables
    assert "v_tpr = [0: 0, 1: 0]" in text  # 0..15 is not a vector type; Cpu keys stay decimal
    assert format_witness(system, "no_lost_ipi", {"c": 1, "v": 0x20}) == "c = 1, v = 0x20"
    assert format_params({"src": 0, "dst": 1, "v": 0x21}, system, "send_ipi") == "send_ipi(src=0, dst=1, v=0x21)"


def test_vector_type_rule():
    assert is_vector_type(ir.IntType(0, 255, "Vector")) and is_vector_type(ir.IntType(32, 33, "VECTORS"))
    assert is_vector_type(ir.IntType(32, 47))  # an unnamed range of fixed-interrupt vectors
    assert not is_vector_type(ir.IntType(0, 255)) and not is_vector_type(ir.IntType(0, 1, "Cpu"))
    assert not is_vector_type(ir.IntType(16, 300))
    vectors = ir.IntType(0x30, 0x31, "VECTORS")
    assert format_value((True, False), ir.MapType(vectors, ir.BOOL)) == "[0x30: true, 0x31: false]"  # keys too
    record = ir.RecordType("Event", (("valid", ir.BOOL), ("vector", ir.IntType(0, 255, "Vector"))))
    assert format_value((True, 0x30), record) == "{valid: true, vector: 0x30}"
    assert format_value(0b101 << 32, ir.BitsType(256)) == "{0x20, 0x22}"


def test_full_shows_every_variable_of_the_last_state(virq):
    front, trace = virq
    short, full = format_trace(front.system, trace), format_trace(front.system, trace, full=True)
    assert full.startswith(short)
    tail = full[len(short):].splitlines()[1:]
    assert tail[0] == "state after step 7, every variable:"
    assert [line.split(" = ")[0].strip() for line in tail[1:]] == [v.name for v in front.system.vars]
    assert "        stage = [0: Idle, 1: Running]" in tail


def test_the_false_disjuncts_of_the_violated_invariant_are_named_with_their_source_text(virq):
    front, trace = virq
    lines = explain_violation(front.system, "no_lost_ipi", trace.last.state, trace.witness, front.sources)
    where = str(SPEC / "svm_virq.irq")
    text = (SPEC / "svm_virq.irq").read_text().split("\n")
    line = next(i for i, s in enumerate(text, 1) if s.strip().startswith("owed[c][v] implies irr[c][v]"))
    assert lines == [
        f"owed[c][v] implies irr[c][v] or (v_irq[c] and v_intr_vector[c] == v)  ({where}:{line})",
        "  holds: owed[c][v]",
        "  false: irr[c][v]",
        "  false: v_irq[c] and v_intr_vector[c] == v",
    ]


CONJUNCTS = """module conjuncts
var x: 0..3
var m: 0..1 -> bool
init { x = 0  m = [k in 0..1: false] }
action inc(p: 0..1) requires x < 3 { x' = x + 1  m'[p] = true }
invariant shape:
  forall k in 0..1:
    x < 9 and (m[k] implies x < 1 or  -- a comment inside
               x == 3) and
    (forall j in 0..1: m[j] or x == 0)
"""


def test_the_false_conjuncts_are_named_and_a_nested_quantifier_at_its_first_failing_value():
    front = load("conjuncts.irq", text=CONJUNCTS)
    state = {"x": 1, "m": (True, False)}
    lines = explain_violation(front.system, "shape", state, {"k": 0}, front.sources)
    assert lines[0].startswith("x < 9 and (m[k] implies x < 1 or x == 3) and (forall j in 0..1: m[j] or x == 0)  (")
    assert lines[1:] == ["  false: m[k] implies x < 1 or x == 3",
                         "    holds: m[k]",
                         "    false: x < 1",
                         "    false: x == 3",
                         "  false: forall j in 0..1: m[j] or x == 0",
                         "    false for j = 1: m[j] or x == 0",
                         "      false: m[j]",
                         "      false: x == 0"]
    assert explain_violation(front.system, "shape", state, {"k": 1}, front.sources)[1:2] == \
        ["  false: forall j in 0..1: m[j] or x == 0"]  # at k = 1 the implication holds: not named
    assert explain_violation(front.system, "shape", {"x": 0, "m": (False, False)}, {"k": 0}, front.sources) == []


def test_the_range_witness_names_the_step_that_would_leave_the_range():
    front = load("counter.irq", text="module counter\nvar x: 0..3\ninit { x = 0 }\n"
                                     "action inc(by: 1..2) { x' = x + by }\n")
    witness = {"action": "inc", "params": {"by": 2}, "var": "x", "value": 4}
    assert format_witness(front.system, "range:x", witness) == "inc(by=2), which would set x to 4 (outside 0..3)"


def test_check_prints_writes_docs_and_the_failing_parts(capsys):
    assert main(["check", str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"irr\[[01]\] \|= \{0x20\} \(already set\)", out)
    assert "        --- Guest writes ICR" in out
    verdict = out.index("VIOLATED: no_lost_ipi for c = ")
    assert "  owed[c][v] implies irr[c][v] or (v_irq[c] and v_intr_vector[c] == v)" in out[verdict:]
    assert "    false: irr[c][v]" in out[verdict:]
    assert "every variable" not in out


@pytest.mark.parametrize("command", ["check", pytest.param("explore", marks=pytest.mark.slow)])
def test_full_on_the_command_line(command, capsys):
    assert main([command, str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32", "--full"]) == 1
    out = capsys.readouterr().out
    assert "state after step 7, every variable:" in out and "        v_tpr = [0: 0, 1: 0]" in out


def test_prove_refutation_takes_full(capsys):
    assert main(["prove", str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32", "--full", "--engine", "kind"]) == 1
    out = capsys.readouterr().out
    assert "state after step 7, every variable:" in out and "violated for c = " in out
    assert "    false: irr[c][v]" in out


def test_replay_prints_the_witness_by_the_one_rule(tmp_path, capsys):
    trace_file = tmp_path / "t.itf.json"
    assert main(["check", str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32", "--itf", str(trace_file)]) == 1
    capsys.readouterr()
    assert json.loads(trace_file.read_text())["states"]
    main(["replay", str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32", str(trace_file)])
    out = capsys.readouterr().out
    assert re.search(r"the last state violates no_lost_ipi for c = [01], v = 0x20\n", out), out
    assert "{'" not in out and "      false: irr[c][v]" in out
