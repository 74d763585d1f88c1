"""Does a suite kill a mutant? Each trace of the suite replayed on the spec's model with the mutant's model in lockstep.

The mutant's generated model stands where an implementation stands when the generated tests run with an adapter:
`irqspec.runtime.conformance.replay` takes each recorded step on the spec's model and on the mutant, and compares what the
mutant shows (the observed variables) with the model after every step. A test kills the mutant when the mutant
diverges from it, cannot take a step (its guard is false), or raises RangeViolation on one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

from irqspec.runtime.conformance import Divergence, Refused, refuse, replay
from irqspec.runtime.trace import Trace
from irqspec.runtime.values import RangeViolation


@dataclass(frozen=True)
class Kill:
    test: str  # "file::test", as `GenResult.traces` names it
    detail: str  # the first divergence


def steps_of(trace: Trace) -> list[tuple[str | None, dict[str, object], dict[str, object]]]:
    """A trace as the (action, params, expected state) steps `irqspec.runtime.conformance.replay` takes."""
    return [(s.action, dict(s.params), dict(s.state)) for s in trace.steps]


class MutantUnderTest:
    """A generated model driven through the adapter protocol (`irqspec.runtime.conformance.Adapter`). The action methods
    have names no action can take (`_act_0`, ...), so an action called `reset` or `observe` cannot shadow the
    protocol's own methods."""

    refuses = True  # a step the mutant's guard does not enable raises Refused (refusal tests ask for it)

    def __init__(self, model: ModuleType, observes: Sequence[str]):
        self.model = model
        self.observes = tuple(observes)
        self.names = list(model.ACTIONS)
        self.actions = {a: f"_act_{i}" for i, a in enumerate(self.names)}
        self.state = model.initial_state()
        self.steps = 0

    def reset(self) -> None:
        self.state = self.model.initial_state()
        self.steps = 0

    def observe(self) -> dict[str, object]:
        return self.model.state_to_dict(self.state)

    def take(self, action: str, params: Mapping[str, object]) -> None:
        self.steps += 1
        info = self.model.ACTIONS[action]
        args = [params[p] for p, _ in info.params]
        if not info.enabled(self.state, *args):
            raise Refused(f"{action}{tuple(args)} is not enabled in the mutant")
        self.state = info.apply(self.state, *args)

    def __getattr__(self, name: str):
        if name.startswith("_act_"):
            action = self.names[int(name[len("_act_"):])]
            return lambda **params: self.take(action, params)
        raise AttributeError(name)


def stale_tests(spec_model: ModuleType, suite: Mapping[str, Trace]) -> list[str]:
    """The tests whose trace does not replay on the spec's own model (a suite of another version of the spec)."""
    out = []
    for name, trace in suite.items():
        try:
            replay(spec_model, steps_of(trace))
        except (Divergence, RangeViolation):
            out.append(name)
    return out


Refusals = Sequence[tuple[str, Mapping[str, object]]]  # steps a test checks are refused at its trace's end


def kills(spec_model: ModuleType, mutant_model: ModuleType, trace: Trace, observed: Sequence[str],
          refusals: Refusals = ()) -> str | None:
    """Why replaying `trace` in lockstep, then checking that the steps `refusals` are refused at its end, fails on
    the mutant (None: the mutant passes). `trace` must replay on the spec's model (see `stale_tests`)."""
    mutant = MutantUnderTest(mutant_model, observed)
    try:
        last = replay(spec_model, steps_of(trace), mutant)
        for action, params in refusals:
            refuse(spec_model, last, action, params, mutant, len(trace) - 1)
    except Divergence as err:
        return str(err)
    except RangeViolation as err:
        return f"the mutant raises RangeViolation: {err}"
    return None


def killing_tests(spec_model: ModuleType, mutant_model: ModuleType, suite: Mapping[str, Trace],
                  observed: Sequence[str], refusals: Mapping[str, Refusals] | None = None) -> list[Kill]:
    """Every test of `suite` that fails on the mutant, in the suite's order (`refusals`: the steps each test checks
    are refused at its end)."""
    out = []
    for name, trace in suite.items():
        why = kills(spec_model, mutant_model, trace, observed, (refusals or {}).get(name, ()))
        if why is not None:
            out.append(Kill(name, why))
    return out


__all__ = ["Kill", "MutantUnderTest", "Refusals", "killing_tests", "kills", "stale_tests", "steps_of"]
