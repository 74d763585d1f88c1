"""The syntax tree: what a .irq file says, with positions, before any name is resolved or type is checked.

Built by `irqspec.front.parse` (a Lark Transformer, one method per grammar rule); read only by `irqspec.front.check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from .diagnostics import NO_SPAN, Span

# ---------------------------------------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class IntLit:
    value: int
    span: Span = NO_SPAN


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span = NO_SPAN


@dataclass(frozen=True)
class Name:
    name: str
    span: Span = NO_SPAN


@dataclass(frozen=True)
class Primed:
    """`x'` written inside an expression: always an error (primes belong on the left of an action's assignment)."""

    name: str
    span: Span = NO_SPAN


@dataclass(frozen=True)
class CallExpr:
    func: str
    args: tuple["SExpr", ...]
    span: Span = NO_SPAN


@dataclass(frozen=True)
class IndexExpr:
    base: "SExpr"
    index: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class FieldExpr:
    base: "SExpr"
    name: str
    span: Span = NO_SPAN


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "~", "not"
    arg: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">=", "and", "or", "implies"
    left: "SExpr"
    right: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class IteExpr:
    cond: "SExpr"
    then: "SExpr"
    else_: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class LetExpr:
    name: str
    value: "SExpr"
    body: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class Binder:
    name: str
    domain: "SType"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class QuantExpr:
    kind: str  # "forall" | "exists"
    binders: tuple[Binder, ...]
    body: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class MapComp:
    name: str
    domain: "SType"
    body: "SExpr"
    span: Span = NO_SPAN


@dataclass(frozen=True)
class RecordExpr:
    fields: tuple[tuple[str, "SExpr"], ...]
    span: Span = NO_SPAN


@dataclass(frozen=True)
class MatchArm:
    """One arm of a `match`: the enum members it takes (`()` for `else`) and its value (an expression) or block."""

    members: tuple[str, ...]
    body: object  # SExpr in a MatchExpr, tuple[SStmt, ...] in a MatchStmt
    span: Span = NO_SPAN


@dataclass(frozen=True)
class MatchExpr:
    """`match e { A => x, B | C => y, else => z }`: the checker makes it if-then-else over `e == A`, ..."""

    subject: "SExpr"
    arms: tuple[MatchArm, ...]
    span: Span = NO_SPAN


SExpr = Union[IntLit, BoolLit, Name, Primed, CallExpr, IndexExpr, FieldExpr, Unary, Binary, IteExpr, LetExpr,
              QuantExpr, MapComp, RecordExpr, MatchExpr]

# ---------------------------------------------------------------------------------------------------------------- types


@dataclass(frozen=True)
class NamedType:
    name: str
    span: Span = NO_SPAN


@dataclass(frozen=True)
class BoolTypeExpr:
    span: Span = NO_SPAN


@dataclass(frozen=True)
class IntTypeExpr:
    """`int`: allowed only as the type of a constant."""

    span: Span = NO_SPAN


@dataclass(frozen=True)
class RangeTypeExpr:
    lo: SExpr
    hi: SExpr
    span: Span = NO_SPAN


@dataclass(frozen=True)
class BitsTypeExpr:
    width: SExpr
    span: Span = NO_SPAN


@dataclass(frozen=True)
class EnumTypeExpr:
    members: tuple[tuple[str, Span], ...]
    span: Span = NO_SPAN


@dataclass(frozen=True)
class RecordTypeExpr:
    fields: tuple[tuple[str, "SType", Span], ...]
    span: Span = NO_SPAN


@dataclass(frozen=True)
class MapTypeExpr:
    domain: "SType"
    codomain: "SType"
    span: Span = NO_SPAN


SType = Union[NamedType, BoolTypeExpr, IntTypeExpr, RangeTypeExpr, BitsTypeExpr, EnumTypeExpr, RecordTypeExpr,
              MapTypeExpr]

# ----------------------------------------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class SelectIndex:
    index: SExpr
    span: Span = NO_SPAN


@dataclass(frozen=True)
class SelectField:
    name: str
    span: Span = NO_SPAN


@dataclass(frozen=True)
class AssignStmt:
    var: str
    selectors: tuple[Union[SelectIndex, SelectField], ...]
    value: SExpr
    span: Span = NO_SPAN


@dataclass(frozen=True)
class LetStmtS:
    name: str
    value: SExpr
    span: Span = NO_SPAN


@dataclass(frozen=True)
class IfStmt:
    cond: SExpr
    then: tuple["SStmt", ...]
    else_: tuple["SStmt", ...]
    span: Span = NO_SPAN


@dataclass(frozen=True)
class MatchStmt:
    """`match e { A => { ... } B | C => { ... } else => { ... } }`: the checker makes it an if-else chain."""

    subject: SExpr
    arms: tuple[MatchArm, ...]
    span: Span = NO_SPAN


SStmt = Union[AssignStmt, LetStmtS, IfStmt, MatchStmt]

# --------------------------------------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class ImportDecl:
    name: str
    span: Span = NO_SPAN
    doc: str = ""


@dataclass(frozen=True)
class ConstItem:
    """One item of a constant's value: a value `lo` alone, or the range `lo..hi`."""

    lo: SExpr
    hi: Optional[SExpr]
    span: Span = NO_SPAN


@dataclass(frozen=True)
class ConstDecl:
    """`const NAME [: type] = items`. One item without `..` makes a constant of one value; a range `lo..hi` or several
    comma-separated items make a set constant (a type whose values are the union of the items)."""

    name: str
    type: Optional[SType]
    items: tuple[ConstItem, ...]
    span: Span = NO_SPAN
    doc: str = ""

    @property
    def is_set(self) -> bool:
        return is_set(self.items)


def is_set(items: tuple[ConstItem, ...]) -> bool:
    """Whether a constant's items (declared or given by -D) make a set rather than one value."""
    return len(items) > 1 or items[0].hi is not None


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: SType
    span: Span = NO_SPAN
    doc: str = ""


@dataclass(frozen=True)
class VarDecl:
    names: tuple[tuple[str, Span], ...]
    type: SType
    ghost: bool
    span: Span = NO_SPAN
    doc: str = ""


@dataclass(frozen=True)
class InitAssign:
    var: str
    value: SExpr
    span: Span = NO_SPAN


@dataclass(frozen=True)
class InitDecl:
    assigns: tuple[InitAssign, ...]
    span: Span = NO_SPAN
    doc: str = ""


@dataclass(frozen=True)
class ParamDecl:
    name: str
    type: SType
    span: Span = NO_SPAN


@dataclass(frozen=True)
class ActionDecl:
    name: str
    params: tuple[ParamDecl, ...]
    requires: tuple[SExpr, ...]
    body: tuple[SStmt, ...]
    span: Span = NO_SPAN
    doc: str = ""
    fairness: str = ""  # "" (none) | "weak" (`fair action`) | "strong" (`strong fair action`)
    fair_when: "SExpr | None" = None  # `when C`: the states where the fairness applies


@dataclass(frozen=True)
class DefDecl:
    name: str
    params: tuple[ParamDecl, ...]
    result: SType
    body: SExpr
    span: Span = NO_SPAN
    doc: str = ""


@dataclass(frozen=True)
class PropDecl:
    kind: str  # "invariant" | "lemma" | "cover" | "liveness"
    name: str
    expr: SExpr
    span: Span = NO_SPAN
    doc: str = ""


Decl = Union[ImportDecl, ConstDecl, TypeDecl, VarDecl, InitDecl, ActionDecl, DefDecl, PropDecl]


@dataclass(frozen=True)
class ModuleAst:
    name: str
    decls: tuple[Decl, ...]
    file: str
    span: Span = NO_SPAN
    doc: str = ""
