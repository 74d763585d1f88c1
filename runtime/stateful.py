"""A Hypothesis rule-based state machine for a generated reference model.

`build_state_machine(model)` reads the model's ACTIONS table: one rule per action, enabled only when some instance of
the action is enabled (the precondition), whose parameters are drawn one by one, in declaration order, from the values
of their domains that still leave an enabled instance (so every drawn step is enabled and shrinks towards the first
values of the domains); after every step every invariant of the model is checked. A failing run shrinks to a short
trace; the assertion message lists it step by step with the failing state and the invariant's witness.

Swarm testing (`swarm=True`): each run first draws the actions it may take (all of them, or a random subset); a
run that can take none of its actions in a state stutters there as below. Off by default: at the committed suites'
size (30 runs of 20 steps) it cut the mutants of bench/bench_mutants.py killed from 34 to 32 (fewer steps taken);
it is meant for long nightly runs (IRQSPEC_PROPERTY_SWARM=1 in a generated property test).

A state in which no action is enabled (a deadlock, or the initial state of a spec without actions) violates no
invariant, and Hypothesis needs a rule it can run there: one more rule, `no_action_enabled`, is enabled exactly in such
states and stutters (the state stays, the invariants are checked again, the machine counts the stuttering steps in
`stutters` and reports a Hypothesis event).
"""

from __future__ import annotations

import keyword
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .values import RangeViolation


def _rule_name(action: str, taken: set[str]) -> str:
    name = action if action.isidentifier() and not keyword.iskeyword(action) else "action"
    if name in taken or hasattr(RuleBasedStateMachine, name) or name.startswith("_"):
        name = "action_" + name.lstrip("_")
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _make_rule(info: Any, name: str, model_name: str):
    def some_instance(self) -> bool:
        return info.name in self.swarm and next(iter(info.instances(self.state)), None) is not None

    def take(self, data) -> None:
        instances = list(info.instances(self.state))
        chosen: tuple = ()
        for i, (name, _) in enumerate(info.params):
            choices = list(dict.fromkeys(t[i] for t in instances if t[:i] == chosen))
            chosen += (data.draw(st.sampled_from(choices), label=name),)
        params = dict(zip((p for p, _ in info.params), chosen))
        try:
            self.state = info.apply(self.state, *chosen)
        except RangeViolation as err:  # the implicit property `range` fails: report it like an invariant
            args = ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise AssertionError(f"{model_name}: range violated after {len(self.steps) - 1} steps, by "
                                 f"{info.name}({args}): {err}\n" + describe_run(self.steps)) from None
        self.steps.append((info.name, params, self.state))

    take.__name__ = take.__qualname__ = name
    return precondition(some_instance)(rule(data=st.data())(take))


STUTTER_RULE = "no_action_enabled"


def _make_stutter_rule(model: Any):
    def nothing_enabled(self) -> bool:
        return not any(name in self.swarm for name, _ in model.enabled_actions(self.state))

    def no_action_enabled(self) -> None:
        """No action is enabled in this state: the run stutters here (a deadlock is no violation of an invariant)."""
        self.stutters += 1
        event("no action is enabled: the run stutters")

    return precondition(nothing_enabled)(rule()(no_action_enabled))


def describe_run(steps: list[tuple[str, dict, Any]]) -> str:
    """A run as numbered lines: `3. take_virq(c=1) -> State(...)`."""
    lines = []
    for i, (action, params, state) in enumerate(steps):
        args = ", ".join(f"{k}={v!r}" for k, v in params.items())
        lines.append(f"{i}. {action}({args})" + (f" -> {state!r}" if i == len(steps) - 1 else ""))
    return "\n".join(lines)


def build_state_machine(model: Any, check_invariants: bool = True, swarm: bool = False) -> type[RuleBasedStateMachine]:
    """A RuleBasedStateMachine class over `model` (a generated `<module>_model` module); with `swarm`, each run
    first draws the actions it may take (swarm testing)."""

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)
        self.state = model.initial_state()
        self.steps = [("init", {}, self.state)]
        self.stutters = 0  # steps taken by the stutter rule (the state had no enabled action)
        self.swarm = frozenset(model.ACTIONS)  # the actions this run may take (see choose_swarm)

    def choose_swarm(self, data) -> None:
        """Swarm testing (Groce et al., ISSTA 2012): half the runs take every action, the others a random non-empty
        subset, so that runs where a frequent action (a timer exit, say) never fires reach states it would
        otherwise cut short. A failing run shrinks towards the fewest actions it needs."""
        names = sorted(model.ACTIONS)
        if names and data.draw(st.booleans(), label="swarm"):
            self.swarm = frozenset(data.draw(st.sets(st.sampled_from(names), min_size=1), label="actions"))

    namespace: dict[str, Any] = {"__init__": __init__, "__doc__": f"Random runs of the model of {model.SPEC}."}
    if swarm:
        namespace["choose_swarm"] = initialize(data=st.data())(choose_swarm)
    taken: set[str] = {"state", "steps", "stutters", "swarm", "choose_swarm", "invariants_hold", STUTTER_RULE}
    for info in model.ACTIONS.values():
        name = _rule_name(info.name, taken)
        namespace[name] = _make_rule(info, name, model.SPEC)
    namespace[STUTTER_RULE] = _make_stutter_rule(model)

    if check_invariants:
        def invariants_hold(self) -> None:
            violated = model.violated_invariants(self.state)
            if violated:
                names = ", ".join(f"{n} (witness {w})" for n, w in violated)
                raise AssertionError(f"{model.SPEC}: invariant violated after {len(self.steps) - 1} steps: {names}\n"
                                     + describe_run(self.steps))
        namespace["invariants_hold"] = invariant()(invariants_hold)

    return type(f"{model.SPEC}_machine", (RuleBasedStateMachine,), namespace)
