"""From records (generator/tracefiles) to events of a spec (irqspec.runtime.tracecheck): the map file, and the native
reading when there is none.

A map is a TOML file (docs/validate.md):

    spec = "svm_evtinj"                  # the spec module it is written for (checked when present)
    max_hidden = 2                       # unrecorded internal steps allowed before each event (the default of -k)
    internal = ["ack", "iret"]           # the actions that may happen unrecorded
    ignore = ["kvm_fpu"]                 # record kinds that say nothing in the spec's terms
    unmapped = "error"                   # or "ignore": what a record of a kind with no rule is

    [events.kvm_apic_ipi]                # a rule for the records of one kind
    action = "send_ipi"                  # or actions = [...] (candidates); neither: the record only observes
    params = { src = "{vcpu}", dst = "{dest}", v = "{vector}" }
    state = { "irr[{dest}]" = "{irr}" }  # spec paths (formatted from fields) = observed values

    [[events.kvm_exit]]                  # several rules for one kind: the first whose `when` matches the record
    when = { exit_reason = "msr" }
    ...

In templates, a string that is exactly `{field}` stands for the field's value (any JSON value; `{a.b}` reads into
an object); a string with `{field}` inside is formatted; anything else is a literal. A native record (NDJSON with no
map) is an event already: `action` or `actions`, `params`, `state`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irqspec.runtime import tracecheck
from irqspec.runtime.tracecheck import Event, TraceError

from ..front.diagnostics import Span
from ..tracefiles import Record, TraceFileError

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")
_RULE_KEYS = {"when", "action", "actions", "params", "state"}
_TOP_KEYS = {"spec", "max_hidden", "internal", "ignore", "unmapped", "events"}


@dataclass(frozen=True)
class Rule:
    """How the records of one kind (that match `when`) become events."""

    kind: str
    when: Mapping[str, Any]
    actions: tuple[str, ...]
    params: Mapping[str, Any]
    state: Mapping[str, Any]
    where: Span


@dataclass(frozen=True)
class TraceMap:
    """A map file read and checked against a model."""

    file: str
    spec: str | None = None
    max_hidden: int = 0
    internal: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()
    unmapped: str = "error"
    rules: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def read_map(path: str | Path, model: Any, module: str) -> TraceMap:
    """Read and check a map file; errors (TOML syntax, unknown keys, actions or parameters) as TraceFileError."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceFileError("no such map file", Span(file, 0, 0)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise TraceFileError(f"cannot read the map: {err}", Span(file, 0, 0)) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        where = Span(file, int(m.group(1)), int(m.group(2))) if m else Span(file, 0, 0)
        raise TraceFileError(f"expected a TOML map file: {str(err).split(' (at line')[0]}", where) from None

    def fail(message: str, needle: str = "") -> TraceFileError:
        return TraceFileError(message, Span(file, _line_of(text, needle) if needle else 1, 1))

    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (a map has {', '.join(sorted(_TOP_KEYS))})", unknown[0])
    spec = doc.get("spec")
    if spec is not None and spec != module:
        raise fail(f"the map is written for the spec {spec!r}, not {module!r}", "spec")
    max_hidden = doc.get("max_hidden", 0)
    if not isinstance(max_hidden, int) or isinstance(max_hidden, bool) or max_hidden < 0:
        raise fail("max_hidden: expected a number of steps (0 or more)", "max_hidden")
    internal = doc.get("internal", [])
    if not isinstance(internal, list) or not all(isinstance(a, str) for a in internal):
        raise fail("internal: expected a list of action names", "internal")
    for a in internal:
        if a not in model.ACTIONS:
            raise fail(f"internal: {module} has no action {a!r} (actions: {', '.join(model.ACTIONS)})", "internal")
    ignore = doc.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(k, str) for k in ignore):
        raise fail("ignore: expected a list of record kinds", "ignore")
    unmapped = doc.get("unmapped", "error")
    if unmapped not in ("error", "ignore"):
        raise fail("unmapped: expected \"error\" or \"ignore\"", "unmapped")
    events = doc.get("events", {})
    if not isinstance(events, dict):
        raise fail("events: expected tables [events.KIND]", "events")
    rules: dict[str, tuple[Rule, ...]] = {}
    for kind, body in events.items():
        header = f"events.{kind}"
        tables = body if isinstance(body, list) else [body]
        out = []
        for table in tables:
            if not isinstance(table, dict):
                raise fail(f"[{header}]: expected a table", header)
            bad = sorted(set(table) - _RULE_KEYS)
            if bad:
                raise fail(f"[{header}]: unknown key {bad[0]!r} (a rule has {', '.join(sorted(_RULE_KEYS))})",
                           header)
            if "action" in table and "actions" in table:
                raise fail(f"[{header}]: give `action` or `actions`, not both", header)
            actions = table.get("actions", [table["action"]] if "action" in table else [])
            if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
                raise fail(f"[{header}]: actions: expected a list of action names", header)
            for a in actions:
                if a not in model.ACTIONS:
                    raise fail(f"[{header}]: {module} has no action {a!r} (actions: {', '.join(model.ACTIONS)})",
                               header)
            for key in ("when", "params", "state"):
                if not isinstance(table.get(key, {}), dict):
                    raise fail(f"[{header}]: {key}: expected a table", header)
            for p in table.get("params", {}):
                for a in actions:
                    if p not in dict(model.ACTIONS[a].params):
                        raise fail(f"[{header}]: {a} has no parameter {p!r}", header)
            out.append(Rule(kind, table.get("when", {}), tuple(actions), table.get("params", {}),
                            table.get("state", {}), Span(file, _line_of(text, header), 1)))
        rules[kind] = tuple(out)
    return TraceMap(file, spec, max_hidden, tuple(internal), frozenset(ignore), unmapped, rules)


# ------------------------------------------------------------------------------------------------ templates


def _field(record: Record, name: str, rule: Rule) -> Any:
    value: Any = record.fields
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            raise TraceFileError(f"the rule for {rule.kind} ({rule.where}) reads the field {name!r}, which this "
                                 f"record does not have (fields: {', '.join(sorted(record.fields))})", record.where)
        value = value[part]
    return value


def _fill(template: Any, record: Record, rule: Rule) -> Any:
    if isinstance(template, str):
        whole = _FIELD.fullmatch(template)
        if whole:
            return _field(record, whole.group(1), rule)
        return _FIELD.sub(lambda m: str(_field(record, m.group(1), rule)), template)
    if isinstance(template, list):
        return [_fill(t, record, rule) for t in template]
    if isinstance(template, dict):
        return {k: _fill(v, record, rule) for k, v in template.items()}
    return template


def _matches(rule: Rule, record: Record) -> bool:
    return all(record.fields.get(k) == _fill(v, record, rule) for k, v in rule.when.items())


# ------------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Events:
    """The events of a trace file with, for each, the record it came from; `skipped` counts the records that map
    to nothing (ignored kinds)."""

    events: tuple[Event, ...]
    records: tuple[Record, ...]
    skipped: int = 0


def _label(record: Record) -> str:
    return f"line {record.where.line}" if record.where.line > 0 else ""


def native_event(model: Any, record: Record) -> Event:
    """A record that is an event in spec terms already (`action`/`actions`, `params`, `state`)."""
    f = record.fields
    bad = sorted(set(f) - {"action", "actions", "params", "state", "time", "timestamp", "comment"})
    if bad:
        raise TraceFileError(f"unknown key {bad[0]!r}: a native event has action or actions, params and state "
                             f"(give --map to read records of other shapes)", record.where)
    if "action" in f and "actions" in f:
        raise TraceFileError("give `action` or `actions`, not both", record.where)
    actions = f.get("actions", [f["action"]] if "action" in f else [])
    if isinstance(actions, str) or not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise TraceFileError("actions: expected a list of action names", record.where)
    for key in ("params", "state"):
        if not isinstance(f.get(key, {}), dict):
            raise TraceFileError(f"{key}: expected an object", record.where)
    try:
        return tracecheck.event(model, actions, f.get("params", {}), f.get("state", {}), _label(record))
    except TraceError as err:
        raise TraceFileError(str(err), record.where) from None


def mapped_events(model: Any, records: Sequence[Record], trace_map: TraceMap | None) -> Events:
    """The events the records stand for, through the map (or natively when there is none)."""
    events, kept, skipped = [], [], 0
    for record in records:
        if trace_map is None:
            events.append(native_event(model, record))
            kept.append(record)
            continue
        if record.kind in trace_map.ignore:
            skipped += 1
            continue
        rules = trace_map.rules.get(record.kind)
        if rules is None:
            if trace_map.unmapped == "ignore":
                skipped += 1
                continue
            raise TraceFileError(f"no rule for records of kind {record.kind!r} in {trace_map.file} (add "
                                 f"[events.{record.kind}], or list it under ignore)", record.where)
        rule = next((r for r in rules if _matches(r, record)), None)
        if rule is None:
            skipped += 1  # no `when` matched: this record is not one the map describes
            continue
        params = {p: _fill(t, record, rule) for p, t in rule.params.items()}
        state = {str(_fill(k, record, rule)): _fill(v, record, rule) for k, v in rule.state.items()}
        try:
            events.append(tracecheck.event(model, rule.actions, params, state, _label(record)))
        except TraceError as err:
            raise TraceFileError(f"{err} (rule {rule.where})", record.where) from None
        kept.append(record)
    return Events(tuple(events), tuple(kept), skipped)


def itf_events(model: Any, doc: Mapping[str, Any], file: str) -> Events:
    """The events of an ITF trace: the first state observed (an event with no step), then per state the action it
    names (`mbt::actionTaken`, with `mbt::nondetPicks`) or, without one, any action, and the whole state observed."""
    from irqspec.runtime.itf import ACTION_TAKEN, INIT_ACTION, NONDET_PICKS, STUTTER_ACTION

    states = doc.get("states")
    if not isinstance(states, list) or not states:
        raise TraceFileError("an ITF trace is an object with a non-empty list of 'states'", Span(file, 0, 0))
    events, records = [], []
    for i, raw in enumerate(states):
        where = Span(file, 0, 0)
        label = f"state {i}"
        if not isinstance(raw, dict):
            raise TraceFileError(f"state {i}: expected an object", where)
        missing = [n for n in model.VAR_NAMES if n not in raw]
        if missing:
            raise TraceFileError(f"state {i}: the variable {missing[0]!r} is missing", where)
        action = raw.get(ACTION_TAKEN)
        if i == 0 or action in (INIT_ACTION, STUTTER_ACTION):
            actions: list[str] = []
        elif isinstance(action, str) and action:
            actions = [action]
        else:
            actions = list(model.ACTIONS)
        params = {}
        for p, pick in (raw.get(NONDET_PICKS) or {}).items() if actions and len(actions) == 1 else ():
            if isinstance(pick, dict) and pick.get("tag") == "None":
                continue
            params[p] = pick["value"] if isinstance(pick, dict) and pick.get("tag") == "Some" else pick
        try:
            ev = tracecheck.event(model, actions, params, {n: raw[n] for n in model.VAR_NAMES}, label)
        except TraceError as err:
            raise TraceFileError(f"state {i}: {err}", where) from None
        events.append(ev)
        records.append(Record("itf", dict(raw), where))
    return Events(tuple(events), tuple(records))
