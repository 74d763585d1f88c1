"""Explicit-state exploration: breadth-first search over the generated Python model, TLC-style.

The second opinion beside the Z3 backends: it runs the generated model (not the Z3 encoding) from its initial state,
keeps every distinct state it reaches (the model's `State` is hashable), and checks the invariants and the implicit
`range` property in each. Breadth-first order makes the first bad state one at the least depth, and parent pointers
give the shortest counterexample. A state's depth is its distance from the initial state; the diameter is the
greatest depth of any reachable state.

The properties mean what they mean to `generator.smt.bmc.check`: an invariant fails in a state that breaks it, and
`range:<var>` fails in a state from which some enabled action would assign `var` a value outside its range (the
model raises RangeViolation), so a trace from here and one from BMC have the same length.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from irqspec.runtime.trace import Step, Trace
from irqspec.runtime.values import RangeViolation

from .. import ir
from .loadmodel import load_model

# progress(states, queue, depth, elapsed): states found so far, states waiting, depth being expanded, seconds
Progress = Callable[[int, int, int, float], None]

DEADLOCK = ir.DEADLOCK_PROPERTY  # what a deadlock is reported as (no declared property has the name)

_PROGRESS_EVERY = 2048  # states expanded between calls of progress and should_stop


@dataclass(frozen=True)
class ExploreResult:
    """The outcome of `explore`.

    status: "violated" (with the shortest trace), "holds" (every reachable state was checked), or "incomplete" (a
    limit or should_stop ended the search first; nothing bad was found in the states reached). `states` counts the
    distinct states found, `diameter` the greatest depth reached (for "holds": of the whole state space)."""

    status: str  # "violated" | "holds" | "incomplete"
    states: int
    diameter: int
    trace: Trace | None = None
    invariant: str | None = None  # an invariant name, or "range:<var>"
    witness: dict[str, object] = field(default_factory=dict)
    states_per_second: float = 0.0
    reason: str = ""
    elapsed: float = 0.0


class ExploreInterrupted(KeyboardInterrupt):
    """Ctrl-C during `explore`: carries how far the search got."""

    def __init__(self, states: int, depth: int, elapsed: float):
        super().__init__(f"interrupted after {states} states, depth {depth}")
        self.states = states
        self.depth = depth
        self.elapsed = elapsed


def _range_fault(err: RangeViolation) -> tuple[str, object]:
    """The variable and value a RangeViolation names: its message reads "<action>: <var>[..] would be <value>,
    outside <lo>..<hi>" (generator/pybackend/codegen.py)."""
    text = str(err.args[0]) if err.args else ""
    where, _, rest = text.partition(": ")[2].partition(" would be ")
    for stop in ("[", "."):
        where = where.split(stop, 1)[0]
    value_text = rest.rpartition(", outside ")[0]
    try:
        value: object = int(value_text)
    except ValueError:
        value = value_text
    return where, value


def explore(system: ir.System, max_states: int | None = None, max_depth: int | None = None,
            progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
            model: ModuleType | None = None, on_state: Callable[[Any], None] | None = None,
            deadlock: bool = False) -> ExploreResult:
    """Breadth-first search of the states of `system` for the shortest run to a state that breaks an invariant or the
    range property. `max_states` bounds the distinct states kept, `max_depth` the length of runs; either limit, or
    `should_stop()` returning true, ends the search with status "incomplete". `model` is the generated model module
    to run (generated and imported here when not given); `on_state(s)` sees every state checked, in breadth-first
    order. Ctrl-C raises ExploreInterrupted with the states reached. With `deadlock`, a reachable state in which no
    action instance is enabled is a violation too (`DEADLOCK`, TLC's default; a step that would leave a range counts
    as enabled: it is reported as a range violation instead)."""
    if model is None:
        model = load_model(system)
    start = time.monotonic()
    init = model.initial_state()
    parent: dict[Any, tuple[Any, str, dict[str, object]] | None] = {init: None}
    queue: deque[tuple[Any, int]] = deque([(init, 0)])
    deepest = 0
    expanded = 0
    enabled_actions = model.enabled_actions
    actions = model.ACTIONS
    violated_invariants = model.violated_invariants
    limit_hit = ""

    def result(status: str, **kw: Any) -> ExploreResult:
        elapsed = time.monotonic() - start
        return ExploreResult(status, len(parent), deepest, states_per_second=len(parent) / elapsed if elapsed else 0.0,
                             elapsed=elapsed, **kw)

    try:
        while queue:
            s, depth = queue.popleft()
            deepest = max(deepest, depth)
            if on_state is not None:
                on_state(s)
            bad = violated_invariants(s)
            if bad:
                name, witness = bad[0]
                return result("violated", trace=_trace(model, parent, s, name, witness), invariant=name,
                              witness=dict(witness), reason=f"{name} violated at depth {depth}")
            expanded += 1
            if expanded % _PROGRESS_EVERY == 0:
                if progress is not None:
                    progress(len(parent), len(queue), depth, time.monotonic() - start)
                if should_stop is not None and should_stop():
                    return result("incomplete", reason=f"stopped at depth {depth}")
            expand = max_depth is None or depth < max_depth
            stuck = True
            for name, params in enabled_actions(s):
                stuck = False
                info = actions[name]
                try:
                    t = info.apply(s, *params.values())
                except RangeViolation as err:
                    var, value = _range_fault(err)
                    witness = {"action": name, "params": dict(params), "var": var, "value": value}
                    return result("violated", trace=_trace(model, parent, s, f"range:{var}", witness),
                                  invariant=f"range:{var}", witness=witness,
                                  reason=f"range:{var} violated at depth {depth}")
                if not expand:
                    if t not in parent:
                        limit_hit = limit_hit or f"depth limit {max_depth} reached"
                    continue
                if t not in parent:
                    if max_states is not None and len(parent) >= max_states:
                        limit_hit = f"state limit {max_states} reached"
                        continue
                    parent[t] = (s, name, params)
                    queue.append((t, depth + 1))
            if deadlock and stuck:
                return result("violated", trace=_trace(model, parent, s, DEADLOCK, {}), invariant=DEADLOCK,
                              reason=f"deadlock at depth {depth}: no action is enabled")
    except KeyboardInterrupt:
        raise ExploreInterrupted(len(parent), deepest, time.monotonic() - start) from None
    if limit_hit:
        return result("incomplete", reason=limit_hit)
    return result("holds", reason=f"all {len(parent)} reachable states checked")


def _trace(model: ModuleType, parent: dict[Any, Any], last: Any, violated: str,
           witness: dict[str, object]) -> Trace:
    """The run from the initial state to `last`, following parent pointers back."""
    steps: list[Step] = []
    s = last
    while True:
        link = parent[s]
        if link is None:
            steps.append(Step(None, {}, model.state_to_dict(s)))
            break
        pre, action, params = link
        steps.append(Step(action, dict(params), model.state_to_dict(s)))
        s = pre
    steps.reverse()
    return Trace(tuple(steps), violated, dict(witness))
