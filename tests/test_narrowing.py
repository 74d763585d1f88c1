"""Narrowing by guards (issue 12, item 3; docs/language.md, "Narrowing"): where a condition holds, an index or a
def's argument may be an expression whose type is wider than the domain, as long as the condition keeps its value
inside. The tests pin what the checker accepts and refuses, with the messages, and hold the three readings and TLC
to one verdict on a spec that reads only through narrowed indices."""

from __future__ import annotations

import pytest

from irqspec import SpecError, ir
from irqspec.evaluate import evaluate
from irqspec.front.frontend import load_system
from irqspec.front.narrowing import facts_of

from readings import agree
from test_export_tla import agree as export_agree
from test_export_tla import tlc, write
from test_tlc_oracle import tla2tools  # noqa: F401  (the fixture: the jar, or a skip with the reason)

# vectors 1..2 pend; a parameter of the wider 0..2 (0: no vector) reaches the map only where a guard rules 0 out:
# a later `requires`, the body under the guards, the right of `and` and `or`, both branches of an `if` (expression and
# statement), and a def's argument
SPEC = """module m
type Cpu = 0..2
type Vec = 1..2
var pend: Vec -> bool
var count: 0..3
var last: 0..2
init { pend = [v in Vec: false] count = 0 last = 0 }
def slot(p: Vec -> bool, v: Vec): bool = p[v]
action raise(c: Cpu) requires c >= 1 requires not slot(pend, c) {
  pend'[c] = true
  last' = c
}
action take(c: Cpu) requires c == 0 or pend[c] {
  if c == 0 { } else { pend'[c] = false }
  if count < 3 { count' = count + 1 }
}
action peek(c: Cpu) {
  last' = if c > 0 and pend[c] then c else 0
}
invariant never_both: not (pend[1] and pend[2])
invariant last_pends: forall c in Cpu: c != 0 implies (last == c implies pend[c] or count > 0 or true)
"""


def _system(text: str = SPEC) -> ir.System:
    return load_system("m.irq", text=text)


def _error(text: str):
    with pytest.raises(SpecError) as err:
        _system(text)
    return err.value.diagnostics[0]


def test_guards_narrow_indices_and_arguments():
    system = _system()
    raise_ = system.action("raise")
    assert [a.name for a in raise_.params] == ["c"] and raise_.params[0].type == ir.IntType(0, 2)  # types unchanged


@pytest.mark.parametrize("where, text", [
    ("requires", "action poke(c: Cpu) requires c >= 1 requires pend[c] { last' = c }"),
    ("body", "action poke(c: Cpu) requires c != 0 { pend'[c] = false }"),
    ("and", "action poke(c: Cpu) requires c >= 1 and pend[c] { last' = c }"),
    ("or", "action poke(c: Cpu) requires c < 1 or pend[c] { last' = c }"),
    ("implies", "action poke(c: Cpu) requires c > 0 implies pend[c] { last' = c }"),
    ("not", "action poke(c: Cpu) requires not (c == 0 or pend[c]) { last' = c }"),
    ("if", "action poke(c: Cpu) { if c == 0 { last' = 0 } else { pend'[c] = false } }"),
    ("ite", "action poke(c: Cpu) { last' = if c == 0 then 0 else if pend[c] then c else 1 }"),
    ("two-sided", "action poke(c: Cpu, d: Cpu) requires d > 0 and c >= d { pend'[c] = true }"),
    ("quantifier", "invariant q: forall c in Cpu: c == 0 or not pend[c] or last == c or true"),
    ("let", "action poke(c: Cpu) { let d = c if d >= 1 { pend'[d] = true } }"),
    ("expression", "action poke(c: Cpu) requires c - 1 >= 1 { pend'[c - 1] = true }"),
    ("contradiction", "action poke(c: Cpu) requires c > 2 { pend'[c - 2] = true }"),
])
def test_the_checker_accepts_an_index_a_guard_keeps_in_range(where, text):
    _system(SPEC + text + "\n")


@pytest.mark.parametrize("where, text, message", [
    ("unguarded", "action poke(c: Cpu) { pend'[c] = true }",
     "index may be out of range: Cpu (0..2) is not inside the map's domain 1..2"),
    ("too weak", "action poke(c: Cpu) requires c <= 1 { pend'[c] = true }",
     "index may be out of range: an integer in 0..1 (narrowed from 0..2 by the conditions that hold here) is not inside the map's "
     "domain 1..2"),
    ("disjoint", "action poke(c: Cpu) requires c < 1 { pend'[c] = true }",
     "index out of range: the integer 0 (narrowed from 0..2 by the conditions that hold here) is never inside the map's "
     "domain 1..2"),
    ("order", "action poke(c: Cpu) requires pend[c] and c >= 1 { last' = c }",
     "index may be out of range: Cpu (0..2) is not inside the map's domain 1..2"),
    ("or is not and", "action poke(c: Cpu) requires c >= 1 or pend[c] { last' = c }",
     "index out of range: the integer 0 (narrowed from 0..2 by the conditions that hold here) is never inside the "
     "map's domain 1..2"),
    ("the other branch", "action poke(c: Cpu) { if c == 0 { pend'[c] = false } }",
     "index out of range: the integer 0 (narrowed from 0..2 by the conditions that hold here) is never inside the map's "
     "domain 1..2"),
    ("not past the if", "action poke(c: Cpu) { if c != 0 { last' = c } pend'[c] = true }",
     "index may be out of range: Cpu (0..2) is not inside the map's domain 1..2"),
    ("argument", "action poke(c: Cpu) requires c != 2 requires slot(pend, c) { last' = c }",
     "value may be out of range: an integer in 0..1 (narrowed from 0..2 by the conditions that hold here) is not inside "
     "Vec (1..2)"),
    ("a different expression", "action poke(c: Cpu, d: Cpu) requires d >= 1 { pend'[c] = true }",
     "index may be out of range: Cpu (0..2) is not inside the map's domain 1..2"),
])
def test_the_checker_refuses_an_index_no_guard_keeps_in_range(where, text, message):
    d = _error(SPEC + text + "\n")
    assert d.message == message


def test_facts_of_conjunctions_disjunctions_and_negations():
    system = _system(SPEC + "action poke(c: Cpu, d: Cpu) requires c >= 1 and c != 2 or d == 1 and c == 2 { }\n")
    g = system.action("poke").guard
    c = next(p for p in system.action("poke").params if p.name == "c")
    facts = facts_of(g)
    [(key, interval)] = [(k, v) for k, v in facts.items() if isinstance(k, ir.Local) and k.uid == c.uid]
    assert interval == (1, 2)  # the hull of 1..1 and 2..2
    assert facts_of(g, False).get(key, (0, 2)) == (0, 2)  # its negation leaves c anywhere in Cpu


def test_the_explorer_reads_and_or_implies_lazily():
    """A guarded read past the domain is never evaluated: the explorer's evaluator (used by reports and validation)
    short-circuits as the generated Python, TLA+ and Z3's masking do."""
    system = _system()
    take = system.action("take")
    state = {"pend": (False, False), "count": 0, "last": 0}
    env = {take.params[0].uid: 0}
    assert evaluate(system, take.guard, state, env) is True  # c == 0 or pend[c], with c = 0
    poke = _system(SPEC + "action poke(c: Cpu, d: Cpu) requires (c > 0 implies pend[c]) and not (d > 0 and pend[d])"
                          " { }\n").action("poke")
    c, d = (p.uid for p in poke.params)
    assert evaluate(system, poke.guard, state, {c: 0, d: 0}) is True
    assert evaluate(system, poke.guard, state, {c: 1, d: 0}) is False


def test_three_readings_agree_on_narrowed_reads():
    found = agree(_system(), engines=("induction",))
    assert found.status == "violated" and found.invariant == "never_both" and len(found.trace) == 3


def test_three_readings_agree_when_the_invariant_holds():
    fixed = SPEC.replace("requires not slot(pend, c)", "requires not slot(pend, c) requires not pend[3 - c]")
    assert agree(_system(fixed), engines=("induction",)).status == "holds"


@pytest.mark.parametrize("fixed", [False, True], ids=["violated", "holds"])
def test_tlc_on_the_export_agrees_with_explore(fixed, tla2tools, tmp_path):  # noqa: F811
    """TLC evaluates `/\\`, `\\/`, `=>` and IF lazily too: out-of-domain reads would be an error there."""
    text = SPEC.replace("requires not slot(pend, c)", "requires not slot(pend, c) requires not pend[3 - c]") \
        if fixed else SPEC
    system = _system(text)
    name = write(system, tmp_path, liveness=False)
    export_agree(system, tlc(tla2tools, tmp_path, name))
