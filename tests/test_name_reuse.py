"""Names reused on purpose: a binder that shadows another of the same name, a let over a parameter read under a
quantifier that rebinds the parameter's name, properties named like actions, variables, defs and fields, spec names
that are Python keywords or the generated model's own names. Every binder has an identity of its own in the IR
(`ir.Local.uid`), so the three readings (Z3, the generated model, the explorer) must agree on each of these specs:
first the named regressions of issue 8 (A-D, H), then random specs built to reuse names."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from readings import agree

from irqspec.front.diagnostics import SpecError
from irqspec.front.frontend import load_system
from irqspec.pybackend.loadmodel import load_model
from irqspec.smt.bmc import check
from irqspec.smt.prove import prove

SHADOWING_QUANTIFIERS = """module shadow_quant
var x: 0..3
init { x = 0 }
action inc() requires x < 3 { x' = x + 1 }
invariant bad: forall k in 0..1: forall k in 0..300: k != 299 or x < 2
"""

LET_OVER_PARAMETER = """module let_capture
var x: bool
init { x = false }
action a(c: 2..3) {
  let v = c
  x' = exists c in 0..1: c OP v
}
invariant never: not x
"""

LET_IN_A_LET = """module let_leak
var x: 0..3
init { x = 0 }
action a(c: 1..1) {
  let q = let c = 3 in c
  x' = c
}
invariant below3: x < 3
"""

INVARIANT_NAMED_LIKE_ITS_ACTION = """module names_across
var x: 0..15
var moved: bool
init { x = 0 moved = false }
action a(p: 0..15) { x' = p moved' = true }
invariant a: forall p in 0..15: not moved or p != (x + 1) % 16
"""

INVARIANT_NAMED_LIKE_A_RECORD = """module field_binder
type R = record { f: 0..15, g: bool }
var r: R
var x: 0..3
init { r = {f: 0, g: false} x = 0 }
action step() requires x < 3 { x' = x + 1 }
invariant r: forall f in 0..15: f == r.f or x < 2
"""

GENERATED_NAMES = """module generated_names
var x: 0..3
init { x = 0 }
def LEMMAS(a: 0..3): bool = a < 3
action inc() requires LEMMAS(x) { x' = x + 1 }
invariant found: x < 3
invariant INVARIANTS: x < 4
invariant State: x < 4
"""


def _verdicts(text: str) -> tuple[str, str, str]:
    system = load_system("spec.irq", text=text)
    agree(system, engines=("induction", "kind", "spacer", "auto"))
    return check(system, max_depth=10).status, prove(system, engine="kind", timeout=30).status, \
        prove(system, timeout=30).status


def test_inner_quantifier_shadows_the_outer_one_of_the_same_name():
    assert _verdicts(SHADOWING_QUANTIFIERS) == ("violated", "refuted", "refuted")
    found = check(load_system("spec.irq", text=SHADOWING_QUANTIFIERS), max_depth=5)
    assert found.depth_reached == 2 and found.trace.witness == {"k": 299}  # the shadowed outer k is not shown


@pytest.mark.parametrize(("op", "verdict"), [("!=", "violated"), ("==", "holds")])
def test_let_over_a_parameter_keeps_the_parameter_under_a_quantifier_of_its_name(op, verdict):
    # let v = c binds the parameter c (2..3); the quantified c (0..1) is another binder, so c != v always holds
    # and c == v never does
    assert _verdicts(LET_OVER_PARAMETER.replace("OP", op))[0] == verdict


def test_let_inside_a_let_does_not_leak_into_the_action_body():
    assert _verdicts(LET_IN_A_LET) == ("holds", "proved", "proved")
    model = load_model(load_system("spec.irq", text=LET_IN_A_LET))
    assert model.step(model.initial_state(), "a", {"c": 1}).x == 1


def test_invariant_named_like_an_action_binding_its_parameter_name():
    assert _verdicts(INVARIANT_NAMED_LIKE_ITS_ACTION) == ("violated", "refuted", "refuted")


def test_invariant_named_like_a_record_variable_binding_a_field_name():
    assert _verdicts(INVARIANT_NAMED_LIKE_A_RECORD) == ("violated", "refuted", "refuted")


def test_a_property_may_not_take_the_name_of_the_implicit_range_property():
    with pytest.raises(SpecError) as err:
        load_system("spec.irq", text=SHADOWING_QUANTIFIERS.replace("invariant bad", "invariant range"))
    (diag,) = err.value.diagnostics
    assert "'range' is the name of the implicit property" in diag.message and diag.span.line == 5


def test_spec_names_that_the_generated_model_uses_for_itself():
    assert _verdicts(GENERATED_NAMES) == ("violated", "refuted", "refuted")
    model = load_model(load_system("spec.irq", text=GENERATED_NAMES))
    assert sorted(model.INVARIANTS) == ["INVARIANTS", "State", "found"]


# --------------------------------------------------------------------------------------------------- random specs

# Spec identifiers that collide with something: Python keywords and builtins, the generated model's own names,
# the names of generated functions' parameters, leading and trailing underscores.
NAMES = ["x", "p", "k", "c", "v", "f", "found", "LEMMAS", "State", "step", "s", "self", "lambda", "None", "list",
         "_x", "u_x_", "ACTIONS", "initial_state", "range_", "bit"]


@st.composite
def name_reusing_specs(draw) -> str:
    """A small spec whose every name is drawn from NAMES, reused across namespaces where the language allows it:
    globals (variables, type, def, actions) distinct from each other; parameters, lets, quantified and comprehension
    variables reusing each other's names and shadowing; properties named like globals and fields."""
    pool = draw(st.permutations([n for n in NAMES if n != "bit"]))
    var_int, var_bool, var_rec, var_map, def_name, act1, act2 = pool[:7]
    field1, field2 = draw(st.sampled_from(pool[7:])), None
    field2 = draw(st.sampled_from([n for n in pool[7:] if n != field1]))
    local = st.sampled_from(pool[7:])  # locals: anything not global
    p1, l1, q1, q2, m1, p2 = (draw(local) for _ in range(6))
    dparam = draw(st.sampled_from([var_int, draw(local)]))  # a def's parameter may be named like a variable
    hi = draw(st.integers(1, 3))
    op = draw(st.sampled_from(["!=", "==", "<", ">="]))
    some = draw(st.sampled_from([f"0..{hi}", "SET"]))  # a quantifier over a range or over a set with a gap
    lines = [
        "module name_reuse",
        "const SET = 0, 2..3",
        f"type R = record {{ {field1}: 0..3, {field2}: bool }}",
        f"var {var_int}: 0..3",
        f"var {var_bool}: bool",
        f"var {var_rec}: R",
        f"var {var_map}: 0..1 -> bool",
        "init {",
        f"  {var_int} = 0",
        f"  {var_bool} = {draw(st.sampled_from(['true', 'false']))}",
        f"  {var_rec} = {{{field1}: 0, {field2}: false}}",
        f"  {var_map} = [{m1} in 0..1: false]",
        "}",
        f"def {def_name}({dparam}: 0..3): bool = "
        + draw(st.sampled_from([f"{dparam} < {hi + 1}", f"let {q1} = {dparam} in {q1} != {hi}",
                                f"exists {q1} in 0..{hi}: {q1} == {dparam}"])),
        f"action {act1}({p1}: 0..3)"
        + draw(st.sampled_from(["", f" requires {def_name}({var_int})", f" requires {p1} != {var_int}"])),
        "{",
        f"  let {l1} = {p1}" if l1 != p1 else f"  let {l1}_ = {p1}",
        f"  {var_bool}' = exists {p1} in {some}: {p1} {op} {l1 if l1 != p1 else l1 + '_'}",
        f"  {var_int}' = let {q2} = {p1} in (if {q2} < 3 then {q2} + 1 else 0)",
        f"  {var_map}' = [{m1} in 0..1: {m1} == {p1} % 2 or {var_map}[{m1}]]",
        "}",
        f"action {act2}({p2}: 0..1)",
        "{",
        f"  {var_rec}'.{field1} = let {q1} = {var_rec}.{field1} in (if {q1} < 3 then {q1} + 1 else {p2})",
        f"  {var_rec}'.{field2} = forall {p2} in 0..1: forall {p2} in 0..3: {p2} != 3 or {var_map}[{p2} % 2]",
        "}",
    ]
    inv = draw(st.sampled_from([var_int, var_rec, def_name, act1, act2, field1, p1, "inv"]))
    lines.append(f"invariant {inv}: forall {q1} in 0..1: forall {q1} in 0..3: "
                 f"{q1} != {draw(st.integers(0, 3))} or {var_int} < {draw(st.integers(1, 3))} or {var_rec}.{field2}")
    other = draw(st.sampled_from([n for n in [var_bool, var_map, field2, p2, "inv2"] if n != inv]))
    lines.append(f"invariant {other}: forall {p1} in 0..3: not {var_bool} or {p1} != ({var_int} + 1) % 4 "
                 f"or {var_map}[{p1} % 2]")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name_reusing_specs())
def test_name_reusing_random_specs_three_readings_agree(text):
    agree(load_system("name_reuse.irq", text=text), engines=("kind",))
