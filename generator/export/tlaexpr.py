"""IR expressions -> TLA+ expression text, and the names that keep a spec's identifiers legal in one TLA+ module.

Values: bool is BOOLEAN, an integer range or set an integer, bits[N] the SET of the indices of its set bits (a subset
of 0..N-1: `irr[c] \\cup {v}`, `v \\in isr[c]`), an enum member a string ("Idle"), a record a record, a map a function.
Every operator of `generator.semantics.OPERATORS` has a reading here with the same meaning on those values; the few
that TLA+ has no operator for (the unsigned order and arithmetic of bit vectors, bitwise operations on integers,
highest/lowest) are helper operator definitions that the module carries only when it uses them (`Helper`).

Names: TLA+ has one name space per module, and a bound name (an operator's parameter, a LET, a quantifier's variable)
may not reuse a name defined around it. `tla_names` gives every module-level name of the spec its own name unless it
is a TLA+ reserved word or a name of the standard modules extended (then a suffix), and every binder a name that no
module-level name and no other binder of the same definition takes: a def's parameter `in_guest` beside the variable
`in_guest` becomes `in_guest_`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import ir
from .reading import ModuleNames, Scope, bits_runs, bits_width, flatten, type_key, within

# The reserved words of TLA+ (the TLA+2 grammar, proof language included), and the names that the standard modules
# the export extends (Integers, FiniteSets) define.
RESERVED = frozenset("""
ACTION ASSUME ASSUMPTION AXIOM BOOLEAN BY CASE CHOOSE CONSTANT CONSTANTS COROLLARY DEF DEFINE DEFS DOMAIN ELSE ENABLED
EXCEPT EXTENDS FALSE HAVE HIDE IF IN INSTANCE LAMBDA LEMMA LET LOCAL MODULE NEW OBVIOUS OMITTED ONLY OTHER PICK PROOF
PROPOSITION PROVE QED RECURSIVE SF_ STATE STRING SUBSET SUFFICES TAKE TEMPORAL THEN THEOREM TRUE UNCHANGED UNION USE
VARIABLE VARIABLES WF_ WITH WITNESS
Nat Int Real Cardinality IsFiniteSet
""".split())

_IDENT = re.compile(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*\Z")


def legal(name: str) -> str:
    """`name` if TLA+ takes it as an identifier of the module, else `name_` (a reserved word, a standard module's
    name, or a name that the lexer would read as the start of a fairness subscript, WF_ / SF_)."""
    if not _IDENT.match(name):
        raise ValueError(f"not an identifier: {name!r}")
    if name in RESERVED or name.startswith(("WF_", "SF_")):
        return name + "_"
    return name



def tla_names(spec_names: set[str]) -> ModuleNames:
    """The names of one TLA+ module (see ModuleNames)."""
    return ModuleNames(spec_names, legal, RESERVED)


# ---------------------------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Helper:
    """An operator the module defines for an IR operator TLA+ lacks: `text` has {name} for its own name, {p0}, {p1},
    ... for its parameters' names and {Other} for the name of a helper it calls."""

    key: str
    params: tuple[str, ...]
    text: str
    needs: tuple[str, ...] = ()
    recursive: bool = False


HELPERS = {h.key: h for h in [
    Helper("SetMax", ("S",), "{name}({p0}) == CHOOSE {p1} \\in {p0} : \\A {p2} \\in {p0} : {p2} <= {p1}",),
    Helper("SetMin", ("S",), "{name}({p0}) == CHOOSE {p1} \\in {p0} : \\A {p2} \\in {p0} : {p1} <= {p2}"),
    Helper("Highest", ("S",), "{name}({p0}) == IF {p0} = {{}} THEN 0 ELSE {SetMax}({p0})", ("SetMax",)),
    Helper("Lowest", ("S",), "{name}({p0}) == IF {p0} = {{}} THEN 0 ELSE {SetMin}({p0})", ("SetMin",)),
    # a < b as unsigned numbers: they differ, and the highest bit where they do is set in b
    Helper("BitsLess", ("a", "b"),
           "{name}({p0}, {p1}) == {p0} # {p1} /\\ {SetMax}(({p0} \\ {p1}) \\cup ({p1} \\ {p0})) \\in {p1}",
           ("SetMax",)),
    # the carry into bit i of a + b + cin: bit i-1's majority, found by walking down to where a and b agree
    Helper("BitsCarry", ("a", "b", "cin", "i"),
           "{name}({p0}, {p1}, {p2}, {p3}) ==\n"
           "    IF {p3} = 0 THEN {p2}\n"
           "    ELSE IF ({p3} - 1 \\in {p0}) = ({p3} - 1 \\in {p1}) THEN {p3} - 1 \\in {p0}\n"
           "    ELSE {name}({p0}, {p1}, {p2}, {p3} - 1)", recursive=True),
    # a + b + cin modulo 2^w
    Helper("BitsAdd", ("a", "b", "cin", "w"),
           "{name}({p0}, {p1}, {p2}, {p3}) ==\n"
           "    {{{p4} \\in 0..({p3} - 1) : (({p4} \\in {p0}) # ({p4} \\in {p1})) # {BitsCarry}({p0}, {p1}, {p2}, {p4})}}",
           ("BitsCarry",)),
    Helper("IntAnd", ("a", "b"),
           "{name}({p0}, {p1}) ==\n"
           "    IF {p0} = 0 \\/ {p1} = 0 THEN 0\n"
           "    ELSE 2 * {name}({p0} \\div 2, {p1} \\div 2) + (IF {p0} % 2 = 1 /\\ {p1} % 2 = 1 THEN 1 ELSE 0)",
           recursive=True),
    Helper("IntOr", ("a", "b"),
           "{name}({p0}, {p1}) ==\n"
           "    IF {p0} = 0 THEN {p1} ELSE IF {p1} = 0 THEN {p0}\n"
           "    ELSE 2 * {name}({p0} \\div 2, {p1} \\div 2) + (IF {p0} % 2 = 1 \\/ {p1} % 2 = 1 THEN 1 ELSE 0)",
           recursive=True),
    Helper("IntXor", ("a", "b"),
           "{name}({p0}, {p1}) ==\n"
           "    IF {p0} = 0 THEN {p1} ELSE IF {p1} = 0 THEN {p0}\n"
           "    ELSE 2 * {name}({p0} \\div 2, {p1} \\div 2) + (IF {p0} % 2 # {p1} % 2 THEN 1 ELSE 0)",
           recursive=True),
    Helper("Minimum", ("a", "b"), "{name}({p0}, {p1}) == IF {p0} <= {p1} THEN {p0} ELSE {p1}"),
    Helper("Maximum", ("a", "b"), "{name}({p0}, {p1}) == IF {p0} >= {p1} THEN {p0} ELSE {p1}"),
]}

# the bound names a helper uses besides its parameters ({p<n>} past the parameters)
_EXTRA_BOUND = {"SetMax": ("x", "y"), "SetMin": ("x", "y"), "BitsAdd": ("i",)}


@dataclass
class HelperSet:
    """The helpers a module uses, named on first use, written in dependency order."""

    names: ModuleNames
    named: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def use(self, key: str) -> str:
        if key not in self.named:
            for need in HELPERS[key].needs:
                self.use(need)
            self.named[key] = self.names.fresh(key)
            self.order.append(key)
        return self.named[key]

    def definitions(self) -> list[str]:
        out = []
        for key in self.order:
            h = HELPERS[key]
            scope = Scope(self.names.taken, legal)
            bound = {i: scope.bind(i, p) for i, p in enumerate(h.params + _EXTRA_BOUND.get(key, ()))}
            fields = {f"p{i}": bound[i] for i in range(len(bound))}
            fields.update({need: self.named[need] for need in h.needs})
            text = h.text.format(name=self.named[key], **fields)
            if h.recursive:
                text = f"RECURSIVE {self.named[key]}({', '.join('_' for _ in h.params)})\n" + text
            out.append(text)
        return out


# ------------------------------------------------------------------------------------------------------ values


def int_text(n: int) -> str:
    return f"({n})" if n < 0 else str(n)


def runs_text(runs: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """A set of integers from its runs: `16..255`, `{32, 40}`, `{32, 40} \\cup 48..50`; `{}` when empty."""
    singles = [str(a) if a == b else f"{a}, {b}" for a, b in runs if b - a < 2]
    ranges = [f"{int_text(a)}..{int_text(b)}" for a, b in runs if b - a >= 2]
    parts = (["{" + ", ".join(singles) + "}"] if singles else []) + ranges
    if not parts:
        return "{}"
    return " \\cup ".join(parts)



def string_text(text: str) -> str:
    """A TLA+ string literal (enum member names are identifiers, so nothing needs escaping but quotes and
    backslashes, done for safety)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_atomic(text: str) -> bool:
    """Text that needs no parentheses as an operand: a name, a number, a string, or one bracketed or braced unit
    (a function application counts when its brackets close at the end)."""
    if re.fullmatch(r"[A-Za-z0-9_]+|\"[^\"]*\"", text):
        return True
    if text[0] in "([{" and _closes_at_end(text):
        return True
    m = re.match(r"[A-Za-z0-9_]+", text)
    return bool(m) and text[m.end():m.end() + 1] in ("(", "[", ".") and _postfix_only(text[m.end():])


def _closes_at_end(text: str) -> bool:
    depth = 0
    in_string = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_string = not in_string
        if in_string:
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def _postfix_only(text: str) -> bool:
    """A chain of applications, indexings and field selections: `(a, b)[c].f`."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth, j = 0, i
            while j < len(text):
                if text[j] in "([{":
                    depth += 1
                elif text[j] in ")]}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j == len(text):
                return False
            i = j + 1
        elif ch == ".":
            m = re.match(r"\.[A-Za-z0-9_]+", text[i:])
            if not m:
                return False
            i += m.end()
        else:
            return False
    return True


# ------------------------------------------------------------------------------------------------- expressions

# How tightly a rendered expression binds, by TLA+'s precedence classes: an operand is parenthesized when it binds
# less tightly than its place needs. Arithmetic and set operators take atoms only (TLA+ gives + and - different
# ranges, and a reader should not need them); comparisons take any arithmetic or set term; ~ the same; a junction
# list takes comparisons and negations; => takes junctions. IF, LET and the quantifiers reach as far right as they
# can, so they are parenthesized wherever they are an operand.
ATOM, TERM, COMPARE, NOT, JUNCTION, IMPLIES, OPEN = 100, 8, 5, 4, 3, 1, 0


@dataclass
class TlaExprWriter:
    """Renders IR expressions as TLA+. `var_names`, `function_names`, `type_names` (by type_key) give each name's
    TLA+ spelling, `constant_names` the spelling of a constant a literal stands for. Binders are named as they are
    met (`bind`): a name that no module-level name and no binder around it takes, so that sibling quantifiers can
    share one."""

    var_names: dict[str, str]
    function_names: dict[str, str]
    type_names: dict[tuple, str]  # by type_key
    constant_names: dict[str, str]
    helpers: HelperSet
    scope: Scope = field(init=False)

    def __post_init__(self) -> None:
        self.scope = Scope(self.helpers.names.taken, legal)

    # -- binders

    # -- types as sets

    def type_set(self, t: ir.Type, top: bool = False) -> str:
        """The set of the values of `t`, by its name where the module defines one."""
        if not top and type_key(t) in self.type_names:
            return self.type_names[type_key(t)]
        if isinstance(t, ir.BoolType):
            return "BOOLEAN"
        if isinstance(t, ir.IntType):
            return f"{int_text(t.lo)}..{int_text(t.hi)}" if t.runs is None else runs_text(t.runs)
        if isinstance(t, ir.BitsType):
            return f"SUBSET (0..{t.width - 1})"
        if isinstance(t, ir.EnumType):
            return "{" + ", ".join(string_text(m) for m in t.members) + "}"
        if isinstance(t, ir.RecordType):
            return "[" + ", ".join(f"{legal(f)} : {self.type_set(ft)}" for f, ft in t.fields) + "]"
        if isinstance(t, ir.MapType):
            return f"[{self.type_set(t.domain)} -> {self.type_set(t.codomain)}]"
        raise TypeError(t)

    def domain(self, t: ir.Type) -> str:
        """A domain after `\\in` in a bound: a name, a range or a braced set as they are, anything else in
        parentheses."""
        text = self.type_set(t)
        return text if is_atomic(text) or re.fullmatch(r"-?\d+\.\.-?\d+", text) else f"({text})"

    # -- values

    def value(self, value: object, t: ir.Type) -> str:
        return self._value(value, t)[0]

    def _value(self, value: object, t: ir.Type) -> tuple[str, int]:
        if isinstance(t, ir.BoolType):
            return ("TRUE" if value else "FALSE"), ATOM
        if isinstance(t, ir.IntType):
            return int_text(int(value)), ATOM  # type: ignore[call-overload]
        if isinstance(t, ir.BitsType):
            text = runs_text(bits_runs(int(value)))  # type: ignore[call-overload]
            return text, ATOM if is_atomic(text) else TERM
        if isinstance(t, ir.EnumType):
            return string_text(str(value)), ATOM
        if isinstance(t, ir.RecordType):
            return "[" + ", ".join(f"{legal(f)} |-> {self.value(v, ft)}"
                                   for v, (f, ft) in zip(value, t.fields)) + "]", ATOM  # type: ignore[call-overload]
        if isinstance(t, ir.MapType):
            keys = ir.domain_values(t.domain)
            items = [self.value(v, t.codomain) for v in value]  # type: ignore[attr-defined]
            bound = self.scope.fresh("k")
            try:
                if all(x == items[0] for x in items):
                    return f"[{bound} \\in {self.domain(t.domain)} |-> {items[0]}]", ATOM
                arms = " [] ".join(f"{bound} = {self.value(k, t.domain)} -> {x}" for k, x in zip(keys, items))
                return f"[{bound} \\in {self.domain(t.domain)} |-> CASE {arms}]", ATOM
            finally:
                self.scope.unbind()
        raise TypeError(t)

    # -- expressions

    def expr(self, e: ir.Expr) -> str:
        return self.render(e)[0]

    def render(self, e: ir.Expr) -> tuple[str, int]:
        """The text of `e` and how tightly it binds."""
        return getattr(self, "_" + type(e).__name__.lower())(e)

    def operand(self, e: ir.Expr, need: int = ATOM) -> str:
        text, binds = self.render(e)
        return text if binds >= need else f"({text})"

    def rhs(self, e: ir.Expr) -> str:
        """`e` on the right of `x' = `: a comparison, negation, junction or implication in parentheses (TLA+ would
        read `x' = a = b` as a precedence conflict, and `x' = a \\/ b` as a disjunction); IF and LET as they are."""
        text, binds = self.render(e)
        return f"({text})" if IMPLIES <= binds <= COMPARE else text

    def _lit(self, e: ir.Lit) -> tuple[str, int]:
        if e.const and e.const in self.constant_names and not isinstance(e.type, ir.BitsType):
            return self.constant_names[e.const], ATOM
        return self._value(e.value, e.type)

    def _var(self, e: ir.Var) -> tuple[str, int]:
        return self.var_names[e.name], ATOM

    def _local(self, e: ir.Local) -> tuple[str, int]:
        return self.scope.names[e.uid], ATOM

    def _op(self, e: ir.Op) -> tuple[str, int]:
        op, args = e.op, e.args
        if op in ("and", "or"):
            parts: list[ir.Expr] = []
            flatten(e, op, parts)
            junction = " /\\ " if op == "and" else " \\/ "
            return junction.join(self.operand(p, NOT) for p in parts), JUNCTION
        if op == "not":
            return f"~{self.operand(args[0], TERM)}", NOT
        if op == "implies":
            return f"{self.operand(args[0], JUNCTION)} => {self.operand(args[1], JUNCTION)}", IMPLIES
        compare = {"eq": "=", "ne": "#", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
        if op in compare:
            return f"{self.operand(args[0], TERM)} {compare[op]} {self.operand(args[1], TERM)}", COMPARE
        if op == "neg":
            return f"-{self.operand(args[0])}", TERM
        if op == "prio":
            return f"{self.operand(args[0])} \\div 16", TERM
        infix = {"add": "+", "sub": "-", "mul": "*", "div": "\\div", "mod": "%", "bvor": "\\cup"}
        if op in infix:
            return f"{self.operand(args[0])} {infix[op]} {self.operand(args[1])}", TERM
        call = {"band": "IntAnd", "bor": "IntOr", "bxor": "IntXor", "min": "Minimum", "max": "Maximum",
                "highest": "Highest", "lowest": "Lowest"}
        if op in call:
            return f"{self.helpers.use(call[op])}({', '.join(self.expr(a) for a in args)})", ATOM
        if op == "popcount":
            return f"Cardinality({self.expr(args[0])})", ATOM
        if op in ("shl", "shr"):
            amount = args[1]
            factor = str(2 ** int(amount.value)) if isinstance(amount, ir.Lit) else f"2^{self.operand(amount)}"
            symbol = "*" if op == "shl" else "\\div"
            return f"{self.operand(args[0])} {symbol} {factor}", TERM
        if op in ("ult", "ule", "ugt", "uge"):
            less = self.helpers.use("BitsLess")
            a, b = self.expr(args[0]), self.expr(args[1])
            return {"ult": (f"{less}({a}, {b})", ATOM), "ugt": (f"{less}({b}, {a})", ATOM),
                    "ule": (f"~{less}({b}, {a})", NOT), "uge": (f"~{less}({a}, {b})", NOT)}[op]
        width = bits_width(e)
        assert width is not None
        all_bits = f"0..{width - 1}"
        if op == "bvand":
            right = args[1]
            if isinstance(right, ir.Op) and right.op == "bvnot":  # a & ~b: a without b's bits
                return f"{self.operand(args[0])} \\ {self.operand(right.args[0])}", TERM
            return f"{self.operand(args[0])} \\cap {self.operand(args[1])}", TERM
        if op == "bvxor":
            a, b = self.operand(args[0]), self.operand(args[1])
            return f"({a} \\ {b}) \\cup ({b} \\ {a})", TERM
        if op == "bvnot":
            return f"({all_bits}) \\ {self.operand(args[0])}", TERM
        if op in ("bvadd", "bvsub"):
            add = self.helpers.use("BitsAdd")
            a, b = self.expr(args[0]), self.operand(args[1])
            if op == "bvadd":
                return f"{add}({a}, {self.expr(args[1])}, FALSE, {width})", ATOM
            return f"{add}({a}, ({all_bits}) \\ {b}, TRUE, {width})", ATOM
        if op in ("bvshl", "bvshr"):
            a, b = self.operand(args[0]), self.operand(args[1])
            i = self.scope.fresh("i")
            self.scope.unbind()
            sign = "-" if op == "bvshl" else "+"
            return f"{{{i} \\in {all_bits} : {i} {sign} {b} \\in {a}}}", ATOM
        if op == "bit":
            one = f"{{{self.expr(args[0])}}}"
            return (one, ATOM) if within(args[0].type, width) else (f"{one} \\cap ({all_bits})", TERM)
        raise ValueError(f"no TLA+ reading of operator {op!r}")

    def _index(self, e: ir.Index) -> tuple[str, int]:
        if isinstance(e.base.type, ir.BitsType):
            return f"{self.operand(e.index, TERM)} \\in {self.operand(e.base, TERM)}", COMPARE
        return f"{self.operand(e.base)}[{self.expr(e.index)}]", ATOM

    def _field(self, e: ir.Field) -> tuple[str, int]:
        return f"{self.operand(e.base)}.{legal(e.name)}", ATOM

    def _ite(self, e: ir.Ite) -> tuple[str, int]:
        return f"IF {self.expr(e.cond)} THEN {self.expr(e.then)} ELSE {self.expr(e.else_)}", OPEN

    def _let(self, e: ir.Let) -> tuple[str, int]:
        value = self.expr(e.value)
        name = self.scope.bind(e.uid, e.name)
        try:
            return f"LET {name} == {value} IN {self.expr(e.body)}", OPEN
        finally:
            self.scope.unbind()

    def _quant(self, e: ir.Quant) -> tuple[str, int]:
        bounds = []
        body: ir.Expr = e
        while isinstance(body, ir.Quant) and body.kind == e.kind:
            domain = self.domain(body.domain)
            bounds.append(f"{self.scope.bind(body.uid, body.name)} \\in {domain}")
            body = body.body
        try:
            quantifier = "\\A" if e.kind == "forall" else "\\E"
            return f"{quantifier} {', '.join(bounds)} : {self.expr(body)}", OPEN
        finally:
            self.scope.unbind(len(bounds))

    def _maplit(self, e: ir.MapLit) -> tuple[str, int]:
        domain = self.domain(e.domain)
        name = self.scope.bind(e.uid, e.name)
        try:
            return f"[{name} \\in {domain} |-> {self.expr(e.body)}]", ATOM
        finally:
            self.scope.unbind()

    def _recordlit(self, e: ir.RecordLit) -> tuple[str, int]:
        fields = ", ".join(f"{legal(f)} |-> {self.expr(v)}" for v, (f, _) in zip(e.values, e.type.fields))
        return f"[{fields}]", ATOM

    def _call(self, e: ir.Call) -> tuple[str, int]:
        name = self.function_names[e.func]
        return (f"{name}({', '.join(self.expr(a) for a in e.args)})" if e.args else name), ATOM

    def _update(self, e: ir.Update) -> tuple[str, int]:
        if isinstance(e.base.type, ir.BitsType):
            return self.bit_update(self.operand(e.base), e)
        root, clauses = self.except_clauses(e)
        return f"[{self.operand(root)} EXCEPT " + ", ".join(f"!{p} = {v}" for p, v in clauses) + "]", ATOM

    def bit_update(self, base: str, e: ir.Update) -> tuple[str, int]:
        """`base` (the text of e.base, or `@`) with the bit e.index set to e.value; an index outside the width
        leaves it unchanged, as set_bit does."""
        assert e.index is not None and isinstance(e.base.type, ir.BitsType)
        width = e.base.type.width
        one = f"{{{self.expr(e.index)}}}"
        if not within(e.index.type, width):
            one = f"({one} \\cap 0..{width - 1})"
        if isinstance(e.value, ir.Lit):
            return (f"{base} \\cup {one}" if e.value.value else f"{base} \\ {one}"), TERM
        return f"IF {self.expr(e.value)} THEN {base} \\cup {one} ELSE {base} \\ {one}", OPEN

    def except_clauses(self, e: ir.Update) -> tuple[ir.Expr, list[tuple[str, str]]]:
        """The root and the clauses of `[root EXCEPT !p1 = v1, !p2 = v2]` for a chain of updates: an update of an
        update of the same base becomes a further clause (applied after the ones before, as TLA+ reads them), an
        update of the updated part a longer path (`![c].f`), and a bit set or cleared in the part `@ \\cup {v}`."""
        if isinstance(e.base, ir.Update) and not isinstance(e.base.type, ir.BitsType):
            root, clauses = self.except_clauses(e.base)
        else:
            root, clauses = e.base, []
        path, value = "", e
        part: ir.Expr = e.base
        while True:
            if value.field_name is not None:
                path += f".{legal(value.field_name)}"
                inner: ir.Expr = ir.Field(part, value.field_name, value.value.type)
            else:
                assert value.index is not None
                path += f"[{self.expr(value.index)}]"
                inner = ir.Index(part, value.index, value.value.type)
            nxt = value.value
            if isinstance(nxt, ir.Update) and nxt.base == inner:
                if isinstance(nxt.type, ir.BitsType):
                    clauses.append((path, self.bit_update("@", nxt)[0]))
                    return root, clauses
                part, value = inner, nxt
                continue
            clauses.append((path, self.rhs(nxt)))
            return root, clauses
