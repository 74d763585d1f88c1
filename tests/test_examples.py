"""The bhyve SVM emulation (examples/bhyve_svm) against the specs: the pre-fix code conforms to svm_virq and follows
its counterexample to the lost IPI; the post-fix code conforms to svm_evtinj and keeps the second IPI."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

import pytest
from spec_paths import SPEC

from examples.bhyve_svm.adapters import PostfixAdapter, PrefixAdapter, postfix_adapter, prefix_adapter
from irqspec.pybackend.codegen import generate_model
from irqspec.front.frontend import load_system
from irqspec.smt.bmc import check
from irqspec.runtime.conformance import lockstep, replay
from irqspec.runtime.model import walk

SMALL = {"VECTORS": "32..33", "TPR_WRITES": "32..33"}
Run = list[tuple[str, dict[str, object]]]

@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Iterable[Any]:
    """`models(spec, defines, text=None)`: the generated reference model, written to a temporary folder and imported
    (each spec, constants and text once per module)."""
    out = tmp_path_factory.mktemp("models")
    sys.path.insert(0, str(out))
    cache: dict[tuple, ModuleType] = {}

    def load(spec: str, defines: Mapping[str, str] | None = None, text: str | None = None) -> ModuleType:
        key = (spec, tuple(sorted((defines or {}).items())), text)
        if key not in cache:
            path = SPEC / spec
            system = load_system(path, dict(defines or {}), text=text)
            raw = (text if text is not None else path.read_text()).encode()
            name = f"{system.module}_example_{len(cache)}_model"
            (out / f"{name}.py").write_text(
                generate_model(system, spec, hashlib.sha256(raw).hexdigest(), f"irqspec gen {spec}"))
            importlib.invalidate_caches()
            cache[key] = importlib.import_module(name)
        return cache[key]

    yield load
    sys.path.remove(str(out))
    for module in cache.values():
        sys.modules.pop(module.__name__, None)


def random_run(model: ModuleType, steps: int, seed: int) -> Run:
    """A random run of the model (irqspec.runtime.model.walk) as (action, parameters by the spec's names)."""
    run: Run = []

    def record(action: str, args: tuple, _state: object) -> None:
        run.append((action, {p: a for (p, _), a in zip(model.ACTIONS[action].params, args)}))

    walk(model, steps, seed=seed, on_step=record)
    return run


def lost_ipis(state: Mapping[str, Any], sent: Iterable[tuple[int, int]]) -> list[str]:
    """For each (vCPU, vector) sent whose handler has not started since: the reason it is lost, if no state of the
    implementation records it any more (IRR; posted in V_IRQ, EVENTINJ or EXITINTINFO, whichever it has)."""
    lost = []
    for c, v in sorted(sent):
        posted = ("v_intr_vector" in state and state["v_irq"][c] and state["v_intr_vector"][c] == v) \
            or any(name in state and state[name][c] == (True, v) for name in ("eventinj", "exitintinfo"))
        if not state["irr"][c] >> v & 1 and not posted:
            lost.append(f"vector {v:#x} sent to vCPU {c} is lost: not in IRR, not posted")
    return lost


def assert_no_lost_ipi(state: Mapping[str, Any], sent: Iterable[tuple[int, int]]) -> None:
    """Fail, naming the vector and the vCPU, if an IPI still owed is recorded nowhere in the implementation."""
    lost = lost_ipis(state, sent)
    if lost:
        raise AssertionError("; ".join(lost))


def owed_after(run: Run, handler_vectors: Iterable[tuple[int, ...]]) -> set[tuple[int, int]]:
    """The IPIs sent whose handler has not started since, told from a run and the handler vector after each step:
    the bookkeeping the spec's ghost `owed` does, done by the test since the implementation has no such state."""
    owed: set[tuple[int, int]] = set()
    for (action, params), handler_vector in zip(run, handler_vectors):
        if action == "send_ipi":
            owed.add((int(params["dst"]), int(params["v"])))  # type: ignore[call-overload]
        elif action in ("take_virq", "deliver_event"):
            c = int(params["c"])  # type: ignore[call-overload]
            owed.discard((c, handler_vector[c]))
    return owed


# ------------------------------------------------------------------------------------------ lockstep random runs


@pytest.mark.parametrize("defines, steps, seeds", [(SMALL, 10000, 3), ({}, 5000, 3)],
                         ids=["vectors-32-33", "vectors-16-255"])
def test_prefix_emulation_conforms_to_svm_virq(models, defines, steps, seeds):
    model = models("svm_virq.irq", defines)
    for seed in range(seeds):
        lockstep(model, prefix_adapter(), random_run(model, steps, seed))


def test_postfix_emulation_conforms_to_svm_evtinj_on_two_vectors(models):
    model = models("svm_evtinj.irq", SMALL)
    for seed in range(3):
        lockstep(model, postfix_adapter(), random_run(model, 10000, seed))


def test_postfix_emulation_conforms_to_svm_evtinj_on_all_vectors(models):
    model = models("svm_evtinj.irq")
    for seed in range(3):
        lockstep(model, postfix_adapter(), random_run(model, 1500, seed))


def test_window_is_requested_behind_a_reinjected_event(models):
    """Regression (found by lockstep with this emulation): vCPU 1's injection of 0x20 is cut short by an exit, an IPI
    of the higher class 0x30 arrives, and the next VMRUN re-injects 0x20. bhyve's svm_inj_interrupts finds 0x30
    pending behind a valid EVENTINJ and asks for an interrupt window (V_IRQ = 1); the spec once left V_IRQ clear."""
    run: Run = [("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": 0x20}), ("vmrun", {"c": 1}),
                ("vmexit", {"c": 1}), ("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": 0x30}),
                ("vmrun", {"c": 1})]
    last = lockstep(models("svm_evtinj.irq"), postfix_adapter(), run)
    assert last.v_irq[1] and last.eventinj[1] == (True, 0x20)


# ---------------------------------------------------------------------------------- the counterexample of svm_virq


class RecordingPrefixAdapter(PrefixAdapter):
    """The pre-fix adapter, keeping what it showed at each observation (the initial state, then after each step)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, Any]] = []

    def observe(self) -> dict[str, Any]:
        state = super().observe()
        self.seen.append(state)
        return state


@pytest.fixture(scope="module")
def virq_counterexample():
    result = check(load_system(SPEC / "svm_virq.irq", SMALL))
    assert result.status == "violated" and result.invariant == "no_lost_ipi"
    return result.trace


def test_prefix_emulation_follows_the_counterexample_and_loses_the_vector(models, virq_counterexample):
    trace = virq_counterexample
    adapter = RecordingPrefixAdapter()
    replay(models("svm_virq.irq", SMALL), [(s.action, s.params, s.state) for s in trace.steps], adapter)
    states = adapter.seen

    run: Run = [(s.action, dict(s.params)) for s in trace.steps[1:] if s.action is not None]
    final = states[-1]
    owed = owed_after(run, [state["handler_vector"] for state in states[1:]])
    c, v = trace.witness["c"], trace.witness["v"]
    assert (c, v) in owed, "the second IPI's handler never ran"
    assert [a for a, p in run if a == "send_ipi" and p["dst"] == c and p["v"] == v] == ["send_ipi"] * 2
    with pytest.raises(AssertionError, match=rf"^vector {v:#x} sent to vCPU {c} is lost: not in IRR, not posted$"):
        assert_no_lost_ipi(final, owed)
    # ... merged into the stale IRR bit that the exit's vlapic_intr_accepted cleared: it sits in ISR once.
    assert final["isr"][c] >> v & 1 and not final["irr"][c] >> v & 1


def test_counterexample_is_not_a_run_of_the_postfix_emulation(models, virq_counterexample):
    actions = virq_counterexample.actions()
    assert "take_virq" in actions
    assert "take_virq" not in models("svm_evtinj.irq", SMALL).ACTIONS
    assert not hasattr(PostfixAdapter, "take_virq") and hasattr(PrefixAdapter, "take_virq")


def test_postfix_emulation_keeps_the_second_ipi_in_irr(models):
    """The counterexample's scenario after the fix: the vector posted by EVENTINJ is in ISR from the injection on,
    so the second IPI waits in IRR, and its handler runs after EOI and IRET."""
    model = models("svm_evtinj.irq", SMALL)
    v = 0x21
    scenario: Run = [("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": v}), ("vmrun", {"c": 1}),
                     ("deliver_event", {"c": 1}), ("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": v}),
                     ("vmexit", {"c": 1})]
    adapter = postfix_adapter()
    lockstep(model, adapter, scenario)
    state = adapter.observe()
    assert state["stage"][1] == "Running" and state["handler_vector"][1] == v
    assert state["irr"][1] == 1 << v and state["isr"][1] == 1 << v
    assert_no_lost_ipi(state, {(1, v)})

    rest: Run = [("vmrun", {"c": 1}), ("ack", {"c": 1}), ("write_eoi", {"c": 1}), ("vmrun", {"c": 1}),
                 ("iret", {"c": 1}), ("vmexit", {"c": 1}), ("vmrun", {"c": 1}), ("deliver_event", {"c": 1})]
    adapter = postfix_adapter()
    lockstep(model, adapter, scenario + rest)
    state = adapter.observe()
    assert state["stage"][1] == "Running" and state["handler_vector"][1] == v, "the second IPI's handler runs"
    assert state["irr"][1] == 0 and state["isr"][1] == 1 << v


def test_lost_ipi_message_names_vector_and_vcpu():
    state = {"irr": (0, 0), "v_irq": (False, False), "v_intr_vector": (0, 0x20)}
    with pytest.raises(AssertionError, match=r"^vector 0x20 sent to vCPU 1 is lost: not in IRR, not posted$"):
        assert_no_lost_ipi(state, {(1, 0x20)})
    assert_no_lost_ipi({**state, "v_irq": (False, True)}, {(1, 0x20)})
