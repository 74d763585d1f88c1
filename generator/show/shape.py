"""What a trace's variables and actions are, and the trace read with them: from the spec's IR when there is one,
else inferred from the ITF values themselves, so that a trace from Quint or Apalache shows without its spec.

ITF values do not say their type, so the project's one ITF reader (`irqspec.runtime.itf`) reads by type descriptors.
With a spec they come from its IR (`itf_types`); without one, `infer_shape` reads each variable's values across the
states into an IR type (booleans, integers, strings as an enum, `#set` as bits, `#map` as a map over the keys seen,
objects as records) and the descriptors come from that type by the same `itf_types.descriptor`. A value of a shape
none of these fit (a tuple, a set of strings) is kept as its JSON text.

The lanes of the page are the vCPUs: the domain of the maps over vCPUs (`irr: Cpu -> bits[256]`). With a spec it is
the named range most maps are indexed by (as `explore --symmetry` finds it), preferring one named like a CPU; without
one, the key set 0..n-1 most maps are keyed by.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from irqspec.runtime import itf
from irqspec.runtime.trace import Step, Trace

from .. import ir
from ..itf_types import descriptor

# the most vCPUs a map keyed by 0..n-1 is taken to be indexed by, without a spec
_MOST_LANES = 64
# without a spec, an integer parameter whose values are vCPUs is one named like this (write_cr8(c, value): c)
CPU_PARAM = re.compile(r"(^|_)(c|cpu|vcpu|src|dst|source|dest|target|sender|receiver|from|to|self|me|id)$|cpu",
                        re.IGNORECASE)


class ShowError(ValueError):
    """A trace that cannot be shown: not ITF, or not a trace of the spec's variables. The message says why."""


@dataclass(frozen=True)
class VarShape:
    """A state variable: its type (None: a value kept as JSON text), doc comment, and whether it is a ghost."""

    name: str
    type: ir.Type | None
    doc: str = ""
    ghost: bool = False


@dataclass(frozen=True)
class ActionShape:
    name: str
    params: tuple[tuple[str, ir.Type | None], ...]
    doc: str = ""
    cpu_params: tuple[str, ...] = ()  # the parameters that name a vCPU (send_ipi: src, dst)


@dataclass(frozen=True)
class Shape:
    """The variables and actions a trace is read with, and the vCPU domain (None: every variable is global)."""

    module: str
    vars: tuple[VarShape, ...]
    actions: dict[str, ActionShape]
    cpu: ir.IntType | None
    system: ir.System | None = None
    raw: tuple[str, ...] = field(default=())  # variables kept as JSON text

    def cpu_map(self, t: ir.Type | None) -> bool:
        """Whether a variable of type `t` is a map over the vCPUs (shown on their lanes)."""
        return self.cpu is not None and isinstance(t, ir.MapType) and same_domain(t.domain, self.cpu)


def same_domain(a: object, cpu: ir.IntType) -> bool:
    """Whether `a` is the vCPU type `cpu`. IntType equality leaves out the name: a spec's `0..1` vector range is
    not its `Cpu` when both are named."""
    return isinstance(a, ir.IntType) and a == cpu and (not cpu.name or a.name == cpu.name)


# ---------------------------------------------------------------------------------------------------- from the IR


def spec_shape(system: ir.System) -> Shape:
    """The shape of the traces of `system`."""
    cpu = _spec_cpu(system)
    actions = {}
    for a in system.actions:
        cpus = tuple(p.name for p in a.params if cpu is not None and same_domain(p.type, cpu))
        actions[a.name] = ActionShape(a.name, tuple((p.name, p.type) for p in a.params), a.doc, cpus)
    return Shape(system.module, tuple(VarShape(v.name, v.type, v.doc, v.ghost) for v in system.vars), actions, cpu,
                 system)


def _spec_cpu(system: ir.System) -> ir.IntType | None:
    domains = [v.type.domain for v in system.vars if isinstance(v.type, ir.MapType)
               and isinstance(v.type.domain, ir.IntType)]
    if not domains:
        return None
    named = [d for d in domains if d.name] or domains
    cpuish = [d for d in named if "cpu" in d.name.lower()] or named
    # the most common, the first declared among equals (a set's order would depend on the hash seed)
    return max(cpuish, key=lambda d: sum(1 for e in cpuish if same_domain(e, d)))


def read_spec_trace(doc: object, shape: Shape, what: str) -> Trace:
    """The trace in ITF document `doc` (named `what` in errors) read with the spec's types."""
    from ..itf_types import param_descriptors, var_descriptors

    assert shape.system is not None
    states = _states(doc, what)
    module = shape.module
    for i, state in enumerate(states):
        missing = [v.name for v in shape.vars if v.name not in state]
        if missing:
            raise ShowError(f"{what}: state {i} has no value for {', '.join(missing[:3])}"
                            f"{' ...' if len(missing) > 3 else ''}: not a trace of {module}'s variables")
        for v in shape.vars:
            raw = state[v.name]
            if isinstance(v.type, ir.MapType) and isinstance(raw, dict) and isinstance(raw.get("#map"), list) \
                    and len(raw["#map"]) > ir.domain_size(v.type.domain):
                # the reader would drop the entries beyond the domain: a vCPU or a vector would vanish unseen
                raise ShowError(f"{what}: state {i}: {v.name} has {len(raw['#map'])} entries, {module}'s "
                                f"{v.type.domain} has {ir.domain_size(v.type.domain)} values: is the trace of "
                                "other constants (-D)?")
        action = state.get(itf.ACTION_TAKEN)
        if i and action not in (None, itf.INIT_ACTION, itf.STUTTER_ACTION, ""):
            if not isinstance(action, str) or action not in shape.actions:
                raise ShowError(f"{what}: step {i} takes action {action!r}, which {module} does not have")
            picks = state.get(itf.NONDET_PICKS, {})
            absent = [p for p, _ in shape.actions[action].params if not isinstance(picks, dict) or p not in picks]
            if absent:
                raise ShowError(f"{what}: step {i} ({action}) does not give the parameter(s) {', '.join(absent)}")
    closing = doc.get("#meta", {}).get("irqspec::loop-step", {})  # type: ignore[union-attr]
    if doc.get("loop") is not None and closing.get("action") not in (None, itf.STUTTER_ACTION) \
            and closing["action"] not in shape.actions:  # type: ignore[union-attr]
        raise ShowError(f"{what}: the lasso's last step takes action {closing['action']!r}, which {module} does not "
                        "have")
    try:
        return itf.trace_from_itf(doc, var_descriptors(shape.system), param_descriptors(shape.system))  # type: ignore[arg-type]
    except (itf.ITFError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise ShowError(f"{what}: not an ITF trace of {module}'s variables: {err}") from None
    except RecursionError:
        raise ShowError(f"{what}: ITF values nested too deeply") from None


def _states(doc: object, what: str) -> list[dict]:
    """The states of an ITF document, after the checks the reader leaves to its callers."""
    if not isinstance(doc, dict) or not isinstance(doc.get("states"), list):
        raise ShowError(f"{what}: not an ITF trace: an ITF trace is a JSON object with a list of 'states'")
    states = doc["states"]
    if not states:
        raise ShowError(f"{what}: the trace has no states")
    for i, state in enumerate(states):
        if not isinstance(state, dict):
            raise ShowError(f"{what}: state {i} is not a JSON object")
        if not isinstance(state.get(itf.NONDET_PICKS, {}), dict):
            raise ShowError(f"{what}: state {i}: '{itf.NONDET_PICKS}' is not an object")
    meta = doc.get("#meta", {})
    if not isinstance(meta, dict):
        raise ShowError(f"{what}: '#meta' is not a JSON object")
    for key in ("irqspec::witness", "irqspec::loop-step"):
        if not isinstance(meta.get(key, {}), dict):
            raise ShowError(f"{what}: '#meta' field '{key}' is not a JSON object")
    closing = meta.get("irqspec::loop-step", {})
    if not isinstance(closing.get("action", ""), str) or not isinstance(closing.get("params", {}), dict):
        raise ShowError(f"{what}: '#meta' field 'irqspec::loop-step' is not an action and its parameters")
    return states


# ------------------------------------------------------------------------------------------- from the values alone


def _unwrap(pick: Any) -> tuple[bool, Any]:
    """(given, value) of a parameter in `mbt::nondetPicks` (Quint's {"tag": "Some", "value": ...}, or plain)."""
    if isinstance(pick, dict) and pick.get("tag") == "None":
        return False, None
    if isinstance(pick, dict) and pick.get("tag") == "Some" and "value" in pick:
        return True, pick["value"]
    return True, pick


def _is_int(raw: Any) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool) or \
        isinstance(raw, dict) and set(raw) == {"#bigint"} and isinstance(raw["#bigint"], str) \
        and re.fullmatch(r"-?[0-9]+", raw["#bigint"]) is not None


def _int(raw: Any) -> int:
    return int(raw["#bigint"]) if isinstance(raw, dict) else int(raw)


def _member(raw: Any) -> str | None:
    """The enum member an ITF value names: a string, or Quint's variant without payload."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and set(raw) <= {"tag", "value"} and isinstance(raw.get("tag"), str) \
            and raw.get("value", {"#tup": []}) == {"#tup": []}:
        return raw["tag"]
    return None


def infer_type(values: list[Any]) -> ir.Type | None:
    """The IR type that reads every ITF value in `values` (one variable's, across the states), or None."""
    if not values:
        return None
    if all(isinstance(v, bool) for v in values):
        return ir.BOOL
    if all(_is_int(v) for v in values):
        ints = [_int(v) for v in values]
        # named, so that the report's vector rule (an unnamed range inside 16..255 reads in hex) does not guess
        return ir.IntType(min(ints), max(ints), "int")
    members = [_member(v) for v in values]
    if all(m is not None for m in members):
        return ir.EnumType("", tuple(dict.fromkeys(members)))  # type: ignore[arg-type]
    if all(isinstance(v, dict) and set(v) == {"#set"} and isinstance(v["#set"], list)
           and all(_is_int(i) and _int(i) >= 0 for i in v["#set"]) for v in values):
        top = max((_int(i) for v in values for i in v["#set"]), default=0)
        return ir.BitsType(top + 1)
    if all(isinstance(v, dict) and set(v) == {"#map"} and isinstance(v["#map"], list)
           and all(isinstance(e, list) and len(e) == 2 for e in v["#map"]) for v in values):
        return _infer_map(values)
    if all(isinstance(v, dict) and v and not any(k.startswith("#") for k in v) for v in values):
        names = list(values[0])
        if any(list(v) != names for v in values):
            return None
        fields = [(n, infer_type([v[n] for v in values])) for n in names]
        if any(t is None for _, t in fields):
            return None
        return ir.RecordType("", tuple(fields))  # type: ignore[arg-type]
    return None


def _infer_map(values: list[Any]) -> ir.Type | None:
    keys = [k for v in values for k, _ in v["#map"]]
    domain: ir.IntType | ir.EnumType
    if keys and all(_is_int(k) for k in keys):
        seen = sorted({_int(k) for k in keys})
        domain = ir.int_set(((k, k) for k in seen), "")
        every = set(seen)
        if any({_int(k) for k, _ in v["#map"]} != every or len(v["#map"]) != len(every) for v in values):
            return None  # not the same total function's domain in every state
    elif keys and all(isinstance(k, str) for k in keys):
        names = tuple(dict.fromkeys(keys))
        domain = ir.EnumType("", names)
        if any({k for k, _ in v["#map"]} != set(names) or len(v["#map"]) != len(names) for v in values):
            return None
    else:
        return None
    codomain = infer_type([x for v in values for _, x in v["#map"]])
    return None if codomain is None else ir.MapType(domain, codomain)


def _small_domain(t: ir.Type | None) -> ir.IntType | None:
    """The domain of a map keyed by 0..n-1 (n at most _MOST_LANES): perhaps the vCPUs."""
    if isinstance(t, ir.MapType) and isinstance(t.domain, ir.IntType) and t.domain.runs is None \
            and t.domain.lo == 0 and t.domain.hi < _MOST_LANES:
        return t.domain
    return None


def infer_shape(doc: object, what: str) -> Shape:
    """The shape of ITF document `doc` from its values alone (no spec)."""
    states = _states(doc, what)
    assert isinstance(doc, dict)
    declared = doc.get("vars")
    names = [n for n in declared if isinstance(n, str)] if isinstance(declared, list) else list(states[0])
    names = [n for n in names if not n.startswith(("#", "mbt::"))]
    for i, state in enumerate(states):
        missing = [n for n in names if n not in state]
        if missing:
            raise ShowError(f"{what}: state {i} has no value for {', '.join(missing[:3])}")
    vars_ = tuple(VarShape(n, infer_type([s[n] for s in states])) for n in names)
    domains = [d for d in (_small_domain(v.type) for v in vars_) if d is not None]
    cpu = max(domains, key=domains.count) if domains else None
    picks: dict[str, dict[str, list[Any]]] = {}
    for state in states[1:]:
        action = state.get(itf.ACTION_TAKEN)
        if not isinstance(action, str) or action in (itf.INIT_ACTION, itf.STUTTER_ACTION, ""):
            continue
        given = picks.setdefault(action, {})
        for p, pick in state.get(itf.NONDET_PICKS, {}).items():
            ok, value = _unwrap(pick)
            given.setdefault(p, [])
            if ok:
                given[p].append(value)
    meta = doc.get("#meta", {})
    closing = meta.get("irqspec::loop-step", {})
    if isinstance(closing.get("action"), str) and closing["action"] != itf.STUTTER_ACTION \
            and isinstance(closing.get("params", {}), dict):
        given = picks.setdefault(closing["action"], {})
        for p, value in closing.get("params", {}).items():
            given.setdefault(p, []).append(value)
    actions = {}
    for name, given in picks.items():
        params = tuple((p, infer_type(vs)) for p, vs in given.items())
        actions[name] = ActionShape(name, params, "", _cpu_params(params, given, cpu))
    module = meta.get("irqspec::module") if isinstance(meta.get("irqspec::module"), str) else ""
    return Shape(module, vars_, actions, cpu, None, tuple(v.name for v in vars_ if v.type is None))


def _cpu_params(params: tuple[tuple[str, ir.Type | None], ...], given: Mapping[str, list[Any]],
                cpu: ir.IntType | None) -> tuple[str, ...]:
    """The parameters that are vCPUs, without a spec: integers whose every value is a vCPU; when several are, those
    named like one (c, cpu, src, dst), else the first."""
    if cpu is None:
        return ()
    fits = [p for p, t in params if isinstance(t, ir.IntType) and given[p]
            and all(cpu.lo <= _int(v) <= cpu.hi for v in given[p])]
    named = [p for p in fits if CPU_PARAM.search(p)]
    return tuple(named or fits[:1])


def read_inferred_trace(doc: object, shape: Shape, what: str) -> Trace:
    """The trace in `doc` read with an inferred shape; values of no known shape kept as their JSON text."""
    var_types = {v.name: descriptor(v.type) for v in shape.vars if v.type is not None}
    param_types = {a.name: {p: descriptor(t) for p, t in a.params if t is not None} for a in shape.actions.values()}
    assert isinstance(doc, dict)
    try:
        trace = itf.trace_from_itf(_without_raw_params(doc, shape), var_types, param_types)
    except (itf.ITFError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise ShowError(f"{what}: not an ITF trace: {err}") from None
    except RecursionError:
        raise ShowError(f"{what}: ITF values nested too deeply") from None
    if not shape.raw:
        return trace
    states = doc["states"]
    loop = trace.loop
    steps = []
    for i, step in enumerate(trace.steps):
        source = states[i] if i < len(states) else states[loop]  # a lasso's closing step is back at `loop`
        state = dict(step.state)
        for name in shape.raw:
            state[name] = json.dumps(source[name], sort_keys=True, separators=(",", ":"))
        steps.append(Step(step.action, step.params, state))
    return Trace(tuple(steps), trace.violated, trace.witness, trace.loop)


def _without_raw_params(doc: dict, shape: Shape) -> dict:
    """`doc` without the parameters whose type is not known (nothing reads them): the reader would refuse them."""
    unknown = {(a.name, p) for a in shape.actions.values() for p, t in a.params if t is None}
    if not unknown:
        return doc
    states = []
    for state in doc["states"]:
        action = state.get(itf.ACTION_TAKEN)
        picks = state.get(itf.NONDET_PICKS, {})
        states.append({**state, itf.NONDET_PICKS: {p: v for p, v in picks.items() if (action, p) not in unknown}})
    meta = doc.get("#meta", {})
    closing = meta.get("irqspec::loop-step")
    if isinstance(closing, dict) and isinstance(closing.get("params"), dict):
        kept = {p: v for p, v in closing["params"].items() if (closing.get("action"), p) not in unknown}
        meta = {**meta, "irqspec::loop-step": {**closing, "params": kept}}
    return {**doc, "#meta": meta, "states": states}
