"""Unbounded proofs (generator/smt/prove.py): induction, k-induction, Spacer, the portfolio, certificate re-checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import z3

from irqspec.front.frontend import load_system
from irqspec.smt.certificate import Certificate, recheck, to_smt2
from irqspec.smt.goals import select_goals
from irqspec.smt.prove import prove
from irqspec.smt.replay import first_bad_step

SPEC = Path(__file__).resolve().parent.parent / "spec"
SMALL = {"VECTORS": "32..33", "TPR_WRITES": "32..33"}

COUNTER_OK = """
module counter_ok
type Cpu = 0..1
var cnt: Cpu -> 0..7
var mode: enum { Idle, Busy }
init {
  cnt = [c in Cpu: 0]
  mode = Idle
}
action inc(c: Cpu) requires mode == Idle and cnt[c] < 5 { cnt'[c] = cnt[c] + 1 }
action reset(c: Cpu) requires mode == Idle { cnt'[c] = 0 }
action busy() requires mode == Idle { mode' = Busy }
action idle() requires mode == Busy { mode' = Idle }
invariant small: forall c in Cpu: cnt[c] <= 5
"""

# vmexit forgets the event whose delivery it cut short (no EXITINTINFO): the IPI is accepted and never delivered.
FORGET_EXITINTINFO = ("""  if eventinj[c].valid {
    exitintinfo'[c] = eventinj[c]
    eventinj'[c] = {valid: false, vector: 0}
  }""", """  if eventinj[c].valid {
    eventinj'[c] = {valid: false, vector: 0}
  }""")
# Accept one step late: inject at VMRUN but move IRR -> ISR only at the next exit (the pre-fix timing).
ACCEPT_LATE = [("""      eventinj'[c] = {valid: true, vector: v}
      irr'[c] = accept_irr(irr[c], v)
      isr'[c] = accept_isr(isr[c], v)""", """      eventinj'[c] = {valid: true, vector: v}"""),
               ("""  v_irq'[c] = false
  if eventinj[c].valid {""", """  v_irq'[c] = false
  if handler_vector[c] != 0 and stage[c] == Running {
    irr'[c] = accept_irr(irr[c], handler_vector[c])
    isr'[c] = accept_isr(isr[c], handler_vector[c])
  }
  if eventinj[c].valid {""")]


def mutant(edits: list[tuple[str, str]], defines: dict[str, str] | None = None):
    text = (SPEC / "svm_evtinj.irq").read_text()
    for old, new in edits:
        assert old in text, "the mutation no longer applies to spec/svm_evtinj.irq"
        text = text.replace(old, new)
    return load_system(SPEC / "svm_evtinj.irq", defines or SMALL, text=text)


@pytest.mark.parametrize("engine", ["induction", "kind"])
@pytest.mark.parametrize("spec", ["svm_evtinj", "svm_virq_pending"])
def test_fixed_designs_are_proved(spec: str, engine: str) -> None:
    system = load_system(SPEC / f"{spec}.irq", SMALL)
    r = prove(system, engine=engine, timeout=120)
    assert r.status == "proved" and r.engine == engine, r.reason
    assert r.certificate is not None and "no_lost_ipi" in r.certificate.properties
    assert "re-checked" in r.reason


def test_event_injection_is_proved_at_240_vectors() -> None:
    system = load_system(SPEC / "svm_evtinj.irq")
    r = prove(system, engine="induction", timeout=120)
    assert r.status == "proved", r.reason
    assert r.certificate is not None
    assert "invariant no_lost_ipi" in r.certificate.text and "lemma injection_only_in_guest" in r.certificate.text


def test_portfolio_names_the_engine_that_closed_the_proof() -> None:
    system = load_system(SPEC / "svm_virq_pending.irq", SMALL)
    r = prove(system, engine="auto", timeout=120)
    assert r.status == "proved" and r.engine in ("induction", "kind", "spacer")


def test_v_irq_design_fails_induction_with_a_cti_and_is_refuted_by_k_induction() -> None:
    system = load_system(SPEC / "svm_virq.irq", SMALL)
    ind = prove(system, engine="induction", timeout=60)
    assert ind.status == "unknown" and ind.cti is not None and ind.cti.broken == "no_lost_ipi"
    assert ind.cti.post is not None and ind.cti.action is not None
    kind = prove(system, engine="kind", timeout=60)
    assert kind.status == "refuted" and kind.invariant == "no_lost_ipi"
    assert kind.trace is not None and len(kind.trace.actions()) == 7
    assert first_bad_step(system, kind.trace) is None


@pytest.mark.parametrize("edits", [[FORGET_EXITINTINFO], pytest.param(ACCEPT_LATE, marks=pytest.mark.slow)],
                         ids=["forget_exitintinfo", "accept_late"])
def test_mutated_event_injection_is_refuted_with_a_trace(edits) -> None:
    system = mutant(edits)
    r = prove(system, engine="auto", timeout=120)
    assert r.status == "refuted" and r.invariant == "no_lost_ipi", r.reason
    assert r.trace is not None and r.trace.violated == "no_lost_ipi"
    assert first_bad_step(system, r.trace) is None


def test_spacer_proves_and_its_invariant_is_rechecked() -> None:
    system = load_system("counter_ok.irq", text=COUNTER_OK)
    r = prove(system, engine="spacer", timeout=120)
    assert r.status == "proved" and r.engine == "spacer", r.reason
    assert r.certificate is not None and r.certificate.smt2 and "cnt[" in r.certificate.text


def test_spacer_refutes_with_a_bmc_trace() -> None:
    system = load_system("counter.irq", text=COUNTER_OK.replace("cnt[c] < 5", "cnt[c] < 7"))
    r = prove(system, engine="spacer", timeout=120)
    assert r.status == "refuted" and r.invariant == "small"
    assert r.trace is not None and r.trace.actions() == ("inc",) * 6


def test_a_certificate_that_is_not_inductive_fails_the_recheck() -> None:
    system = load_system("counter_ok.irq", text=COUNTER_OK)
    goals = select_goals(system)
    cnt0 = z3.BitVec("cnt[0]", 3)
    too_weak = Certificate("spacer", 1, "cnt[0] <= 5", to_smt2(z3.ULE(cnt0, 5)), ("small",))
    assert recheck(system, too_weak, goals).status in ("step", "property")
    wrong = Certificate("spacer", 1, "cnt[0] == 1", to_smt2(cnt0 == 1), ("small",))
    assert recheck(system, wrong, goals).status == "init"


def test_timeout_is_unknown_never_proved() -> None:
    system = load_system(SPEC / "svm_evtinj.irq")
    for engine in ("induction", "kind", "spacer"):
        r = prove(system, engine=engine, timeout=0.01)
        assert r.status == "unknown", (engine, r.reason)
