"""The three readings of a spec held against each other, shared by the differential tests: the Z3 encoding (BMC,
prove, the transition relation), the generated Python model, and the explicit-state explorer over that model."""

from __future__ import annotations

from irqspec.pybackend.explore import explore
from irqspec.pybackend.loadmodel import load_model
from irqspec.smt.bmc import check
from irqspec.smt.prove import prove
from irqspec.smt.replay import first_bad_step
from irqspec.runtime.conformance import replay
from irqspec.runtime.trace import Trace
from irqspec.runtime.values import RangeViolation


def steps_of(trace: Trace):
    return [(s.action, s.params, s.state) for s in trace.steps]


def fails_in(model, state, prop: str) -> bool:
    """Whether `prop` (an invariant, or range:<var>) fails in the model's `state`."""
    if not prop.startswith("range:"):
        return prop in [name for name, _ in model.violated_invariants(state)]
    for name, params in model.enabled_actions(state):
        try:
            model.ACTIONS[name].apply(state, *params.values())
        except RangeViolation as err:
            if f": {prop[6:]}" in str(err):
                return True
    return False


def agree(system, max_states: int = 200_000, engines: tuple[str, ...] = ()):
    """Explore, then BMC one step past the explored diameter (or to the counterexample's length); assert they agree
    and that each one's trace is a run of the other's semantics. Each of `engines` then proves: a proof must come
    with a clean exhaustive exploration, a refutation with a violation of the same shortest length. Returns the exploration result."""
    model = load_model(system)
    found = explore(system, max_states=max_states, model=model)
    assert found.status in ("violated", "holds"), found.reason
    depth = len(found.trace) - 1 if found.trace is not None else found.diameter + 1
    bmc = check(system, max_depth=depth)
    if found.status == "holds":
        assert bmc.status == "holds", f"BMC found {bmc.invariant} at depth {bmc.depth_reached}, explorer nothing"
    else:
        assert bmc.status == "violated", f"explorer found {found.invariant} in {depth} steps, BMC nothing"
        assert bmc.depth_reached == depth
        last = replay(model, steps_of(bmc.trace))  # the Z3 trace is a run of the model ...
        assert fails_in(model, last, bmc.invariant)  # ... and ends where the model agrees the property fails
        assert first_bad_step(system, found.trace) is None  # the explorer's trace is a run of the Z3 relation
    for engine in engines:
        result = prove(system, engine=engine, timeout=30)
        expected = "proved" if found.status == "holds" else "refuted"
        assert result.status in (expected, "unknown"), f"{engine}: {result.status} ({result.reason}), explorer: {found.status}"
        if result.status == "refuted":
            assert len(result.trace) - 1 == depth
    return found
