"""IR expressions -> Quint expression text, and the names that keep a spec's identifiers legal in one Quint module.

Values as Quint has them, and as Quint's ITF traces show them (so that `irqspec replay` reads a `quint run` trace of
the export as a trace of the spec): bool, int, bits[N] a `Set[int]` of the indices of its set bits, an enum member
a constructor of a sum type (`Idle`), a record a record, a map a map (`Cpu.mapBy(c => ...)`, `m.get(c)`,
`m.set(c, v)`). Every operator of `generator.semantics.OPERATORS` has a reading here with the same meaning; the few
that Quint lacks are pure defs the module carries only when it uses them (`QuintHelpers`): Quint has no recursion,
so the bitwise operations on integers and the carry of bits[N] addition are folds over the bit positions.

Names: a spec name that is a Quint keyword or a built-in operator's name gets a trailing `_`; binders avoid every
module-level name and every binder around them, as in the TLA+ export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import ir
from .reading import ModuleNames, Scope, bits_runs, bits_width, flatten, type_key, within

RESERVED = frozenset("""
module import export from as const var def val pure nondet action temporal run assume type Set List Rec Tup if else
all any and or iff implies not true false int bool str match Nat Int Bool
eq neq exists forall in contains notin union intersect exclude subseteq filter map fold powerset flatten allLists
chooseSome oneOf isFinite size get keys mapBy setToMap setOfMaps set setBy put with tuples append concat head tail
length nth indices replaceAt slice range select foldl foldr to always eventually next orKeep mustChange enabled
weakFair strongFair assert ite iadd isub imul idiv imod ipow ilt igt ilte igte iuminus actionAll actionAny field
fieldNames item variant matchVariant Some None then reps fail expect q init step
""".split())

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def legal(name: str) -> str:
    """`name` if Quint takes it as a name of the module, else `name_`."""
    if not _IDENT.match(name):
        raise ValueError(f"not an identifier: {name!r}")
    return name + "_" if name in RESERVED else name



def quint_names(spec_names: set[str]) -> ModuleNames:
    """The names of one Quint module (see ModuleNames)."""
    return ModuleNames(spec_names, legal, RESERVED)


# ---------------------------------------------------------------------------------------------------- helpers

_HELPERS = {
    "highest": "pure def {name}(s: Set[int]): int = s.fold(0, (m, x) => if (x > m) x else m)",
    "lowest": "pure def {name}(s: Set[int], w: int): int = if (s == Set()) 0 else s.fold(w, (m, x) => if (x < m) x else m)",
    "bitsLess": "pure def {name}(a: Set[int], b: Set[int]): bool =\n"
                "  a != b and b.contains({highest}(a.exclude(b).union(b.exclude(a))))",
    "bitsAdd": "pure def {name}(a: Set[int], b: Set[int], cin: bool, w: int): Set[int] =\n"
               "  range(0, w).foldl((Set(), cin), (acc, i) => {{\n"
               "    val x = a.contains(i)\n"
               "    val y = b.contains(i)\n"
               "    val c = acc._2\n"
               "    (if ((x != y) != c) acc._1.union(Set(i)) else acc._1, (x and y) or (c and (x or y)))\n"
               "  }})._1",
    "intAnd": "pure def {name}(a: int, b: int, k: int): int =\n"
              "  range(0, k).foldl(0, (acc, i) => if ((a / 2^i) % 2 == 1 and (b / 2^i) % 2 == 1) acc + 2^i else acc)",
    "intOr": "pure def {name}(a: int, b: int, k: int): int =\n"
             "  range(0, k).foldl(0, (acc, i) => if ((a / 2^i) % 2 == 1 or (b / 2^i) % 2 == 1) acc + 2^i else acc)",
    "intXor": "pure def {name}(a: int, b: int, k: int): int =\n"
              "  range(0, k).foldl(0, (acc, i) => if ((a / 2^i) % 2 != (b / 2^i) % 2) acc + 2^i else acc)",
    "minimum": "pure def {name}(a: int, b: int): int = if (a <= b) a else b",
    "maximum": "pure def {name}(a: int, b: int): int = if (a >= b) a else b",
}
_NEEDS = {"bitsLess": ("highest",)}


@dataclass
class QuintHelpers:
    names: ModuleNames
    named: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def use(self, key: str) -> str:
        if key not in self.named:
            for need in _NEEDS.get(key, ()):
                self.use(need)
            self.named[key] = self.names.fresh(key)
            self.order.append(key)
        return self.named[key]

    def definitions(self) -> list[str]:
        return [_HELPERS[k].format(name=self.named[k], **{n: self.named[n] for n in _NEEDS.get(k, ())})
                for k in self.order]


# ------------------------------------------------------------------------------------------------- expressions


def _atomic(text: str) -> bool:
    if re.fullmatch(r"[A-Za-z0-9_]+", text):
        return True
    depth, in_string = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            in_string = not in_string
        if in_string:
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch == " ":
            return False
    return depth == 0 and not text.startswith(("-", "not"))


def int_set(runs: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """A set of integers from its runs: `16.to(255)`, `Set(32, 40)`, `Set(32, 40).union(48.to(50))`."""
    singles = [str(v) for a, b in runs if b - a < 2 for v in range(a, b + 1)]
    ranges = [f"{_num(a)}.to({b})" for a, b in runs if b - a >= 2]
    parts = ([f"Set({', '.join(singles)})"] if singles else []) + ranges
    if not parts:
        return "Set()"
    text = parts[0]
    for p in parts[1:]:
        text = f"{text}.union({p})"
    return text


def _num(n: int) -> str:
    return f"({n})" if n < 0 else str(n)


@dataclass
class QuintExprWriter:
    """Renders IR expressions as Quint, as TlaExprWriter does for TLA+."""

    var_names: dict[str, str]
    function_names: dict[str, str]
    type_names: dict[tuple, str]  # record and enum types by type_key
    set_names: dict[tuple, str]  # named int types (Cpu, VECTORS) by type_key: their `pure val` sets
    constant_names: dict[str, str]
    members: dict[tuple[tuple[str, ...], str], str]  # (enum members, member) -> constructor name
    helpers: QuintHelpers
    scope: Scope = field(init=False)

    def __post_init__(self) -> None:
        self.scope = Scope(self.helpers.names.taken, legal)

    # -- types

    def type_text(self, t: ir.Type) -> str:
        if type_key(t) in self.type_names:
            return self.type_names[type_key(t)]
        if isinstance(t, ir.BoolType):
            return "bool"
        if isinstance(t, ir.IntType):
            return "int"
        if isinstance(t, ir.BitsType):
            return "Set[int]"
        if isinstance(t, ir.RecordType):
            return "{ " + ", ".join(f"{legal(f)}: {self.type_text(ft)}" for f, ft in t.fields) + " }"
        if isinstance(t, ir.MapType):
            return f"{self.type_text(t.domain)} -> {self.type_text(t.codomain)}"
        raise TypeError(t)

    def domain(self, t: ir.Type) -> str:
        """The set of a finite domain's values."""
        if type_key(t) in self.set_names:
            return self.set_names[type_key(t)]
        if isinstance(t, ir.BoolType):
            return "Bool"
        if isinstance(t, ir.IntType):
            return f"{_num(t.lo)}.to({t.hi})" if t.runs is None else int_set(t.runs)
        if isinstance(t, ir.EnumType):
            return f"Set({', '.join(self.member(t, m) for m in t.members)})"
        raise TypeError(t)

    def member(self, t: ir.EnumType, m: str) -> str:
        return self.members[(t.members, m)]

    def in_type(self, text: str, t: ir.Type) -> str:
        """The condition that the value `text` is a value of `t` (Quint's types hold bool, enums and the shape; the
        integer ranges, bit widths and map domains are what is left to check)."""
        if isinstance(t, ir.IntType):
            if t.runs is None:
                return f"{_num(t.lo)} <= {text} and {text} <= {t.hi}"
            return f"{self.domain(t)}.contains({text})"
        if isinstance(t, ir.BitsType):
            return f"{text}.subseteq(0.to({t.width - 1}))"
        if isinstance(t, ir.RecordType):
            parts = [self.in_type(f"{text}.{legal(f)}", ft) for f, ft in t.fields]
            parts = [p for p in parts if p != "true"]
            return " and ".join(f"({p})" for p in parts) if parts else "true"
        if isinstance(t, ir.MapType):
            k = f"k{len(self.scope.around)}"
            inner = self.in_type(f"{text}.get({k})", t.codomain)
            keys = f"{text}.keys() == {self.domain(t.domain)}"
            return keys if inner == "true" else f"{keys} and {self.domain(t.domain)}.forall({k} => {inner})"
        return "true"

    # -- values

    def value(self, value: object, t: ir.Type) -> str:
        if isinstance(t, ir.BoolType):
            return "true" if value else "false"
        if isinstance(t, ir.IntType):
            return _num(int(value))  # type: ignore[call-overload]
        if isinstance(t, ir.BitsType):
            n = int(value)  # type: ignore[call-overload]
            return int_set(bits_runs(n))
        if isinstance(t, ir.EnumType):
            return self.member(t, str(value))
        if isinstance(t, ir.RecordType):
            return "{ " + ", ".join(f"{legal(f)}: {self.value(v, ft)}"
                                    for v, (f, ft) in zip(value, t.fields)) + " }"  # type: ignore[call-overload]
        if isinstance(t, ir.MapType):
            keys = ir.domain_values(t.domain)
            items = [self.value(v, t.codomain) for v in value]  # type: ignore[attr-defined]
            k = self.scope.fresh("k")
            self.scope.unbind()
            if all(x == items[0] for x in items):
                return f"{self.domain(t.domain)}.mapBy({k} => {items[0]})"
            body = items[-1]
            for key, x in reversed(list(zip(keys, items))[:-1]):
                body = f"if ({k} == {self.value(key, t.domain)}) {x} else {body}"
            return f"{self.domain(t.domain)}.mapBy({k} => {body})"
        raise TypeError(t)

    # -- expressions

    def expr(self, e: ir.Expr) -> str:
        return getattr(self, "_" + type(e).__name__.lower())(e)

    def operand(self, e: ir.Expr) -> str:
        text = self.expr(e)
        return text if _atomic(text) else f"({text})"

    def rhs(self, e: ir.Expr) -> str:
        """`e` on the right of `x' = `, in parentheses unless it is one unit: Quint reads `x' = a and b` as
        `(x' = a) and b`."""
        return self.operand(e)

    def _lit(self, e: ir.Lit) -> str:
        if e.const and e.const in self.constant_names and not isinstance(e.type, ir.BitsType):
            return self.constant_names[e.const]
        return self.value(e.value, e.type)

    def _var(self, e: ir.Var) -> str:
        return self.var_names[e.name]

    def _local(self, e: ir.Local) -> str:
        return self.scope.names[e.uid]

    def _op(self, e: ir.Op) -> str:
        op, args = e.op, e.args
        if op in ("and", "or"):
            parts: list[ir.Expr] = []
            flatten(e, op, parts)
            return f" {op} ".join(self.operand(p) for p in parts)
        if op == "not":
            return f"not({self.expr(args[0])})"
        infix = {"implies": "implies", "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
                 "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}
        if op in infix:
            return f"{self.operand(args[0])} {infix[op]} {self.operand(args[1])}"
        if op == "neg":
            return f"-{self.operand(args[0])}"
        if op == "prio":
            return f"{self.operand(args[0])} / 16"
        if op in ("shl", "shr"):
            amount = args[1]
            factor = str(2 ** int(amount.value)) if isinstance(amount, ir.Lit) else f"2^{self.operand(amount)}"
            return f"{self.operand(args[0])} {'*' if op == 'shl' else '/'} {factor}"
        if op in ("band", "bor", "bxor"):
            k = max(1, max(a.type.hi for a in args if isinstance(a.type, ir.IntType)).bit_length())
            name = self.helpers.use({"band": "intAnd", "bor": "intOr", "bxor": "intXor"}[op])
            return f"{name}({self.expr(args[0])}, {self.expr(args[1])}, {k})"
        if op in ("min", "max"):
            return f"{self.helpers.use('minimum' if op == 'min' else 'maximum')}({self.expr(args[0])}, {self.expr(args[1])})"
        if op in ("ult", "ule", "ugt", "uge"):
            less = self.helpers.use("bitsLess")
            a, b = self.expr(args[0]), self.expr(args[1])
            return {"ult": f"{less}({a}, {b})", "ugt": f"{less}({b}, {a})", "ule": f"not({less}({b}, {a}))",
                    "uge": f"not({less}({a}, {b}))"}[op]
        width = bits_width(e)
        assert width is not None
        everything = f"0.to({width - 1})"
        if op == "highest":
            return f"{self.helpers.use('highest')}({self.expr(args[0])})"
        if op == "lowest":
            return f"{self.helpers.use('lowest')}({self.expr(args[0])}, {width})"
        if op == "popcount":
            return f"{self.operand(args[0])}.size()"
        if op == "bvand":
            right = args[1]
            if isinstance(right, ir.Op) and right.op == "bvnot":
                return f"{self.operand(args[0])}.exclude({self.expr(right.args[0])})"
            return f"{self.operand(args[0])}.intersect({self.expr(args[1])})"
        if op == "bvor":
            return f"{self.operand(args[0])}.union({self.expr(args[1])})"
        if op == "bvxor":
            a, b = self.operand(args[0]), self.operand(args[1])
            return f"{a}.exclude({b}).union({b}.exclude({a}))"
        if op == "bvnot":
            return f"{everything}.exclude({self.expr(args[0])})"
        if op in ("bvadd", "bvsub"):
            add = self.helpers.use("bitsAdd")
            if op == "bvadd":
                return f"{add}({self.expr(args[0])}, {self.expr(args[1])}, false, {width})"
            return f"{add}({self.expr(args[0])}, {everything}.exclude({self.expr(args[1])}), true, {width})"
        if op in ("bvshl", "bvshr"):
            a, b = self.operand(args[0]), self.operand(args[1])
            i = self.scope.fresh("i")
            self.scope.unbind()
            sign = "-" if op == "bvshl" else "+"
            return f"{everything}.filter({i} => {a}.contains({i} {sign} {b}))"
        if op == "bit":
            one = f"Set({self.expr(args[0])})"
            return one if within(args[0].type, width) else f"{one}.intersect({everything})"
        raise ValueError(f"no Quint reading of operator {op!r}")

    def _index(self, e: ir.Index) -> str:
        if isinstance(e.base.type, ir.BitsType):
            return f"{self.operand(e.base)}.contains({self.expr(e.index)})"
        return f"{self.operand(e.base)}.get({self.expr(e.index)})"

    def _field(self, e: ir.Field) -> str:
        return f"{self.operand(e.base)}.{legal(e.name)}"

    def _ite(self, e: ir.Ite) -> str:
        return f"if ({self.expr(e.cond)}) {self.expr(e.then)} else {self.expr(e.else_)}"

    def _let(self, e: ir.Let) -> str:
        value = self.expr(e.value)
        name = self.scope.bind(e.uid, e.name)
        try:
            return f"{{ val {name} = {value} {self.expr(e.body)} }}"
        finally:
            self.scope.unbind()

    def _quant(self, e: ir.Quant) -> str:
        domain = self.domain(e.domain)
        name = self.scope.bind(e.uid, e.name)
        try:
            return f"{domain}.{e.kind}({name} => {self.expr(e.body)})"
        finally:
            self.scope.unbind()

    def _maplit(self, e: ir.MapLit) -> str:
        domain = self.domain(e.domain)
        name = self.scope.bind(e.uid, e.name)
        try:
            return f"{domain}.mapBy({name} => {self.expr(e.body)})"
        finally:
            self.scope.unbind()

    def _recordlit(self, e: ir.RecordLit) -> str:
        return "{ " + ", ".join(f"{legal(f)}: {self.expr(v)}" for v, (f, _) in zip(e.values, e.type.fields)) + " }"

    def _call(self, e: ir.Call) -> str:
        name = self.function_names[e.func]
        return f"{name}({', '.join(self.expr(a) for a in e.args)})" if e.args else name

    def _update(self, e: ir.Update) -> str:
        base, value = self.operand(e.base), self.expr(e.value)
        t = e.base.type
        if isinstance(t, ir.BitsType):
            assert e.index is not None
            one = f"Set({self.expr(e.index)})"
            if not within(e.index.type, t.width):
                one = f"{one}.intersect(0.to({t.width - 1}))"
            if isinstance(e.value, ir.Lit):
                return f"{base}.union({one})" if e.value.value else f"{base}.exclude({one})"
            return f"if ({value}) {base}.union({one}) else {base}.exclude({one})"
        if isinstance(t, ir.RecordType):
            assert e.field_name is not None
            return f'{base}.with("{legal(e.field_name)}", {value})'
        assert e.index is not None
        return f"{base}.set({self.expr(e.index)}, {value})"
