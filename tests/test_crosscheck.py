"""Proof certificates held against the generated model's reachable states (generator/crosscheck.py): the second,
independent re-check of a proof, which shares no code with the Z3 encoding that found and re-checked it."""

from __future__ import annotations

import z3
from spec_paths import SPEC

from irqspec.crosscheck import crosscheck
from irqspec.front.frontend import load_system
from irqspec.smt.certificate import Certificate, to_smt2
from irqspec.smt.context import fresh_context
from irqspec.smt.prove import prove
from irqspec.smt.state import StateVars

COUNTER = """module counter
type Mode = enum { Off, On }
var x: 2..5
var mode: Mode
var seen: bits[4]
init { x = 2 mode = Off seen = 0 }
action up() requires x < 5 { x' = x + 1 seen'[x - 2] = true }
action flip() { mode' = if mode == Off then On else Off }
invariant bounded: x <= 5
"""


def _certificate(system, build) -> Certificate:
    """A hand-made 1-inductive certificate over the state parts (as the engines store them)."""
    with fresh_context():
        parts = {str(t): (t, sc) for ps in StateVars(system, "").parts.values() for t, sc in ps}
        return Certificate("hand", 1, "hand-made", to_smt2(build(parts)), ("bounded",))


def test_every_reachable_state_satisfies_a_real_proofs_certificate():
    system = load_system("counter.irq", text=COUNTER)
    for engine in ("induction", "kind", "spacer"):
        result = prove(system, engine=engine, timeout=30)
        assert result.status == "proved"
        cert = result.certificate
        check = crosscheck(system, cert, cert.properties)
        assert (check.status, check.states) == ("agrees", 8), (engine, check)  # x in 2..5, two modes


def test_a_certificate_that_excludes_a_reachable_state_is_contradicted():
    system = load_system("counter.irq", text=COUNTER)

    def too_strong(parts):
        term, sc = parts["x"]  # stored as x - 2 in 2 bits
        return z3.ULE(term, sc.code(4))  # "x <= 4": but x reaches 5

    check = crosscheck(system, _certificate(system, too_strong), ("bounded",))
    assert check.status == "contradicts" and check.state is not None and check.state["x"] == 5


def test_enum_and_bit_parts_are_read_as_the_encoding_stores_them():
    system = load_system("counter.irq", text=COUNTER)

    def right(parts):  # seen[i] for every i below x - 2, written over the stored codes
        x, _ = parts["x"]
        seen, _ = parts["seen"]
        mode, sc = parts["mode"]
        bits = [z3.Extract(i, i, seen) == 1 for i in range(3)]
        return z3.And(z3.Or(mode == sc.code("Off"), mode == sc.code("On")),
                      *[z3.Implies(z3.UGT(x, i), bits[i]) for i in range(3)])

    assert crosscheck(system, _certificate(system, right), ("bounded",)).status == "agrees"


def test_a_partial_cross_check_says_so():
    system = load_system(SPEC / "svm_evtinj.irq", {"VECTORS": "32..33", "TPR_WRITES": "32..33"})
    result = prove(system, engine="induction")
    check = crosscheck(system, result.certificate, result.certificate.properties, max_states=500)
    assert check.status == "partial" and "not every state checked" in check.detail
