"""Is a lasso a fair behaviour of a model that violates one of its liveness properties? Standard library only.

A lasso is a trace whose last state repeats the state at index `loop`: the behaviour is the prefix up to `loop`, then
the steps from `loop` to the end over and over. Each step after the first is an action instance of the model or a
stutter (action None, the state unchanged). `lasso_problems` lists what is wrong with one (nothing: it is a
counterexample), reading only the generated model: its actions, FAIRNESS and LIVENESS (generator/ir.py, Liveness,
gives the meaning).
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping, Sequence

from .values import RangeViolation


def _changes(model: Any, s: Any, name: str, values: tuple) -> Any:
    """The successor of `s` by the instance when it is enabled, its `when` clause (if any) holds, and it changes the
    state; else None."""
    info = model.ACTIONS[name]
    if not info.enabled(s, *values):
        return None
    when = model.FAIR_WHEN.get(name)
    if when is not None and not when(s, *values):
        return None
    try:
        t = info.apply(s, *values)
    except RangeViolation:
        return None
    return None if t == s else t


def lasso_problems(model: Any, states: Sequence[Any], steps: Sequence[tuple[str | None, Mapping[str, object]]],
                   loop: int, prop: str, witness: Mapping[str, object]) -> list[str]:
    """What keeps `states` (model States; states[-1] == states[loop]) with `steps` (the (action, params) into each
    state after the first) from being a fair behaviour that violates liveness `prop` for the binder values `witness`.
    An empty list: it is one."""
    problems: list[str] = []
    if states[0] != model.initial_state():
        problems.append("the first state is not the initial state")
    if not 0 <= loop < len(states) - 1:
        return problems + [f"loop index {loop} is not before the last state"]
    if states[-1] != states[loop]:
        problems.append(f"the last state does not repeat state {loop}")
    for i, ((name, params), s, t) in enumerate(zip(steps, states, states[1:]), 1):
        if name is None:
            if s != t:
                problems.append(f"step {i} is a stutter that changes the state")
            continue
        info = model.ACTIONS[name]
        values = tuple(params[p] for p, _ in info.params)
        if not info.enabled(s, *values):
            problems.append(f"step {i}: {name}{values} is not enabled")
        elif info.apply(s, *values) != t:
            problems.append(f"step {i}: {name}{values} does not lead to the next state")
    live = model.LIVENESS[prop]
    args = tuple(witness[b] for b, _ in live.binders)
    cycle = list(range(loop, len(states) - 1))
    # p holds somewhere and q never from there on: the states after it and every state of the loop
    met = [j for j in range(len(states) - 1) if live.p(states[j], *args)
           and not any(live.q(states[i], *args) for i in set(range(j, len(states) - 1)) | set(cycle))]
    if not met:
        problems.append(f"no state where {prop}'s left side holds is followed only by states where its right side fails")
    for name, kind in model.FAIRNESS.items():
        info = model.ACTIONS[name]
        for values in itertools.product(*[list(d) for _, d in info.params]):
            enabled = [_changes(model, states[i], name, values) is not None for i in cycle]
            taken = any(_changes(model, states[i], name, values) == states[i + 1] for i in cycle)
            if taken:
                continue
            if kind == "weak" and all(enabled):
                problems.append(f"{name}{values} is weakly fair, enabled in every state of the loop and never taken")
            if kind == "strong" and any(enabled):
                problems.append(f"{name}{values} is strongly fair, enabled in the loop and never taken")
    return problems


def unroll(steps: Sequence[tuple], loop: int, times: int) -> list[tuple]:
    """A lasso's recorded steps (action, params, changes; stutters with action None) with its loop taken `times`
    times and its stutters left out (an implementation takes no step for them): the run a generated lasso test
    drives. Each recorded step lists only what changes from the step before, and the loop ends in the state it
    started from, so the loop's steps can follow themselves."""
    out = list(steps[:loop + 1]) + list(steps[loop + 1:]) * times
    return [out[0]] + [s for s in out[1:] if s[0] is not None]
