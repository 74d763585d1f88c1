"""Traces in ITF, the Informal Trace Format of Apalache and Quint (https://apalache-mc.org/docs/adr/015adr-trace.html).

Writing needs, for every state variable, a type descriptor telling how its IR value is shown in ITF (ITF values do not
say their type, so reading needs the descriptors too):

    ("bool",)                      JSON true / false
    ("int",)                       a JSON number, or {"#bigint": "..."} beyond the JavaScript safe range
    ("bits", N)                    the set of the indices of the set bits: {"#set": [0, 5]}
    ("enum", (member, ...))        the member name as a string (read also as Quint's variant {"tag": name, "value":
                                   {"#tup": []}})
    ("record", ((name, d), ...))   an object {name: value, ...}
    ("map", (key, ...), d)         {"#map": [[key, value], ...]} over the domain in order (keys are ints or names)

As Quint does for model-based testing, every state also carries "mbt::actionTaken" (the action that produced it,
"init" for the first state) and "mbt::nondetPicks" (that action's parameter values, each as {"tag": "Some", ...}).
Only the standard library is used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .trace import Step, Trace

Descriptor = tuple
ACTION_TAKEN = "mbt::actionTaken"
NONDET_PICKS = "mbt::nondetPicks"
INIT_ACTION = "init"
# a step of a lasso that changes nothing (a stutter); no spec identifier has a ':'
STUTTER_ACTION = "::stutter"
_UNIT = {"#tup": []}  # the empty tuple: the payload of a variant that has none
_SAFE = (1 << 53) - 1  # beyond this a JSON number loses precision in JavaScript readers


class ITFError(ValueError):
    """An ITF document that does not match the given descriptors."""


def value_to_itf(value: object, desc: Descriptor) -> Any:
    """The ITF JSON form of an IR value of the type described by `desc`."""
    kind = desc[0]
    if kind == "bool":
        return bool(value)
    if kind == "int":
        n = int(value)  # type: ignore[call-overload]
        return n if -_SAFE <= n <= _SAFE else {"#bigint": str(n)}
    if kind == "bits":
        n = int(value)  # type: ignore[call-overload]
        return {"#set": [i for i in range(desc[1]) if n >> i & 1]}
    if kind == "enum":
        return str(value)
    if kind == "record":
        return {name: value_to_itf(v, d) for (name, d), v in zip(desc[1], value)}  # type: ignore[call-overload]
    if kind == "map":
        return {"#map": [[_key_to_itf(k), value_to_itf(v, desc[2])]
                         for k, v in zip(desc[1], value)]}  # type: ignore[call-overload]
    raise ITFError(f"unknown type descriptor {desc!r}")


def _key_to_itf(key: object) -> Any:
    return key if isinstance(key, str) else value_to_itf(key, ("int",))


def _int_from_itf(raw: Any) -> int:
    if isinstance(raw, dict) and "#bigint" in raw:
        return int(raw["#bigint"])
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise ITFError(f"expected an integer, found {raw!r}")


def value_from_itf(raw: Any, desc: Descriptor) -> object:
    """The IR value of an ITF JSON value of the type described by `desc`."""
    kind = desc[0]
    if kind == "bool":
        if not isinstance(raw, bool):
            raise ITFError(f"expected a boolean, found {raw!r}")
        return raw
    if kind == "int":
        return _int_from_itf(raw)
    if kind == "bits":
        if not (isinstance(raw, dict) and "#set" in raw):
            raise ITFError(f"expected a set of bit indices, found {raw!r}")
        out = 0
        for i in raw["#set"]:
            index = _int_from_itf(i)
            if not 0 <= index < desc[1]:
                raise ITFError(f"bit index {index} is outside bits[{desc[1]}]")
            out |= 1 << index
        return out
    if kind == "enum":
        if isinstance(raw, dict) and set(raw) <= {"tag", "value"} and raw.get("value", _UNIT) == _UNIT:
            raw = raw.get("tag")  # Quint writes a member of a sum type without payload as a variant
        raw = _exported_name(raw, dict.fromkeys(desc[1]))
        if raw not in desc[1]:
            raise ITFError(f"expected one of {', '.join(desc[1])}, found {raw!r}")
        return raw
    if kind == "record":
        if not isinstance(raw, dict):
            raise ITFError(f"expected a record, found {raw!r}")
        return tuple(value_from_itf(raw[name], d) for name, d in desc[1])
    if kind == "map":
        if not (isinstance(raw, dict) and "#map" in raw):
            raise ITFError(f"expected a map, found {raw!r}")
        entries = {(k if isinstance(k, str) else _int_from_itf(k)): v for k, v in raw["#map"]}
        missing = [k for k in desc[1] if k not in entries]
        if missing:
            raise ITFError(f"map misses the key(s) {missing}")
        return tuple(value_from_itf(entries[k], desc[2]) for k in desc[1])
    raise ITFError(f"unknown type descriptor {desc!r}")


def trace_to_itf(trace: Trace, var_types: Mapping[str, Descriptor],
                 param_types: Mapping[str, Mapping[str, Descriptor]], meta: Mapping[str, Any] | None = None) -> dict:
    """The ITF document of `trace`. `var_types` gives a descriptor per state variable (in declaration order),
    `param_types` a descriptor per parameter of each action. `meta` is merged into the document's "#meta"."""
    head: dict[str, Any] = {"format": "ITF", "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html"}
    if trace.violated is not None:
        head["irqspec::violated"] = trace.violated
        head["irqspec::witness"] = {k: _plain(v) for k, v in trace.witness.items()}
    head.update(meta or {})
    steps = trace.steps
    if trace.loop is not None:
        # ITF's lasso: the last state is followed by states[loop]; the step that closes the loop is kept in #meta
        *steps, closing = steps  # type: ignore[assignment]
        head["irqspec::loop-step"] = {"action": closing.action or STUTTER_ACTION,
                                      "params": {p: value_to_itf(v, param_types.get(closing.action or "", {})[p])
                                                 for p, v in closing.params.items()}}
    states = []
    for i, step in enumerate(steps):
        out: dict[str, Any] = {"#meta": {"index": i}}
        for name, desc in var_types.items():
            out[name] = value_to_itf(step.state[name], desc)
        action = step.action or (INIT_ACTION if i == 0 else STUTTER_ACTION)
        out[ACTION_TAKEN] = action
        types = param_types.get(action, {})
        out[NONDET_PICKS] = {p: {"tag": "Some", "value": value_to_itf(v, types[p])} for p, v in step.params.items()}
        states.append(out)
    doc = {"#meta": head, "vars": [*var_types, ACTION_TAKEN, NONDET_PICKS], "states": states}
    if trace.loop is not None:
        doc["loop"] = trace.loop
    return doc


def _plain(v: object) -> Any:
    """A witness value as plain JSON (witness values are scalars: ints, names, booleans)."""
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, int):
        return value_to_itf(v, ("int",))
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return str(v)


def trace_from_itf(doc: Mapping[str, Any], var_types: Mapping[str, Descriptor],
                   param_types: Mapping[str, Mapping[str, Descriptor]]) -> Trace:
    """Read an ITF document written by `trace_to_itf` (or by Quint, when the descriptors match) back into a Trace."""
    steps = []
    for raw in doc["states"]:
        state = {name: value_from_itf(raw[name], desc) for name, desc in var_types.items()}
        action = raw.get(ACTION_TAKEN, None)
        if action in (INIT_ACTION, STUTTER_ACTION, ""):
            action = None
        action = _exported_name(action, param_types)
        params: dict[str, object] = {}
        types = param_types.get(action, {}) if action is not None else {}
        for p, pick in raw.get(NONDET_PICKS, {}).items():
            if isinstance(pick, dict) and pick.get("tag") == "None":
                continue
            inner = pick["value"] if isinstance(pick, dict) and pick.get("tag") == "Some" else pick
            p = _exported_name(p, types)
            if p not in types:
                raise ITFError(f"action {action!r} has no parameter {p!r}")
            params[p] = value_from_itf(inner, types[p])
        steps.append(Step(action, params, state))
    meta = doc.get("#meta", {})
    loop = doc.get("loop")
    if loop is not None:
        if not isinstance(loop, int) or isinstance(loop, bool) or not 0 <= loop < len(steps):
            raise ITFError(f"loop {loop!r} is not the index of a state of the trace")
        closing = meta.get("irqspec::loop-step", {})
        action = closing.get("action")
        action = None if action in (None, STUTTER_ACTION) else action
        types = param_types.get(action, {}) if action is not None else {}
        params = {}
        for p, raw in closing.get("params", {}).items():
            if p not in types:
                raise ITFError(f"action {action!r} has no parameter {p!r}")
            params[p] = value_from_itf(raw, types[p])
        steps.append(Step(action, params, steps[loop].state))
    return Trace(tuple(steps), meta.get("irqspec::violated"), dict(meta.get("irqspec::witness", {})), loop)


def _exported_name(name: Any, known: Mapping[str, Any]) -> Any:
    """An action or parameter name as a trace of `irqspec export --quint` writes it: Quint reserves some names
    (`enabled`, `step`, ...), and the export renames those by appending `_`."""
    if isinstance(name, str) and name not in known and name.endswith("_") and name[:-1] in known:
        return name[:-1]
    return name


def write_itf(path: str | Path, trace: Trace, var_types: Mapping[str, Descriptor],
              param_types: Mapping[str, Mapping[str, Descriptor]], meta: Mapping[str, Any] | None = None) -> None:
    """Write `trace` as an ITF JSON file."""
    Path(path).write_text(json.dumps(trace_to_itf(trace, var_types, param_types, meta), indent=1) + "\n")


def read_itf(path: str | Path, var_types: Mapping[str, Descriptor],
             param_types: Mapping[str, Mapping[str, Descriptor]]) -> Trace:
    """Read an ITF JSON file into a Trace."""
    return trace_from_itf(json.loads(Path(path).read_text()), var_types, param_types)
