"""IR types -> the type descriptors with which `irqspec.runtime.itf` writes and reads values."""

from __future__ import annotations

from . import ir
from .ir import BitsType, BoolType, EnumType, IntType, MapType, RecordType


def descriptor(t: ir.Type) -> tuple:
    """The `irqspec.runtime.itf` descriptor of values of type `t`."""
    if isinstance(t, BoolType):
        return ("bool",)
    if isinstance(t, IntType):
        return ("int",)
    if isinstance(t, BitsType):
        return ("bits", t.width)
    if isinstance(t, EnumType):
        return ("enum", t.members)
    if isinstance(t, RecordType):
        return ("record", tuple((name, descriptor(ft)) for name, ft in t.fields))
    if isinstance(t, MapType):
        return ("map", ir.domain_values(t.domain), descriptor(t.codomain))
    raise TypeError(f"no ITF descriptor for {t}")


def var_descriptors(system: ir.System) -> dict[str, tuple]:
    """A descriptor per state variable, in declaration order."""
    return {v.name: descriptor(v.type) for v in system.vars}


def param_descriptors(system: ir.System) -> dict[str, dict[str, tuple]]:
    """For every action, a descriptor per parameter."""
    return {a.name: {p.name: descriptor(p.type) for p in a.params} for a in system.actions}
