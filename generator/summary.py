"""IR -> the readable summary `irqspec parse` prints: constants, variables with types and sizes, actions with
their parameter domains, properties."""

from __future__ import annotations

from .ir import BoolType, EnumType, IntType, System, Type, constant_text, domain_size, state_bits


def _domain(t: Type) -> str:
    if isinstance(t, IntType):
        inner = t.values_text()
        return f"{t.name} = {inner}" if t.name else inner
    if isinstance(t, EnumType):
        return f"{t.name} {{{', '.join(t.members)}}}"
    if isinstance(t, BoolType):
        return "bool"
    return str(t)


def summary(system: System) -> str:
    lines = [f"module {system.module} ({system.file})"]
    if system.imports:
        lines.append(f"  imports: {', '.join(system.imports)}")
    if system.constants:
        lines.append("constants:")
        for c in system.constants:
            lines.append(f"  {c.name} = {constant_text(c.value)}{'  (set by -D)' if c.overridden else ''}")
    total = sum(state_bits(v.type) for v in system.vars)
    lines.append(f"variables: {len(system.vars)}, {total} state bits")
    width = max((len(v.name) for v in system.vars), default=0)
    for v in system.vars:
        ghost = "  (ghost)" if v.ghost else ""
        lines.append(f"  {v.name:<{width}} : {v.type}  [{state_bits(v.type)} bits]{ghost}")
    lines.append(f"actions: {len(system.actions)}")
    for a in system.actions:
        params = ", ".join(f"{p.name}: {_domain(p.type)}" for p in a.params)
        choices = 1
        for p in a.params:
            choices *= domain_size(p.type)
        fair = {"weak": "; fair", "strong": "; strong fair"}.get(a.fairness, "")
        fair += " when its condition holds" if a.fair_when is not None else ""
        lines.append(f"  {a.name}({params})  [{choices} instance{'s' if choices != 1 else ''}; "
                     f"modifies {', '.join(a.modifies) or 'nothing'}{fair}]")
    for title, props in (("invariants", system.invariants), ("lemmas", system.lemmas), ("covers", system.covers)):
        if props:
            lines.append(f"{title}: {', '.join(p.name for p in props)}")
    if system.liveness:
        lines.append(f"liveness: {', '.join(p.name for p in system.liveness)}")
    if system.functions:
        lines.append(f"functions: {', '.join(f.name for f in system.functions)}")
    return "\n".join(lines) + "\n"
