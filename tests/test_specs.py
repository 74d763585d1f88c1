"""The shipped specs parse, check, and say what the domain reference says they model."""

from __future__ import annotations

import pytest

from spec_paths import SEED_SPECS, SPEC
from irqspec.front.frontend import load_system
from irqspec.ir import BitsType, MapType, state_bits
from irqspec.jsonir import system_json


@pytest.mark.parametrize("name", SEED_SPECS)
def test_seed_spec_checks_with_lost_ipi_invariant(name):
    system = load_system(SPEC / name)
    invariants = [p.name for p in system.invariants]
    # the lost IPI first; then what the guest model needs (nested handlers at most two deep) and, after the fix,
    # that no injected interrupt lands in an interrupt shadow
    assert invariants[0] == "no_lost_ipi" and "at_most_two_handlers" in invariants
    assert ("no_delivery_in_shadow" in invariants) == (name == "svm_evtinj.irq")
    owed = system.var("owed")
    assert owed.ghost and owed.type == MapType(system.var("irr").type.domain, BitsType(256))
    names = {a.name for a in system.actions}
    assert {"send_ipi", "vmrun", "vmexit", "write_eoi", "iret", "ack", "set_if"} <= names


@pytest.mark.parametrize("name", SEED_SPECS)
def test_every_action_names_what_it_models(name):
    system = load_system(SPEC / name)
    for action in system.actions:
        assert action.doc, f"{action.name} has no doc comment"
        assert any(word in action.doc for word in ("svm_", "vlapic", "APM", "guest", "Guest", "handler", "CLI",
                                                   "#VMEXIT")), action.name


@pytest.mark.parametrize("name", SEED_SPECS)
def test_ncpu_override_changes_state_size(name):
    two = load_system(SPEC / name)
    four = load_system(SPEC / name, {"NCPU": "4"})
    bits2 = sum(state_bits(v.type) for v in two.vars)
    bits4 = sum(state_bits(v.type) for v in four.vars)
    assert bits4 == 2 * bits2
    assert four.var("irr").type.domain.hi == 3


@pytest.mark.parametrize("name", SEED_SPECS)
def test_vectors_override_narrows_send_parameter(name):
    system = load_system(SPEC / name, {"VECTORS": "32..33", "TPR_WRITES": "32..33"})
    v = next(p for p in system.action("send_ipi").params if p.name == "v")
    assert (v.type.lo, v.type.hi) == (32, 33)


@pytest.mark.parametrize("name", SEED_SPECS)
def test_json_ir_is_stable_across_runs(name):
    assert system_json(load_system(SPEC / name)) == system_json(load_system(SPEC / name))


def test_lapic_library_defines_the_priority_rules():
    system = load_system(SPEC / "svm_evtinj.irq")
    assert {"ppr", "pending_vector", "accept_irr", "accept_isr", "eoi_isr"} <= {f.name for f in system.functions}
    assert system.function("ppr").module == "lapic"
