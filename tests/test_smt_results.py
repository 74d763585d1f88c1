"""The results the seed specs exist to show: the shortest trace to the lost IPI, and proofs of both fixes."""

from __future__ import annotations

import pytest

from conftest import SPEC
from generator.frontend import load_system
from generator.smt.bmc import check
from generator.smt.prove import prove

SMALL = {"VECTORS": "32..33"}


@pytest.mark.parametrize("defines", [SMALL, {}], ids=["2 vectors", "240 vectors"])
def test_second_ipi_merges_into_stale_irr_and_is_lost(defines):
    system = load_system(SPEC / "svm_virq.irq", defines)
    result = check(system, max_depth=10)
    assert result.status == "violated" and result.invariant == "no_lost_ipi"
    trace = result.trace
    assert len(trace) - 1 == 7  # the commit message's scenario is the shortest
    actions = trace.actions()
    sends = [s for s in trace.steps[1:] if s.action == "send_ipi"]
    assert len(sends) == 2 and sends[0].params == sends[1].params  # the same IPI, twice
    target, vector = sends[0].params["dst"], sends[0].params["v"]
    take = actions.index("take_virq")
    assert actions.index("send_ipi") < take < len(actions) - 1 - actions[::-1].index("send_ipi")  # taken in between
    assert actions[-1] in ("vmexit", "write_eoi")  # the exit that accepts the stale IRR bit
    last = trace.last.state
    assert result.witness == {"c": target, "v": vector}
    assert not (last["irr"][target] >> vector) & 1 and (last["isr"][target] >> vector) & 1
    assert (last["owed"][target] >> vector) & 1  # the second IPI is owed a handler run and recorded nowhere


@pytest.mark.parametrize("spec", ["svm_evtinj.irq", "svm_virq_pending.irq"])
def test_fix_is_proved_unbounded_with_certificate(spec):
    system = load_system(SPEC / spec)  # 2 vCPUs, vectors 16..255 as one symbolic parameter, IRR/ISR bits[256]
    result = prove(system, engine="induction", timeout=120)
    assert result.status == "proved", result.reason
    assert result.certificate is not None and "no_lost_ipi" in result.certificate.text


def test_pre_fix_spec_is_not_proved():
    result = prove(load_system(SPEC / "svm_virq.irq", SMALL), engine="induction", timeout=60)
    assert result.status != "proved"
    assert result.cti is not None and result.cti.broken == "no_lost_ipi"


def test_dropping_a_cut_short_delivery_is_refuted_with_a_trace():
    # Mutant: an exit during event delivery forgets the event instead of saving it in EXITINTINFO (APM 15.7.2). The
    # vector was already accepted (IRR -> ISR) at injection, so the IPI is recorded nowhere.
    src = (SPEC / "svm_evtinj.irq").read_text()
    dropped = src.replace("    exitintinfo'[c] = eventinj[c]\n", "")
    assert dropped != src
    system = load_system(SPEC / "svm_evtinj_drop.irq", SMALL, text=dropped)
    result = prove(system, engine="kind", timeout=120, max_k=12)
    assert result.status == "refuted" and result.invariant == "no_lost_ipi"
    assert result.trace is not None
    assert {"send_ipi", "vmrun", "vmexit"} <= set(result.trace.actions())
