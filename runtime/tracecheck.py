"""Is a recorded trace a behaviour of a generated model? Explicit trace checking, standard library only.

A trace is a sequence of `Event`s. An event names the action it stands for (or several candidate actions, or none:
then it only observes the state), may give some of the action's parameters, and may observe parts of the state after
it (`Observation`: `irr[1]`, `eventinj[0].valid`, one bit `irr[1][48]`). Before each event, up to `max_hidden`
unrecorded steps of the actions named `internal` may happen.

`check_trace` keeps the set of every state the model can be in after the events read so far (the frontier), each
with one path that reaches it, and advances it event by event: the hidden steps, then the event's step, then the
observations. The trace is consistent when the frontier never empties; the first event after which it is empty is
the first one no behaviour explains. The frontier is exact, so nothing is guessed; its size is bounded by `limit`,
beyond which the check stops with `Overflow` (irqspec validate then continues symbolically, with Z3, from the last
frontier). A step that would leave a variable's range (RangeViolation) is no step, as in every other engine.

This is what `irqspec gen`'s `trace_check` helper runs in an implementation's own tests, and `irqspec validate`'s
fast path; generator/validation holds the symbolic path and the explanation of a rejection.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .values import RangeViolation

_PATH = re.compile(r"\s*(?:\[\s*([^\[\]]+?)\s*\]|\.\s*([A-Za-z_][A-Za-z0-9_]*))")
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")


class TraceError(ValueError):
    """An event that does not fit the model: an unknown action, parameter or variable, or a value of the wrong
    shape. (A value of the right shape that the model cannot have is not an error: no behaviour explains it.)"""


@dataclass(frozen=True)
class Observation:
    """A part of the state observed after an event: `path` as written (canonical form), the variable's index in the
    state, the positions inside its value (map entries and record fields), a bit of a bits[N] value when `bit` is
    set, and the observed IR value (`possible` False when the value lies outside the part's type)."""

    path: str
    var: int
    positions: tuple[int, ...]
    bit: int | None
    value: object
    possible: bool = True

    def read(self, state: Sequence[object]) -> object:
        v: Any = state[self.var]
        for p in self.positions:
            v = v[p]
        return (v >> self.bit) & 1 == 1 if self.bit is not None else v

    def holds(self, state: Sequence[object]) -> bool:
        return self.possible and self.read(state) == self.value


@dataclass(frozen=True)
class Event:
    """One event of a trace: candidate actions (empty: no step, only observations), the parameter values it gives
    (a subset of each candidate's), and what it observes of the state after it. `label` says where it was read."""

    actions: tuple[str, ...]
    params: Mapping[str, object] = field(default_factory=dict)
    observed: tuple[Observation, ...] = ()
    label: str = ""
    impossible: str = ""  # a parameter value outside its domain: no step of the model matches it


# ----------------------------------------------------------------------------------------------- values and paths


def _int(raw: Any, what: str) -> int:
    if isinstance(raw, dict) and "#bigint" in raw:
        raw = raw["#bigint"]
        if isinstance(raw, str) and re.fullmatch(r"-?[0-9]+", raw):
            return int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise TraceError(f"{what}: expected an integer, found {raw!r}")


def value_from_json(raw: Any, desc: tuple, what: str) -> tuple[object, bool]:
    """The IR value of a plain JSON value (or its ITF form) of the type `desc` (the model's VAR_TYPES / PARAM_TYPES
    descriptors), and whether it lies inside the type. bits[N]: a list of set bit indices (or ITF's {"#set": ...});
    record: an object; map: a list over the domain in order, an object keyed by the domain's values, or ITF's
    {"#map": ...}; enum: the member's name (or Quint's {"tag": name}). Raises TraceError for a value of the wrong
    shape."""
    kind = desc[0]
    if kind == "bool":
        if not isinstance(raw, bool):
            raise TraceError(f"{what}: expected true or false, found {raw!r}")
        return raw, True
    if kind == "int":
        return _int(raw, what), True  # the domain is checked by the caller, which knows it
    if kind == "bits":
        items = raw["#set"] if isinstance(raw, dict) and "#set" in raw else raw
        if not isinstance(items, list):
            raise TraceError(f"{what}: expected a list of bit indices, found {raw!r}")
        out, ok = 0, True
        for i in items:
            index = _int(i, what)
            if 0 <= index < desc[1]:
                out |= 1 << index
            else:
                ok = False
        return out, ok
    if kind == "enum":
        if isinstance(raw, dict) and "tag" in raw:
            raw = raw["tag"]
        if not isinstance(raw, str):
            raise TraceError(f"{what}: expected one of {', '.join(desc[1])}, found {raw!r}")
        return raw, raw in desc[1]
    if kind == "record":
        if not isinstance(raw, dict):
            raise TraceError(f"{what}: expected an object with the fields {', '.join(n for n, _ in desc[1])}")
        unknown = sorted(set(raw) - {n for n, _ in desc[1]})
        if unknown:
            raise TraceError(f"{what}: no field {unknown[0]!r} (fields: {', '.join(n for n, _ in desc[1])})")
        missing = [n for n, _ in desc[1] if n not in raw]
        if missing:
            raise TraceError(f"{what}: the field {missing[0]!r} is missing")
        parts = [value_from_json(raw[n], d, f"{what}.{n}") for n, d in desc[1]]
        return tuple(v for v, _ in parts), all(ok for _, ok in parts)
    if kind == "map":
        keys = list(desc[1])
        if isinstance(raw, dict) and "#map" in raw:
            raw = {str(k if not isinstance(k, dict) else _int(k, what)): v for k, v in raw["#map"]}
        if isinstance(raw, dict):
            missing = [k for k in keys if str(k) not in raw]
            if missing or len(raw) != len(keys):
                raise TraceError(f"{what}: expected one entry per key {keys[0]}..{keys[-1]}")
            raw = [raw[str(k)] for k in keys]
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise TraceError(f"{what}: expected {len(keys)} values, one per key {keys[0]}..{keys[-1]}")
        parts = [value_from_json(r, desc[2], f"{what}[{k}]") for k, r in zip(keys, raw)]
        return tuple(v for v, _ in parts), all(ok for _, ok in parts)
    raise TraceError(f"{what}: unknown type descriptor {desc!r}")


def _key(text: str, keys: Sequence[object], path: str) -> int:
    """The position of the key written `text` in a map's domain (integers or enum member names)."""
    for i, k in enumerate(keys):
        if str(k) == text or (isinstance(k, int) and re.fullmatch(r"0[xX][0-9a-fA-F]+", text) and int(text, 16) == k):
            return i
    raise TraceError(f"{path}: {text} is not a key of the map (keys: {', '.join(map(str, keys))})")


def observation(model: Any, path: str, raw: Any) -> Observation:
    """The Observation of `raw` at `path` (`name`, `name[key]`, `name[key].field`, `name[key][bit]`) of a model's
    state."""
    canonical, var, positions, bit, desc = _locate(model, path)
    value, ok = value_from_json(raw, desc, canonical)
    # an integer outside the variable's range never equals a state's value: `holds` is false without a check here
    return Observation(canonical, var, positions, bit, value, ok)


@functools.lru_cache(maxsize=4096)
def _locate(model: Any, path: str) -> tuple[str, int, tuple[int, ...], int | None, tuple]:
    """Where `path` points in a model's state: its canonical text, the variable's position, the positions inside
    it, the bit, and the type descriptor of what it selects. A recorded trace names a few paths over and over (one
    per field of each kind of record), so each is worked out once."""
    m = _NAME.match(path)
    if m is None or m.group(1) not in model.VAR_TYPES:
        raise TraceError(f"{path}: no state variable {path.split('[')[0].split('.')[0].strip()!r} "
                         f"(variables: {', '.join(model.VAR_NAMES)})")
    name = m.group(1)
    desc: tuple = model.VAR_TYPES[name]
    var = list(model.VAR_NAMES).index(name)
    positions: list[int] = []
    canonical, bit, pos = name, None, m.end()
    while pos < len(path.rstrip()):
        step = _PATH.match(path, pos)
        if step is None or bit is not None:
            raise TraceError(f"{path}: expected [key] or .field at column {pos + 1}")
        pos = step.end()
        index, fname = step.groups()
        if index is not None and desc[0] == "map":
            i = _key(index, desc[1], path)
            positions.append(i)
            canonical += f"[{desc[1][i]}]"
            desc = desc[2]
        elif index is not None and desc[0] == "bits":
            bit = _int(int(index, 0) if re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]+", index) else index, path)
            if not 0 <= bit < desc[1]:
                raise TraceError(f"{path}: bit {bit} is outside bits[{desc[1]}]")
            canonical += f"[{bit}]"
            desc = ("bool",)
        elif fname is not None and desc[0] == "record":
            names = [n for n, _ in desc[1]]
            if fname not in names:
                raise TraceError(f"{path}: no field {fname!r} (fields: {', '.join(names)})")
            positions.append(names.index(fname))
            canonical += f".{fname}"
            desc = desc[1][names.index(fname)][1]
        else:
            raise TraceError(f"{path}: {canonical} is a {desc[0]}, it has no {'[key]' if index else '.field'}")
    return canonical, var, tuple(positions), bit, desc


def event(model: Any, actions: Iterable[str], params: Mapping[str, Any] | None = None,
          state: Mapping[str, Any] | None = None, label: str = "") -> Event:
    """An Event of `model` from plain JSON values: candidate action names, parameters {name: value}, observations
    {path: value}. Raises TraceError for names the model does not have and values of the wrong shape."""
    actions = tuple(actions)
    for a in actions:
        if a not in model.ACTIONS:
            raise TraceError(f"no action {a!r} (actions: {', '.join(model.ACTIONS)})")
    values: dict[str, object] = {}
    impossible = ""
    for p, raw in (params or {}).items():
        if not actions:
            raise TraceError(f"parameter {p!r} given, but the event names no action")
        for a in actions:
            domains = dict(model.ACTIONS[a].params)
            if p not in domains:
                raise TraceError(f"{a} has no parameter {p!r} (parameters: {', '.join(domains) or 'none'})")
            value, ok = value_from_json(raw, model.PARAM_TYPES[a][p], p)
            if not ok or value not in domains[p]:
                impossible = f"{a}: parameter {p} = {value!r} is outside its domain"
            values[p] = value
    observed = tuple(observation(model, path, raw) for path, raw in (state or {}).items())
    return Event(actions, values, observed, label, impossible)


# --------------------------------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Node:
    """A state of the frontier and how it was reached: `steps` (action, params, state) from the parent's state, the
    hidden steps and then the event's own."""

    state: Any
    parent: "Node | None" = None
    steps: tuple[tuple[str, dict, Any], ...] = ()

    def path(self) -> list[tuple[str, dict, Any]]:
        """Every step from the first state to this one."""
        out, node = [], self
        while node is not None:
            out.extend(reversed(node.steps))
            node = node.parent
        out.reverse()
        return out


class Overflow(Exception):
    """The frontier grew beyond the limit while advancing over event `index`; `before` is the frontier before it."""

    def __init__(self, index: int, before: Sequence[Node] = ()):
        super().__init__(f"more than the limit of states possible at event {index}")
        self.index = index
        self.before = list(before)


@dataclass
class Verdict:
    """`consistent`: `node` ends one behaviour that explains every event. Otherwise `index` is the first event no
    behaviour explains and `before` the frontier before it (every state the trace allows there)."""

    consistent: bool
    node: Node | None = None
    index: int = -1
    before: list[Node] = field(default_factory=list)


def _successors(model: Any, s: Any, action: str, given: Mapping[str, object]) -> Iterable[tuple[dict, Any]]:
    info = model.ACTIONS[action]
    names = [n for n, _ in info.params]
    if all(n in given for n in names):
        args = [given[n] for n in names]
        candidates = [args] if info.enabled(s, *args) else []
    else:
        candidates = [list(t) for t in info.instances(s)
                      if all(given.get(n, v) == v for n, v in zip(names, t))]
    for args in candidates:
        try:
            yield dict(zip(names, args)), info.apply(s, *args)
        except RangeViolation:
            continue


def advance(model: Any, frontier: Sequence[Node], ev: Event, index: int, internal: Sequence[str] = (),
            max_hidden: int = 0, limit: int = 4096) -> list[Node]:
    """The frontier after event `ev` (number `index`, for Overflow)."""
    seen: dict[Any, Node] = {}
    level: list[tuple[Any, Node, tuple]] = [(n.state, n, ()) for n in frontier]
    reach: dict[Any, tuple[Node, tuple]] = {s: (n, p) for s, n, p in level}
    for _ in range(max_hidden if internal else 0):
        nxt = []
        for s, node, prefix in level:
            for a in internal:
                for params, t in _successors(model, s, a, {}):
                    if t not in reach:
                        reach[t] = (node, prefix + ((a, params, t),))
                        nxt.append((t, node, reach[t][1]))
                        if len(reach) > limit:
                            raise Overflow(index)
        level = nxt
    if ev.impossible:
        return []
    for s, (node, prefix) in reach.items():
        if not ev.actions:
            if s not in seen and all(o.holds(s) for o in ev.observed):
                seen[s] = Node(s, node, prefix)
            continue
        for a in ev.actions:
            for params, t in _successors(model, s, a, ev.params):
                if t not in seen and all(o.holds(t) for o in ev.observed):
                    seen[t] = Node(t, node, prefix + ((a, params, t),))
                    if len(seen) > limit:
                        raise Overflow(index)
    return list(seen.values())


class _Budget(Exception):
    """The depth-first search used up its budget of steps."""


def _event_children(model: Any, s: Any, ev: Event, prefix: tuple, counter: list[int]):
    """The states after event `ev` from s (reached by the hidden steps `prefix`), each with its steps."""
    if ev.impossible:
        return
    if not ev.actions:
        if all(o.holds(s) for o in ev.observed):
            yield s, prefix
        return
    for a in ev.actions:
        for params, t in _successors(model, s, a, ev.params):
            counter[0] += 1
            if all(o.holds(t) for o in ev.observed):
                yield t, prefix + ((a, params, t),)


def _children(model: Any, s: Any, ev: Event, internal: Sequence[str], max_hidden: int, counter: list[int],
              budget: int):
    """The successors of s over event `ev`, the ones with fewer hidden steps first."""
    yield from _event_children(model, s, ev, (), counter)
    level, seen = [(s, ())], {s}
    for _ in range(max_hidden if internal else 0):
        nxt = []
        for x, path in level:
            for a in internal:
                for params, y in _successors(model, x, a, {}):
                    counter[0] += 1
                    if counter[0] > budget:
                        raise _Budget()
                    if y not in seen:
                        seen.add(y)
                        nxt.append((y, path + ((a, params, y),)))
        for y, path in nxt:
            yield from _event_children(model, y, ev, path, counter)
        level = nxt


def search_trace(model: Any, events: Sequence[Event], internal: Sequence[str] = (), max_hidden: int = 0,
                 budget: int = 1_000_000) -> Verdict | None:
    """Depth-first: one behaviour, trying for each event the fewest hidden steps first, backtracking where a later
    event fails, never visiting a (event, state) pair twice. It finds a behaviour of a consistent trace in about one
    step per event however many states the hidden steps allow (where the frontier would hold them all); when every
    branch fails, the first event none explains is the deepest any branch reached, and the states before it are the
    frontier there. Returns None when `budget` steps of the model were not enough to decide."""
    counter = [0]
    visited: dict[tuple[int, Any], Node] = {}
    root = Node(model.initial_state())
    stack = [(0, root, None)]
    deepest = 0
    try:
        while stack:
            i, node, gen = stack[-1]
            if i == len(events):
                return Verdict(True, node=node)
            if gen is None:
                gen = _children(model, node.state, events[i], internal, max_hidden, counter, budget)
                stack[-1] = (i, node, gen)
            for t, steps in gen:
                if (i + 1, t) in visited:
                    continue
                child = Node(t, node, steps)
                visited[(i + 1, t)] = child
                deepest = max(deepest, i + 1)
                stack.append((i + 1, child, None))
                break
            else:
                stack.pop()
            if counter[0] > budget:
                return None
    except _Budget:
        return None
    before = [root] if deepest == 0 else [n for (k, _), n in visited.items() if k == deepest]
    return Verdict(False, index=deepest, before=before)


def check_trace(model: Any, events: Sequence[Event], internal: Sequence[str] = (), max_hidden: int = 0,
                limit: int = 4096, start: Sequence[Node] | None = None, first: int = 0) -> Verdict:
    """Advance from the initial state (or the frontier `start`, at event `first`) over `events[first:]`; raises
    Overflow when the frontier outgrows `limit`."""
    frontier = list(start) if start is not None else [Node(model.initial_state())]
    for i in range(first, len(events)):
        try:
            after = advance(model, frontier, events[i], i, internal, max_hidden, limit)
        except Overflow:
            raise Overflow(i, frontier) from None
        if not after:
            return Verdict(False, index=i, before=frontier)
        frontier = after
    return Verdict(True, node=frontier[0])


class ModelView:
    """A generated model's namespace (its `globals()`) read as the module: how a model passes itself here without
    importing sys."""

    def __init__(self, names: Mapping[str, Any]):
        self.__dict__.update(names)


def validate_events(model: Any, events: Sequence[Mapping[str, Any]], internal: Sequence[str] = (),
                    max_hidden: int = 0, limit: int = 100_000) -> Verdict:
    """Native events (dicts as in NDJSON: `action` or `actions`, `params`, `state`; docs/validate.md) checked on a
    generated model: depth-first first, then the frontier. Raises TraceError for an event that does not fit the
    model, Overflow when the frontier outgrows `limit` (irqspec validate goes on with Z3 there)."""
    parsed = []
    for i, raw in enumerate(events):
        actions = raw.get("actions", [raw["action"]] if "action" in raw else [])
        try:
            parsed.append(event(model, actions, raw.get("params", {}), raw.get("state", {}), f"event {i}"))
        except TraceError as err:
            raise TraceError(f"event {i}: {err}") from None
    found = search_trace(model, parsed, internal, max_hidden)
    if found is not None:
        return found
    return check_trace(model, parsed, internal, max_hidden, limit)
