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

import math
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
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
    full_states: int | None = None  # under symmetry: the states the canonical ones stand for (their orbits' sizes)
    symmetry: str = ""  # the sort whose permutations were factored out ("" when none)


@dataclass(frozen=True)
class Symmetry:
    """The permutations of a scalarset's values acting on the generated model's states (docs/reduction.md,
    "Symmetric vCPUs", and "Symmetry in explore"): a state's maps over the sort are permuted with their index; no
    other part of the state holds a value of the sort (`symmetry` checks that). `canon` is one state per orbit,
    `orbit` the number of distinct images of a state."""

    sort: str
    maps: tuple[int, ...]  # positions in the state tuple of the variables that are maps over the sort
    size: int  # how many values the sort has

    def image(self, s: tuple, perm: Sequence[int]) -> tuple:
        """`s` with new position k of every map over the sort taking old position perm[k]."""
        values = list(s)
        for i in self.maps:
            old = s[i]
            values[i] = tuple(old[j] for j in perm)
        return tuple.__new__(type(s), values)

    def _columns(self, s: tuple) -> list[tuple]:
        return [tuple(s[i][k] for i in self.maps) for k in range(self.size)]

    def canon(self, s: tuple) -> tuple:
        """The orbit's representative: the vCPUs' columns (each one's entry of every map) sorted. Two states of one
        orbit have the same columns in some order, and no other part of the state moves, so they meet here;
        sorting is n log n where the least of the n! images would cost n!."""
        cols = self._columns(s)
        order = sorted(range(self.size), key=cols.__getitem__)
        if all(k == j for k, j in enumerate(order)):
            return s
        return self.image(s, order)

    def orbit(self, s: tuple) -> int:
        """The number of distinct states a permutation makes of `s`: n! over the permutations that fix it (those
        within each group of equal columns)."""
        out = math.factorial(self.size)
        for count in Counter(self._columns(s)).values():
            out //= math.factorial(count)
        return out


def symmetry(system: ir.System) -> Symmetry | str:
    """The symmetry of `system`'s scalarset (the vCPUs), or why there is none to use: the sort must be a scalarset
    (reduction.analyse checks the conditions) and appear in the state only as the domain of maps."""
    from ..reduction import scalarset

    domains = [v.type.domain for v in system.vars if isinstance(v.type, ir.MapType)
               and isinstance(v.type.domain, ir.IntType) and v.type.domain.name]
    if not domains:
        return "no state variable is a map over a named range"
    domain = max(set(domains), key=domains.count)  # the domain most maps are indexed by (the vCPUs)
    sort = domain.name
    why = scalarset(system, sort)
    if why:
        return f"{sort} is not a scalarset (docs/reduction.md, \"Symmetric vCPUs\"): {why}"

    def holds_sort(t: ir.Type) -> bool:
        if isinstance(t, ir.IntType):
            return t.name == sort or (t.lo, t.hi) == (domain.lo, domain.hi)
        if isinstance(t, ir.MapType):
            return holds_sort(t.domain) or holds_sort(t.codomain)
        if isinstance(t, ir.RecordType):
            return any(holds_sort(f) for _, f in t.fields)
        return False

    maps = []
    for i, v in enumerate(system.vars):
        if isinstance(v.type, ir.MapType) and v.type.domain == domain:
            if holds_sort(v.type.codomain):
                return f"{v.name} holds values that may be of {sort} (only maps over {sort} are permuted)"
            maps.append(i)
        elif holds_sort(v.type):
            return f"{v.name} holds values that may be of {sort} (only maps over {sort} are permuted)"
    return Symmetry(sort, tuple(maps), domain.hi - domain.lo + 1)


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
            deadlock: bool = False, symmetric: Symmetry | None = None) -> ExploreResult:
    """Breadth-first search of the states of `system` for the shortest run to a state that breaks an invariant or the
    range property. `max_states` bounds the distinct states kept, `max_depth` the length of runs; either limit, or
    `should_stop()` returning true, ends the search with status "incomplete". `model` is the generated model module
    to run (generated and imported here when not given); `on_state(s)` sees every state checked, in breadth-first
    order. Ctrl-C raises ExploreInterrupted with the states reached. With `deadlock`, a reachable state in which no
    action instance is enabled is a violation too (`DEADLOCK`, TLC's default; a step that would leave a range counts
    as enabled: it is reported as a range violation instead). With `symmetric` (from `symmetry`), each state is kept
    as its canonical image under the sort's permutations: the search visits one state per orbit, finds the same
    verdicts at the same depths (a permutation maps runs to runs and keeps every property), and the result counts
    both; a trace is replayed from the real initial state, so it is a run of the spec."""
    if model is None:
        model = load_model(system)
    start = time.monotonic()
    init = model.initial_state()
    canon = symmetric.canon if symmetric is not None else (lambda x: x)
    first = canon(init)
    parent: dict[Any, tuple[Any, str, dict[str, object]] | None] = {first: None}
    queue: deque[tuple[Any, int]] = deque([(first, 0)])
    deepest = 0
    expanded = 0
    enabled_actions = model.enabled_actions
    actions = model.ACTIONS
    violated_invariants = model.violated_invariants
    limit_hit = ""

    def result(status: str, **kw: Any) -> ExploreResult:
        elapsed = time.monotonic() - start
        if symmetric is not None:
            kw.update(full_states=sum(symmetric.orbit(x) for x in parent), symmetry=symmetric.sort)
            if kw.get("trace") is not None:
                kw["trace"], kw["witness"] = _replayed(model, symmetric, init, kw["trace"], kw.get("invariant"),
                                                       kw.get("witness", {}))
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
                t = canon(t)
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


def _replayed(model: ModuleType, sym: Symmetry, init: Any, trace: Trace, violated: str | None,
              witness: dict[str, object]) -> tuple[Trace, dict[str, object]]:
    """The run of canonical states `trace` as a run of the spec from `init`: at each step an instance of the same
    action whose successor has the next canonical state (a permutation of the one the search took), and the witness
    read again in the last real state."""
    from irqspec.runtime.values import RangeViolation

    cur = init
    steps = [Step(None, {}, model.state_to_dict(cur))]
    for step in trace.steps[1:]:
        info = model.ACTIONS[step.action]
        want = sym.canon(model.state_from_dict(step.state))
        for params in info.instances(cur):
            try:
                nxt = info.apply(cur, *params)
            except RangeViolation:
                continue
            if sym.canon(nxt) == want:
                cur = nxt
                steps.append(Step(step.action, dict(zip([p for p, _ in info.params], params)),
                                  model.state_to_dict(cur)))
                break
        else:  # cannot happen when the sort is a scalarset: the canonical run would not be a run of the quotient
            raise AssertionError(f"no {step.action} step from the replayed state reaches the canonical one")
    if violated is not None and not violated.startswith("range:") and violated != ir.DEADLOCK_PROPERTY:
        again = dict(model.violated_invariants(cur)).get(violated)
        if again is not None:
            witness = dict(again)
    elif violated is not None and violated.startswith("range:"):
        name = witness.get("action")
        info = model.ACTIONS[name] if name in model.ACTIONS else None
        for params in (info.instances(cur) if info is not None else ()):
            try:
                info.apply(cur, *params)
            except RangeViolation as err:
                var, value = _range_fault(err)
                if f"range:{var}" != violated:
                    continue
                witness = {"action": name, "params": dict(zip([p for p, _ in info.params], params)), "var": var,
                           "value": value}
                break
    return Trace(tuple(steps), trace.violated, dict(witness)), witness


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
