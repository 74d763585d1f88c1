"""Which properties a query is about: invariants, lemmas, and the implicit `range` property."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import ir, transition


class UnknownProperty(KeyError):
    """A property name that the spec does not declare."""


@dataclass(frozen=True)
class Goal:
    """A property to check: an invariant, a lemma, or the implicit `range` property (no expression)."""

    name: str
    kind: str  # "invariant" | "lemma" | "range"
    expr: ir.Expr | None = None


RANGE = Goal(ir.RANGE_PROPERTY, "range")


def select_goals(system: ir.System, names: Iterable[str] | None = None, lemmas: bool = False,
                 ranges: bool = True) -> tuple[Goal, ...]:
    """The goals named (invariants, lemmas or "range"; default every invariant, and every lemma when `lemmas`), plus
    `range` when `ranges` and the spec has range-checked assignments."""
    props = {p.name: p for p in (*system.invariants, *system.lemmas)}
    if names is None:
        chosen = [Goal(p.name, p.kind, p.expr) for p in system.invariants]
        if lemmas:
            chosen += [Goal(p.name, p.kind, p.expr) for p in system.lemmas]
    else:
        names = list(names)
        chosen = []
        for n in names:
            if n == ir.RANGE_PROPERTY:
                continue
            if n not in props:
                raise UnknownProperty(n)
            chosen.append(Goal(n, props[n].kind, props[n].expr))
        ranges = ranges or ir.RANGE_PROPERTY in names
    if ranges and has_range_obligations(system):
        chosen.append(RANGE)
    return tuple(chosen)


def has_range_obligations(system: ir.System) -> bool:
    return any(transition.relation(system, a).range_obligations for a in system.actions)
