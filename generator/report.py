"""Traces and proof results as text a person reads: the step table of a counterexample, only what changed, bit
vectors as the set of vectors they hold (`irr[1] = {0x20}`)."""

from __future__ import annotations

from .ir import BitsType, BoolType, EnumType, IntType, MapType, RecordType, System, Type, domain_values
from runtime.trace import Trace
from runtime.values import vector_set


def format_value(value: object, t: Type) -> str:
    if isinstance(t, BoolType):
        return "true" if value else "false"
    if isinstance(t, BitsType):
        assert isinstance(value, int)
        return "{" + ", ".join(f"0x{i:02x}" for i in vector_set(value)) + "}"
    if isinstance(t, IntType):
        return str(value)
    if isinstance(t, EnumType):
        return str(value)
    if isinstance(t, RecordType):
        assert isinstance(value, tuple)
        return "{" + ", ".join(f"{n}: {format_value(v, ft)}" for (n, ft), v in zip(t.fields, value)) + "}"
    if isinstance(t, MapType):
        assert isinstance(value, tuple)
        return "[" + ", ".join(f"{k}: {format_value(v, t.codomain)}"
                               for k, v in zip(domain_values(t.domain), value)) + "]"
    return repr(value)


def changes(name: str, before: object, after: object, t: Type) -> list[str]:
    """`name[...] = value` lines for the parts of a variable that differ, descending into maps and records."""
    if before == after:
        return []
    if isinstance(t, MapType) and isinstance(before, tuple) and isinstance(after, tuple):
        out: list[str] = []
        for k, b, a in zip(domain_values(t.domain), before, after):
            out += changes(f"{name}[{k}]", b, a, t.codomain)
        return out
    if isinstance(t, RecordType) and isinstance(before, tuple) and isinstance(after, tuple):
        # a record reads best whole: {valid: true, vector: 32}
        return [f"{name} = {format_value(after, t)}"]
    return [f"{name} = {format_value(after, t)}"]


def format_params(params: dict[str, object], system: System, action: str | None) -> str:
    if action is None:
        return ""
    types = {p.name: p.type for p in system.action(action).params}
    shown = []
    for k, v in params.items():
        t = types.get(k)
        shown.append(f"{k}={format_param(v, t)}")
    return f"{action}(" + ", ".join(shown) + ")"


def format_param(value: object, t: Type | None) -> str:
    if isinstance(t, BoolType):
        return "true" if value else "false"
    if isinstance(t, IntType) and isinstance(value, int) and t.hi >= 16 and t.lo >= 16:
        return f"0x{value:02x}"  # vectors read best in hex, as in the APIC manuals
    return str(value)


def format_trace(system: System, trace: Trace) -> str:
    """The step table: step 0 is the initial state (all variables), then each action and what it changed."""
    types = {v.name: v.type for v in system.vars}
    lines = ["step 0  initial state"]
    first = trace.steps[0].state
    for v in system.vars:
        lines.append(f"        {v.name} = {format_value(first[v.name], v.type)}")
    prev = first
    for i, step in enumerate(trace.steps[1:], start=1):
        lines.append(f"step {i:<2} {format_params(step.params, system, step.action)}")
        changed: list[str] = []
        for v in system.vars:
            changed += changes(v.name, prev[v.name], step.state[v.name], types[v.name])
        lines += [f"        {c}" for c in changed] or ["        (nothing changed)"]
        prev = step.state
    return "\n".join(lines)


def format_witness(witness: dict[str, object]) -> str:
    return ", ".join(f"{k} = {v if not isinstance(v, int) or v < 16 else hex(v)}" for k, v in witness.items())


def split_conjuncts(line: str) -> list[str]:
    """A long `(a) and (b) and ...` formula as one conjunct a line (top-level `and` only)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(line):
        ch = line[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and line.startswith(" and ", i):
            parts.append(line[start:i].strip())
            start = i + 5
            i += 4
        i += 1
    parts.append(line[start:].strip())
    return [p for p in parts if p]


def format_certificate(text: str) -> str:
    """A certificate's text, with each long line cut into its top-level conjuncts."""
    out = []
    for line in text.splitlines():
        if len(line) > 110 and " and " in line:
            indent = line[: len(line) - len(line.lstrip())]
            conjuncts = split_conjuncts(line.strip())
            out += [f"{indent}{c}" + (" and" if k < len(conjuncts) - 1 else "") for k, c in enumerate(conjuncts)]
        else:
            out.append(line)
    return "\n".join(out)
