"""Liveness on the explicit state graph: fair cycles that never reach `q`, TLC-style; the second opinion beside
`generator.smt.liveness`.

The graph is every state reachable from the initial one (the generated model's steps; a step whose range-checked
assignment would leave its range is no step, as in the Z3 encoding). `p ~> q` fails for values b of its binders when
some reachable state has p(b) and not q(b) and, from it, a fair behaviour never meets q(b): a path inside the states
where q(b) is false into a strongly connected set C of them that a fair behaviour can stay in forever. Every state
may stutter, so every state is a (trivial) cycle. C is fair (the Emerson-Lei / Streett check TLC makes too) when
- each instance of a `fair` action is taken on some edge inside C, or is disabled in some state of C;
- each instance of a `strong fair` action is taken inside C, or is disabled in every state of C; an instance that
  breaks this is enabled somewhere in C and never taken, so the states where it is enabled are removed and what is
  left is decomposed again.
"Enabled" means enabled for a step that changes the state (ENABLED <<A>>_vars), and "taken" a step s -> t with t != s
that the instance allows (whatever label it carries); for an action with a `when` clause, both only in states where
the clause holds.

The lasso printed for a failure is: the shortest run from the initial state to a state with p and not q that can reach
a fair set, a shortest path inside not-q to that set, and a cycle inside it through the edges and states its fairness
needs, back to where it entered. It is a valid counterexample, not necessarily the shortest lasso (BMC's is).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from irqspec.runtime.trace import Step, Trace
from irqspec.runtime.values import RangeViolation

from .. import ir
from .loadmodel import load_model


@dataclass(frozen=True)
class LivenessResult:
    """The outcome of `check_liveness`: "violated" (with a lasso: `trace.steps[-1]` repeats `trace.steps[loop]`),
    "holds" (every reachable state was searched) or "incomplete" (a limit ended the search first)."""

    status: str  # "violated" | "holds" | "incomplete"
    states: int
    prop: str | None = None
    witness: dict[str, object] = field(default_factory=dict)
    trace: Trace | None = None
    loop: int | None = None
    reason: str = ""
    elapsed: float = 0.0


@dataclass
class Graph:
    """The reachable states (index 0 the initial one), their BFS parents, the edges to other states with the fair
    instances each realizes, and the fair instances enabled (for a change) in each state."""

    states: list[Any]
    parent: list[tuple[int, str, dict[str, object]] | None]
    depth: list[int]
    edges: list[list[tuple[int, str, dict[str, object], int]]]  # (target, action, params, fair instance or -1)
    enabled: list[frozenset[int]]
    fair: list[tuple[str, tuple, str]]  # fair instance id -> (action, parameter values, "weak" | "strong")
    complete: bool = True
    reason: str = ""


def fair_instances(model: ModuleType) -> list[tuple[str, tuple, str]]:
    """Every instance of every fair action: (action, parameter values in declaration order, kind)."""
    out = []
    for name, kind in model.FAIRNESS.items():
        info = model.ACTIONS[name]
        for values in itertools.product(*[list(d) for _, d in info.params]):
            out.append((name, tuple(values), kind))
    return out


def build_graph(model: ModuleType, max_states: int | None = None,
                should_stop: Callable[[], bool] | None = None) -> Graph:
    """Every state reachable from the initial one, breadth first, with the edges and enabledness liveness needs."""
    fair = fair_instances(model)
    fair_id = {(a, v): i for i, (a, v, _) in enumerate(fair)}
    init = model.initial_state()
    index = {init: 0}
    g = Graph([init], [None], [0], [], [], fair)
    actions = model.ACTIONS
    when = model.FAIR_WHEN
    i = 0
    while i < len(g.states):
        if should_stop is not None and i % 1024 == 0 and should_stop():
            g.complete, g.reason = False, f"stopped after {len(g.states)} states"
            break
        s = g.states[i]
        out: list[tuple[int, str, dict[str, object], int]] = []
        enabled: set[int] = set()
        for name, params in model.enabled_actions(s):
            values = tuple(params.values())
            try:
                t = actions[name].apply(s, *values)
            except RangeViolation:
                continue  # no step (the range property reports it)
            if t == s:
                continue  # a stutter: enables nothing, takes nothing
            f = fair_id.get((name, values), -1)
            if f >= 0 and name in when and not when[name](s, *values):
                f = -1  # outside its `when` clause the step is not a fair one
            if f >= 0:
                enabled.add(f)
            j = index.get(t)
            if j is None:
                if max_states is not None and len(g.states) >= max_states:
                    g.complete, g.reason = False, f"state limit {max_states} reached"
                    continue
                j = index[t] = len(g.states)
                g.states.append(t)
                g.parent.append((i, name, dict(params)))
                g.depth.append(g.depth[i] + 1)
            out.append((j, name, dict(params), f))
        g.edges.append(out)
        g.enabled.append(frozenset(enabled))
        i += 1
    while len(g.edges) < len(g.states):  # states found but not expanded (a limit)
        g.edges.append([])
        g.enabled.append(frozenset())
    return g


def check_liveness(system: ir.System, names: Iterable[str] | None = None, model: ModuleType | None = None,
                   max_states: int | None = None, should_stop: Callable[[], bool] | None = None,
                   graph: Graph | None = None) -> LivenessResult:
    """Search every liveness property of `system` (or those in `names`), for every value of its binders, for a fair
    behaviour that meets p and then never q (module docstring). The first found, in declaration and binder order,
    is returned with its lasso."""
    start = time.monotonic()
    if model is None:
        model = load_model(system)
    props = [system.live(n) for n in names] if names is not None else list(system.liveness)
    if graph is None:
        graph = build_graph(model, max_states, should_stop)
    for prop in props:
        info = model.LIVENESS[prop.name]
        for values in itertools.product(*[list(d) for _, d in info.binders]):
            found = _violation(graph, info, values)
            if found is not None:
                trace, loop = found
                witness = {b: v for (b, _), v in zip(info.binders, values)}
                trace = Trace(tuple(Step(a, p, model.state_to_dict(graph.states[i])) for i, a, p in trace),
                              prop.name, witness, loop)
                return LivenessResult("violated", len(graph.states), prop.name, witness, trace, loop,
                                      f"{prop.name} violated: a lasso of {len(trace) - 1} steps",
                                      time.monotonic() - start)
    if not graph.complete:
        return LivenessResult("incomplete", len(graph.states), reason=graph.reason, elapsed=time.monotonic() - start)
    return LivenessResult("holds", len(graph.states), reason=f"all {len(graph.states)} reachable states searched",
                          elapsed=time.monotonic() - start)


def _violation(g: Graph, info: Any, values: tuple) -> tuple[list[tuple[int, str | None, dict]], int] | None:
    """The lasso (state index, action into it, parameters) and its loop index for one binder value, or None."""
    n = len(g.states)
    notq = [not info.q(s, *values) for s in g.states]
    starts = [i for i in range(n) if notq[i] and info.p(g.states[i], *values)]
    if not starts:
        return None
    # the not-q states reachable from a start inside not-q
    region: set[int] = set(starts)
    todo = list(starts)
    while todo:
        u = todo.pop()
        for v, *_ in g.edges[u]:
            if notq[v] and v not in region:
                region.add(v)
                todo.append(v)
    fair_set = _fair_scc(g, region)
    if fair_set is None:
        return None
    # the starts that reach the fair set inside the region, and the nearest of them to the initial state
    back: dict[int, int] = {u: u for u in fair_set}  # state -> next state towards the fair set
    preds: dict[int, list[int]] = {}
    for u in region:
        for v, *_ in g.edges[u]:
            if v in region:
                preds.setdefault(v, []).append(u)
    queue = deque(fair_set)
    while queue:
        v = queue.popleft()
        for u in preds.get(v, ()):
            if u not in back:
                back[u] = v
                queue.append(u)
    first = min((i for i in starts if i in back), key=lambda i: (g.depth[i], i))
    path: list[tuple[int, str | None, dict]] = []
    i = first
    while g.parent[i] is not None:
        pre, a, params = g.parent[i]  # type: ignore[misc]
        path.append((i, a, params))
        i = pre
    path.append((0, None, {}))
    path.reverse()
    u = first
    while u not in fair_set:  # into the fair set, inside not-q
        v = back[u]
        a, params = next((a, p) for t, a, p, _ in g.edges[u] if t == v)
        path.append((v, a, params))
        u = v
    loop = len(path) - 1
    path.extend(_cycle(g, fair_set, u))
    return path, loop


def _fair_scc(g: Graph, nodes: set[int]) -> set[int] | None:
    """A strongly connected set inside `nodes` that a fair behaviour can stay in forever, or None."""
    for comp in _sccs(g, nodes):
        taken = {f for u in comp for v, _, _, f in g.edges[u] if f >= 0 and v in comp}
        weak_broken = any(kind == "weak" and f not in taken and all(f in g.enabled[u] for u in comp)
                          for f, (_, _, kind) in enumerate(g.fair))
        if weak_broken:
            continue  # it stays broken in every part of the set
        strong_broken = [f for f, (_, _, kind) in enumerate(g.fair)
                         if kind == "strong" and f not in taken and any(f in g.enabled[u] for u in comp)]
        if not strong_broken:
            return comp
        rest = {u for u in comp if not any(f in g.enabled[u] for f in strong_broken)}
        if rest:
            found = _fair_scc(g, rest)
            if found is not None:
                return found
    return None


def _sccs(g: Graph, nodes: set[int]) -> list[set[int]]:
    """The strongly connected components of the graph restricted to `nodes` (Tarjan's algorithm, iterative), in
    ascending order of their smallest state."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[set[int]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter([v for v, *_ in g.edges[root] if v in nodes]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            u, it = work[-1]
            advanced = False
            for v in it:
                if v not in index:
                    index[v] = low[v] = counter
                    counter += 1
                    stack.append(v)
                    on_stack.add(v)
                    work.append((v, iter([w for w, *_ in g.edges[v] if w in nodes])))
                    advanced = True
                    break
                if v in on_stack:
                    low[u] = min(low[u], index[v])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[u])
            if low[u] == index[u]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == u:
                        break
                out.append(comp)
    out.sort(key=min)
    return out


def _cycle(g: Graph, comp: set[int], entry: int) -> list[tuple[int, str | None, dict]]:
    """A cycle from `entry` back to it inside `comp` that meets every fairness requirement: each weakly fair instance
    disabled in some state of the cycle or taken on it, each strongly fair one disabled in every state of it or taken.
    Built greedily (the nearest state or edge that meets the first requirement not met yet, then home), so short but
    not always shortest; a stutter when nothing is needed. `comp` passed `_fair_scc`, so every requirement can be met."""
    steps: list[tuple[int, str | None, dict]] = []
    visited, taken = {entry}, set()

    def walk(path: list[tuple[int, str | None, dict]], at: int) -> int:
        for v, a, p in path:
            taken.update(f for w, _, _, f in g.edges[at] if w == v and f >= 0)
            visited.add(v)
            steps.append((v, a, p))
            at = v
        return at

    def unmet() -> int | None:
        for f, (_, _, kind) in enumerate(g.fair):
            if f in taken:
                continue
            if kind == "weak" and all(f in g.enabled[u] for u in visited):
                return f
            if kind == "strong" and any(f in g.enabled[u] for u in visited):
                return f
        return None

    at = entry
    while True:
        f = unmet()
        if f is None:
            if at == entry:
                break
            at = walk(_path(g, comp, at, lambda u: u == entry), at)
            continue
        off = [u for u in comp if f not in g.enabled[u]] if g.fair[f][2] == "weak" else []
        if off:
            at = walk(_path(g, comp, at, lambda u: f not in g.enabled[u]), at)
            continue
        # take an edge of f: the nearest state with one, then the edge
        at = walk(_path(g, comp, at, lambda u: any(e == f and v in comp for v, _, _, e in g.edges[u])), at)
        v, a, p, _ = next(e for e in g.edges[at] if e[3] == f and e[0] in comp)
        at = walk([(v, a, p)], at)
    if not steps:
        steps.append((entry, None, {}))  # stutter forever
    return steps


def _path(g: Graph, comp: set[int], src: int, goal: Callable[[int], bool]) -> list[tuple[int, str | None, dict]]:
    """A shortest path inside comp from src to the nearest state meeting `goal` (empty when src does), as (state,
    action, params) steps."""
    if goal(src):
        return []
    prev: dict[int, tuple[int, str, dict]] = {}
    queue = deque([src])
    seen = {src}
    dst = None
    while queue and dst is None:
        u = queue.popleft()
        for v, a, p, _ in g.edges[u]:
            if v in comp and v not in seen:
                seen.add(v)
                prev[v] = (u, a, p)
                if goal(v):
                    dst = v
                    break
                queue.append(v)
    assert dst is not None, "the component is strongly connected"
    out = []
    v = dst
    while v != src:
        u, a, p = prev[v]
        out.append((v, a, p))
        v = u
    out.reverse()
    return out
