"""Trace validation: is a recorded trace a behaviour of the spec, and if not, where does it leave it?

The check runs event by event, so a long trace stays linear. While the set of states the trace allows is small, it
is kept explicitly on the generated model (`irqspec.runtime.tracecheck`, microseconds per event); when hidden steps
or unknown parameters make it outgrow `limit`, the check goes on symbolically from there (`symbolic.Segment`: Z3
solves for the hidden steps and parameters) until few states remain, and then explicitly again. Both read the same
semantics (the model and the Z3 encoding are held together by the differential tests). The first event that no
behaviour explains is explained by `explain`: per candidate action, the minimal set of guard conjuncts, parameters
and observations that rule it out.

`mapping` turns records (generator/tracefiles) into events; docs/validate.md describes the formats and the map.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from irqspec.runtime.trace import Step, Trace
from irqspec.runtime.tracecheck import Event, Node, Overflow, check_trace, search_trace

from .. import ir
from ..smt.context import in_fresh_context
from .explain import Explanation, explain
from .symbolic import Encoding, Segment

# Back to the explicit frontier when a symbolic segment allows at most this many states.
RETURN_LIMIT = 16


@dataclass
class Validation:
    """The outcome: `consistent`, `inconsistent` (at event `index`, with `explanation`) or `unknown` (the solver
    gave no answer at event `index`). `behaviour` is one run of the spec that explains the events (consistent), or
    one that explains every event before `index`. `symbolic` counts the events checked with Z3."""

    verdict: str
    events: int
    index: int | None = None
    behaviour: Trace | None = None
    explanation: Explanation | None = None
    symbolic: int = 0
    seconds: float = 0.0
    segments: int = 0
    notes: list[str] = field(default_factory=list)


def _dict(model: Any, s: Any) -> dict[str, object]:
    return dict(zip(model.VAR_NAMES, s))


def _trace(model: Any, steps: Sequence[tuple[str, dict, Any]]) -> Trace:
    first = Step(None, {}, _dict(model, model.initial_state()))
    return Trace((first, *(Step(a, dict(p), _dict(model, s)) for a, p, s in steps)))


@in_fresh_context
def validate(system: ir.System, model: Any, events: Sequence[Event], internal: Sequence[str] = (),
             max_hidden: int = 0, limit: int = 4096, timeout_ms: int = 0,
             source_text: Callable[[object], str | None] = lambda span: None,
             symbolic_only: bool = False, budget: int = 2_000_000) -> Validation:
    """Validate `events` against `system` (whose generated model is `model`): first depth-first on the model
    (`search_trace`, within `budget` steps), then by the breadth-first frontier with Z3 beyond `limit` states.
    `symbolic_only` skips both explicit searches (every event goes through Z3: the differential tests hold the
    paths together)."""
    started = time.perf_counter()
    enc = Encoding(system)
    frontier = [Node(model.initial_state())]
    i, symbolic, segments = 0, 0, 0

    def done(verdict: str, **kw: Any) -> Validation:
        return Validation(verdict, len(events), symbolic=symbolic, segments=segments,
                          seconds=time.perf_counter() - started, **kw)

    if not symbolic_only:
        found = search_trace(model, events, internal, max_hidden, budget)
        if found is not None and found.consistent:
            assert found.node is not None
            return done("consistent", behaviour=_trace(model, found.node.path()))
        if found is not None and len(found.before) <= limit:
            seg = Segment(enc, [_dict(model, n.state) for n in found.before], internal, max_hidden, timeout_ms)
            return done("inconsistent", index=found.index, behaviour=_trace(model, found.before[0].path()),
                        explanation=explain(system, seg, found.index, events[found.index], source_text))
    while True:
        if not symbolic_only:
            try:
                v = check_trace(model, events, internal, max_hidden, limit, start=frontier, first=i)
            except Overflow as over:
                i, frontier = over.index, over.before
            else:
                if v.consistent:
                    assert v.node is not None
                    return done("consistent", behaviour=_trace(model, v.node.path()))
                seg = Segment(enc, [_dict(model, n.state) for n in v.before], internal, max_hidden, timeout_ms)
                return done("inconsistent", index=v.index, behaviour=_trace(model, v.before[0].path()),
                            explanation=explain(system, seg, v.index, events[v.index], source_text))
        segments += 1
        seg = Segment(enc, [_dict(model, n.state) for n in frontier], internal, max_hidden, timeout_ms)
        check_at, added = 1, 0
        while i < len(events):
            answer = seg.add(events[i])
            symbolic += 1
            if answer is None:
                return done("unknown", index=i)
            if answer is False:
                behaviour = _path(model, frontier, seg)
                return done("inconsistent", index=i, behaviour=behaviour,
                            explanation=explain(system, seg, i, events[i], source_text))
            i += 1
            added += 1
            if symbolic_only or added < check_at:
                continue
            check_at *= 2  # look for a way back after 1, 2, 4, ... events: cheap when the states stay many
            few = seg.states(RETURN_LIMIT)
            if few is not None:
                frontier = [Node(model.state_from_dict(steps[-1][2]) if steps else frontier[a].state, frontier[a],
                                 tuple((act, p, model.state_from_dict(st)) for act, p, st in steps))
                            for a, steps in few]
                break
        else:
            return done("consistent", behaviour=_path(model, frontier, seg))


def _path(model: Any, frontier: Sequence[Node], seg: Segment) -> Trace:
    """One behaviour through the explicit frontier's anchor and the segment's events."""
    anchor, steps = seg.one()
    head = frontier[anchor].path()
    return _trace(model, [*head, *((a, p, model.state_from_dict(st)) for a, p, st in steps)])
