"""The one IR: a typed, normalized, finite transition system.

Produced by `irqspec.front.check` and read by every backend (Z3, Python generation, JSON, exports). In the IR:
- constants are substituted (no const names remain; a `Lit` stands where a const was used);
- imports are resolved (functions of imported modules are in `System.functions`);
- named types are resolved to structural types (the name is kept for display only and does not take part in equality);
- every expression carries its type; integer expressions carry the interval of values they can take, so that a
  backend can pick the narrowest machine sort for each of them and integer arithmetic never overflows;
- every name is resolved: `Var` is a state variable, `Local` a parameter, let, quantifier or function argument.

Values (what `Lit.value` holds and what the runtime computes with):
  bool -> bool; int range -> int; bits[N] -> int in 0..2**N-1; enum -> member name (str);
  record -> tuple of field values in declaration order; map -> tuple of values, one per domain element in order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Union

from .front.diagnostics import NO_SPAN, Span

# ---------------------------------------------------------------------------------------------------------------- types


@dataclass(frozen=True)
class BoolType:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True)
class IntType:
    """The integers lo..hi (both inclusive). The type of a variable, a parameter, or the interval of an expression.

    A set constant that is not one contiguous range (`const VECTORS = 0x20, 0x28, 0x30..0x31`) gives a declared type
    with `runs`: its members as maximal runs (lo, hi), sorted, disjoint and not adjacent, the first starting at `lo`,
    the last ending at `hi`. Then only those integers are values of the type: its domain, its validity constraint and
    its range checks go by the runs. Runs rather than members keep a set such as `16..31, 48..255` two pairs long
    (and its membership test two comparisons). Only declared types carry runs (a variable, a parameter, a binder, a
    map domain or codomain, a record field, and the expressions that read them), and an `if` whose branches or
    target do (its type is the union of its branches'); the intervals computed for arithmetic are plain lo..hi. A
    contiguous set has `runs` None, so its IR is a range's. Build one with `int_set`, which normalizes."""

    lo: int
    hi: int
    name: str = field(default="", compare=False)
    # JSON (generator/jsonir.py) leaves the field out when it is None: a range's IR reads as it did before sets
    runs: tuple[tuple[int, int], ...] | None = field(default=None, metadata={"omit_if": None})

    def __str__(self) -> str:
        return self.name or self.values_text()

    def values_text(self) -> str:
        """The values as the spec would write them: `lo..hi`, or a set `{32, 40, 48..49}`."""
        if self.runs is None:
            return f"{self.lo}..{self.hi}"
        return "{" + ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in self.runs) + "}"

    def spans(self) -> tuple[tuple[int, int], ...]:
        """The values as runs (lo, hi): the runs of a set, the one interval of a range."""
        return self.runs if self.runs is not None else ((self.lo, self.hi),)

    def has(self, value: int) -> bool:
        """Whether `value` is a value of the type."""
        if self.runs is None:
            return self.lo <= value <= self.hi
        i = bisect.bisect_right(self.runs, (value, float("inf"))) - 1
        return i >= 0 and self.runs[i][0] <= value <= self.runs[i][1]

    def contains(self, other: "IntType") -> bool:
        """Whether every value of `other` is a value of this type."""
        if self.runs is None:
            return self.lo <= other.lo and other.hi <= self.hi
        for a, b in other.spans():
            i = bisect.bisect_right(self.runs, (a, float("inf"))) - 1
            if i < 0 or b > self.runs[i][1]:
                return False
        return True

    def overlaps(self, other: "IntType") -> bool:
        """Whether some value is a value of both types."""
        if self.runs is None and other.runs is None:
            return self.lo <= other.hi and other.lo <= self.hi
        mine, theirs = self.spans(), other.spans()
        i = j = 0
        while i < len(mine) and j < len(theirs):
            if mine[i][0] <= theirs[j][1] and theirs[j][0] <= mine[i][1]:
                return True
            if mine[i][1] < theirs[j][1]:
                i += 1
            else:
                j += 1
        return False


def int_set(spans: Iterable[tuple[int, int]], name: str = "") -> IntType:
    """The type whose values are the union of the non-empty intervals `spans`, in any order (overlaps and adjacent
    intervals merge): a plain range when they make one, else a type with runs."""
    runs: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if runs and a <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(runs[-1][1], b))
        else:
            runs.append((a, b))
    if not runs:
        raise ValueError("an integer type needs at least one value")
    return IntType(runs[0][0], runs[-1][1], name, tuple(runs) if len(runs) > 1 else None)


@dataclass(frozen=True)
class BitsType:
    """A fixed-width bit vector, read as an unsigned number for arithmetic and as a set of bit indices."""

    width: int

    def __str__(self) -> str:
        return f"bits[{self.width}]"


@dataclass(frozen=True)
class EnumType:
    name: str
    members: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class RecordType:
    name: str
    fields: tuple[tuple[str, "Type"], ...]

    def __str__(self) -> str:
        return self.name or "record { " + ", ".join(f"{n}: {t}" for n, t in self.fields) + " }"

    def field_type(self, name: str) -> "Type":
        for n, t in self.fields:
            if n == name:
                return t
        raise KeyError(name)

    def field_index(self, name: str) -> int:
        return [n for n, _ in self.fields].index(name)


@dataclass(frozen=True)
class MapType:
    """A total function from a finite domain (an int range or an enum) to values of `codomain`."""

    domain: Union[IntType, EnumType]
    codomain: "Type"

    def __str__(self) -> str:
        return f"{self.domain} -> {self.codomain}"


Type = Union[BoolType, IntType, BitsType, EnumType, RecordType, MapType]
BOOL = BoolType()


def domain_values(t: Union[IntType, EnumType, BoolType]) -> tuple:
    """The elements of a finite domain, in order (a set's members ascending)."""
    if isinstance(t, IntType):
        if t.runs is None:
            return tuple(range(t.lo, t.hi + 1))
        return tuple(v for a, b in t.runs for v in range(a, b + 1))
    if isinstance(t, EnumType):
        return t.members
    if isinstance(t, BoolType):
        return (False, True)
    raise TypeError(f"not a finite domain: {t}")


def domain_size(t: Type) -> int:
    if isinstance(t, IntType):
        return sum(b - a + 1 for a, b in t.spans())
    if isinstance(t, EnumType):
        return len(t.members)
    if isinstance(t, BoolType):
        return 2
    raise TypeError(f"not a finite domain: {t}")


def domain_position(t: IntType | EnumType, key: object) -> int:
    """Where the entry of key `key` sits in a map over domain `t` (a tuple with one entry per element, in order)."""
    if isinstance(t, IntType):
        k = int(key)  # type: ignore[call-overload]
        if t.runs is None:
            return k - t.lo
        before = 0
        for a, b in t.runs:
            if a <= k <= b:
                return before + k - a
            before += b - a + 1
        raise ValueError(f"{k} is not in {t.values_text()}")
    if isinstance(t, EnumType):
        return t.members.index(str(key))
    raise TypeError(f"not a map domain: {t}")


def bits_needed(n: int) -> int:
    """Bits to tell n distinct values apart (at least 1)."""
    return max(1, (n - 1).bit_length())


def state_bits(t: Type) -> int:
    """The number of bits a value of `t` takes in an encoding that uses the narrowest field for each part."""
    if isinstance(t, BoolType):
        return 1
    if isinstance(t, IntType):
        return bits_needed(t.hi - t.lo + 1)  # a set is stored like its interval (generator/smt/storage.py)
    if isinstance(t, BitsType):
        return t.width
    if isinstance(t, EnumType):
        return bits_needed(len(t.members))
    if isinstance(t, RecordType):
        return sum(state_bits(ft) for _, ft in t.fields)
    if isinstance(t, MapType):
        return domain_size(t.domain) * state_bits(t.codomain)
    raise TypeError(t)


def value_count(t: Type) -> int:
    """The number of distinct values of `t`."""
    if isinstance(t, (BoolType, IntType, EnumType)):
        return domain_size(t)
    if isinstance(t, BitsType):
        return 1 << t.width
    if isinstance(t, RecordType):
        n = 1
        for _, ft in t.fields:
            n *= value_count(ft)
        return n
    if isinstance(t, MapType):
        return value_count(t.codomain) ** domain_size(t.domain)
    raise TypeError(t)


def default_value(t: Type):
    """The least value of a type (used for padding and as a neutral element, never silently as an initial value)."""
    if isinstance(t, BoolType):
        return False
    if isinstance(t, IntType):
        return t.lo
    if isinstance(t, BitsType):
        return 0
    if isinstance(t, EnumType):
        return t.members[0]
    if isinstance(t, RecordType):
        return tuple(default_value(ft) for _, ft in t.fields)
    if isinstance(t, MapType):
        return tuple(default_value(t.codomain) for _ in domain_values(t.domain))
    raise TypeError(t)


# ---------------------------------------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Lit:
    """A constant value of `type` (see the module docstring for how values are represented). `const` names the
    spec constant the literal stands for, when it is one (for reports: a design switch, `switches.py`); it takes no
    part in the meaning, nor in equality."""

    value: object
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)
    const: str = field(default="", compare=False, metadata={"omit_if": ""})


@dataclass(frozen=True)
class Var:
    """A state variable read in the pre-state."""

    name: str
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Local:
    """A use of a name bound by an action parameter, a let, a quantifier, a map comprehension or a function
    parameter. `uid` is the identity of its binder (the binder node carries the same `uid`): backends resolve a
    local through it, never through `name`, which is kept for display only. So an inner binder that shadows an outer
    one of the same name, or a let whose value mentions a name that a quantifier later rebinds, cannot be confused."""

    name: str
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)
    uid: int = field(kw_only=True)


@dataclass(frozen=True)
class Op:
    """An operator or built-in applied to arguments; its meaning is the row `op` of `generator.semantics.OPERATORS`.

    `type` is the result type; for integer results it is the interval the result lies in.
    """

    op: str
    args: tuple["Expr", ...]
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Index:
    """`base[index]`: a map lookup when base is a map, a single-bit test (a bool) when base is bits[N].

    For a bit test an index outside 0..N-1 reads as false; a map index always lies in the domain (checked statically).
    """

    base: "Expr"
    index: "Expr"
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Field:
    base: "Expr"
    name: str
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Let:
    name: str
    value: "Expr"
    body: "Expr"
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)
    uid: int = field(kw_only=True)  # the binder's identity (see Local)


@dataclass(frozen=True)
class Quant:
    """`forall`/`exists` `name` in `domain`: `body` (one bound variable; several are nested)."""

    kind: str  # "forall" | "exists"
    name: str
    domain: Union[IntType, EnumType, BoolType]
    body: "Expr"
    type: Type = BOOL
    span: Span = field(default=NO_SPAN, compare=False)
    uid: int = field(kw_only=True)  # the binder's identity (see Local)


@dataclass(frozen=True)
class MapLit:
    """`[name in domain: body]`: the map sending each element of the domain to body."""

    name: str
    domain: Union[IntType, EnumType]
    body: "Expr"
    type: MapType
    span: Span = field(default=NO_SPAN, compare=False)
    uid: int = field(kw_only=True)  # the binder's identity (see Local)


@dataclass(frozen=True)
class RecordLit:
    values: tuple["Expr", ...]  # in the record type's field order
    type: RecordType
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Call:
    """A call of a pure function of `System.functions` (never recursive)."""

    func: str
    args: tuple["Expr", ...]
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Update:
    """A functional update: `base` with the part selected by `index` (map or bit) or `field_name` replaced by `value`.

    Not written by users: `generator.transition` builds these when it turns an action's assignments into next-state
    expressions. Exactly one of `index` and `field_name` is set.
    """

    base: "Expr"
    index: "Expr | None"
    field_name: "str | None"
    value: "Expr"
    type: Type
    span: Span = field(default=NO_SPAN, compare=False)


Expr = Union[Lit, Var, Local, Op, Index, Field, Ite, Let, Quant, MapLit, RecordLit, Call, Update]


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of an expression (for a binder: its value and body), in evaluation order."""
    if isinstance(e, Let):
        return (e.value, e.body)
    if isinstance(e, (Quant, MapLit)):
        return (e.body,)
    if isinstance(e, (Op, Call)):
        return e.args
    if isinstance(e, Index):
        return (e.base, e.index)
    if isinstance(e, Field):
        return (e.base,)
    if isinstance(e, Ite):
        return (e.cond, e.then, e.else_)
    if isinstance(e, RecordLit):
        return e.values
    if isinstance(e, Update):
        return (e.base,) + ((e.index,) if e.index is not None else ()) + (e.value,)
    return ()


def conjuncts(e: "Expr") -> list["Expr"]:
    """The top-level `and` operands of `e`, left to right."""
    if isinstance(e, Op) and e.op == "and":
        return conjuncts(e.args[0]) + conjuncts(e.args[1])
    return [e]


def vars_read(exprs: "Expr | tuple[Expr, ...]", out: list[str] | None = None) -> list[str]:
    """The state variables that expressions read, in first-read order (a def reads no state: its arguments do)."""
    out = [] if out is None else out
    for e in exprs if isinstance(exprs, tuple) else (exprs,):
        if isinstance(e, Var):
            if e.name not in out:
                out.append(e.name)
        else:
            vars_read(children(e), out)
    return out


# ----------------------------------------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class IndexStep:
    index: Expr


@dataclass(frozen=True)
class FieldStep:
    name: str


PathStep = Union[IndexStep, FieldStep]


@dataclass(frozen=True)
class Assign:
    """`var'<path> = value`: set the part of `var` selected by `path` (empty: the whole variable) in the post-state.

    `range_checked` is true when `value` is an integer whose interval is not inside the target's range: then taking the
    action with a value outside the range is a modelling error that every backend reports (the Z3 backends as a
    violation of the implicit property `range`, the generated model by raising `RangeViolation`).
    """

    var: str
    path: tuple[PathStep, ...]
    value: Expr
    target_type: Type
    range_checked: bool = False
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class LetStmt:
    """`let name = value`: binds name for the statements after it in the same block."""

    name: str
    value: Expr
    span: Span = field(default=NO_SPAN, compare=False)
    uid: int = field(kw_only=True)  # the binder's identity (see Local)


@dataclass(frozen=True)
class If:
    """`if cond { then } else { else_ }`. `branch_id` numbers the ifs of one action from 0 in source order."""

    cond: Expr
    then: tuple["Stmt", ...]
    else_: tuple["Stmt", ...]
    branch_id: int
    span: Span = field(default=NO_SPAN, compare=False)


Stmt = Union[Assign, LetStmt, If]


# ------------------------------------------------------------------------------------------------------------- program


@dataclass(frozen=True)
class StateVar:
    name: str
    type: Type
    ghost: bool = False
    doc: str = ""
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Param:
    """A parameter: of an action (a finite domain: range, enum or bool) or of a function (any type)."""

    name: str
    type: "Type"
    span: Span = field(default=NO_SPAN, compare=False)
    uid: int = field(kw_only=True)  # the binder's identity (see Local)


@dataclass(frozen=True)
class Function:
    """A pure definition `def name(params): result = body`; `module` is where it was written."""

    name: str
    params: tuple[Param, ...]
    result: Type
    body: Expr
    module: str
    doc: str = ""
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Action:
    """A guarded, parameterized transition. Variables not assigned in `body` keep their value (the frame).

    Enabled for parameter values p when `guard` holds; then every right-hand side in `body` is evaluated in the pre-state.
    Assignments to overlapping parts in one run of the body are rejected statically; where two map entries are assigned
    through index expressions that turn out equal at run time, the later one in source order wins.
    """

    name: str
    params: tuple[Param, ...]
    guard: Expr
    body: tuple[Stmt, ...]
    modifies: tuple[str, ...]  # the variables assigned somewhere in body, in declaration order
    doc: str = ""
    span: Span = field(default=NO_SPAN, compare=False)
    # fairness of each instance (each tuple of parameter values), as TLA+'s WF_vars / SF_vars of the instance: "" none,
    # "weak" (`fair action`), "strong" (`strong fair action`); see Liveness
    fairness: str = field(default="", metadata={"omit_if": ""})
    # `when C` on a fair action: its fairness applies only in states where C holds (WF_vars(C /\ A)); None: always
    fair_when: "Expr | None" = field(default=None, metadata={"omit_if": None})


@dataclass(frozen=True)
class Property:
    """An `invariant`, a `lemma` (only strengthens proofs) or a `cover` goal (a state that should be reachable)."""

    kind: str  # "invariant" | "lemma" | "cover"
    name: str
    expr: Expr
    doc: str = ""
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Liveness:
    """`liveness NAME: forall b1 in D1, ...: p ~> q`: for every value of the binders, every state of a behaviour in
    which `p` holds is followed (there or later) by one in which `q` holds (TLA+'s [](p => <>q)).

    A behaviour is an infinite sequence of states from the initial one in which each step is a step of an action
    instance or a stutter (the state unchanged: TLA+'s [Next]_vars), and which is fair: for an instance of a `fair`
    action, it is not enabled from some point on forever without being taken infinitely often; for a `strong fair`
    one, it is not enabled infinitely often without being taken infinitely often. An instance is enabled in s when it
    can take a step that changes the state (ENABLED <<A>>_vars), and taken by a step s -> t with t != s that it allows.
    So with no fairness every reachable state with `p` and not `q` is a violation (the behaviour stutters there)."""

    name: str
    binders: tuple[Param, ...]
    p: Expr
    q: Expr
    doc: str = ""
    span: Span = field(default=NO_SPAN, compare=False)


# The name of the implicit property "every range-checked assignment stays inside its target's range" (see Assign):
# reports, --inv and JSON name it so, and no declared property may take it.
RANGE_PROPERTY = "range"
# The name of the implicit property "some action is enabled in every reachable state" (explore's deadlock check):
# reserved as `range` is.
DEADLOCK_PROPERTY = "deadlock"


@dataclass(frozen=True)
class Constant:
    """A constant after substitution and -D overrides: kept for display and for the generated code's header."""

    name: str
    value: object  # int, bool, (lo, hi) for a range constant, or a tuple of (lo, hi) runs for any other set constant
    overridden: bool = False


def constant_runs(value: object) -> tuple[tuple[int, int], ...] | None:
    """The runs of a set constant's value as `Constant.value` holds it ((lo, hi), or a tuple of runs); None for a
    constant of one value."""
    if not isinstance(value, tuple):
        return None
    if value and isinstance(value[0], tuple):
        return value  # type: ignore[return-value]
    return (value,)  # type: ignore[return-value]


def constant_text(value: object) -> str:
    """A constant's value as the spec writes it: `2`, `true`, `16..255`, `{32, 40, 48..49}`."""
    runs = constant_runs(value)
    if runs is not None:
        return int_set(runs).values_text()
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class System:
    module: str
    file: str
    doc: str
    constants: tuple[Constant, ...]
    vars: tuple[StateVar, ...]
    init: tuple[tuple[str, Expr], ...]  # one expression per variable, in declaration order
    functions: tuple[Function, ...]  # in dependency order: a function only calls the ones before it
    actions: tuple[Action, ...]
    invariants: tuple[Property, ...]
    lemmas: tuple[Property, ...]
    covers: tuple[Property, ...]
    imports: tuple[str, ...] = ()
    liveness: tuple[Liveness, ...] = field(default=(), metadata={"omit_if": ()})

    def var(self, name: str) -> StateVar:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(name)

    def function(self, name: str) -> Function:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def action(self, name: str) -> Action:
        for a in self.actions:
            if a.name == name:
                return a
        raise KeyError(name)

    def fair_actions(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.fairness)

    def live(self, name: str) -> Liveness:
        for p in self.liveness:
            if p.name == name:
                return p
        raise KeyError(name)

    def invariant(self, name: str) -> Property:
        for p in self.invariants:
            if p.name == name:
                return p
        raise KeyError(name)
