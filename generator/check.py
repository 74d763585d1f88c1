"""Syntax tree -> checked IR: names, types, ranges, frame rules.

Resolves every name (constants are substituted, -D overrides applied, imported definitions merged), gives every
expression its type (integers their interval, by the rules of `generator.semantics`), and checks the rules of the
language: assignments only to state variables, primes only on the left of an action's assignment, no location assigned
twice in one run of an action, every variable initialised once, no recursion among defs, values inside their types.
Every problem becomes a positioned `Diagnostic`; checking goes on after an error at the next statement or declaration,
so that one run reports them all.
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import itertools
from dataclasses import dataclass
from typing import Callable, Union

from . import ir
from . import syntax as s
from .diagnostics import Diagnostic, Span, SpecError
from .ir import BOOL, BitsType, BoolType, EnumType, IntType, MapType, RecordType
from .parse import MAX_NESTING, TOO_DEEP, nest_less_hint, parse_override
from .semantics import (BINARY_BITS, BINARY_INT, BUILTINS, MAX_INT_BITS, NONNEGATIVE_ARGS, OPERATORS, POSITIVE_DIVISOR,
                        int_fits)

MAX_BITS_WIDTH = 4096
MAX_DOMAIN = 1 << 16

ConstValue = Union[int, bool, IntType]  # IntType: the values of a set constant (a range or runs), named by it


_POISONED = ir.BitsType(0)  # the type of a let whose value failed to check; never seen outside the checker

# Names that other languages spell differently, with what irqspec writes: the hint of an unknown name.
_OTHER_LANGUAGES = {
    "True": "booleans are written 'true' and 'false' in irqspec",
    "False": "booleans are written 'true' and 'false' in irqspec",
    "TRUE": "booleans are written 'true' and 'false' in irqspec (TLA+'s TRUE)",
    "FALSE": "booleans are written 'true' and 'false' in irqspec (TLA+'s FALSE)",
}


class _Abort(Exception):
    """Stops checking the current statement or declaration after its error was recorded."""


@dataclass
class _Const:
    value: ConstValue
    type: ir.Type | None  # declared type, if any
    span: Span
    overridden: bool = False


@dataclass
class _Scope:
    """Local names (parameters, lets, quantified variables) and what the context allows. Each name maps to its type
    and the uid of its binder: a binder of a name already in scope shadows it (the inner one is meant)."""

    names: dict[str, tuple[ir.Type, int]]
    context: str  # "action", "guard", "init", "property", "def", "type"

    def child(self, name: str, typ: ir.Type, uid: int) -> "_Scope":
        return _Scope({**self.names, name: (typ, uid)}, self.context)


def _kind(t: ir.Type) -> str:
    if isinstance(t, BoolType):
        return "bool"
    if isinstance(t, IntType):
        return "int"
    if isinstance(t, BitsType):
        return "bits"
    if isinstance(t, EnumType):
        return "enum"
    if isinstance(t, RecordType):
        return "record"
    return "map"


def _describe(t: ir.Type) -> str:
    if isinstance(t, IntType):
        if t.name:
            return f"{t.name} ({t.values_text()})"
        return f"an integer in {t.values_text()}" if t.lo != t.hi else f"the integer {t.lo}"
    if isinstance(t, EnumType):
        return f"enum {t.name}"
    return str(t)


def _same_shape(a: ir.Type, b: ir.Type) -> bool:
    """Types whose values can be compared and assigned (integers of any intervals count as one shape)."""
    if isinstance(a, IntType) and isinstance(b, IntType):
        return True
    if isinstance(a, MapType) and isinstance(b, MapType):
        return a.domain == b.domain and _same_shape(a.codomain, b.codomain)
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        return len(a.fields) == len(b.fields) and all(
            na == nb and _same_shape(ta, tb) for (na, ta), (nb, tb) in zip(a.fields, b.fields))
    return a == b


def _width_free(e: s.SExpr) -> bool:
    """An expression whose bit width can only come from its context: a number literal or bit(...) and their mixes."""
    if isinstance(e, s.IntLit):
        return True
    if isinstance(e, s.CallExpr) and e.func == "bit":
        return True
    if isinstance(e, s.Binary) and e.op in ("&", "|", "^", "+", "-"):
        return _width_free(e.left) and _width_free(e.right) and not (
            isinstance(e.left, s.IntLit) and isinstance(e.right, s.IntLit))
    if isinstance(e, s.Unary) and e.op == "~":
        return True
    return False


def _needs_context(e: s.SExpr) -> bool:
    """An expression whose type only its context can tell: a width-free bits expression or a record literal."""
    return _width_free(e) or isinstance(e, s.RecordExpr)


class Checker:
    def __init__(self, modules: list[s.ModuleAst], overrides: dict[str, str] | None = None):
        self.modules = modules
        self.root = modules[-1]
        self.overrides = dict(overrides or {})
        self.diags: list[Diagnostic] = []
        self.consts: dict[str, _Const] = {}
        self.types: dict[str, ir.Type] = {}
        self.enum_members: dict[str, EnumType] = {}
        self.vars: dict[str, ir.StateVar] = {}
        self.functions: dict[str, ir.Function] = {}
        self.def_decls: dict[str, s.DefDecl] = {}
        self.declared: dict[str, tuple[str, Span]] = {}  # every global name -> (what it is, where)
        self.failed: set[str] = set()  # names whose declaration had an error
        self._uids = itertools.count(1)  # binder identities, in checking order (deterministic)
        # per checked def: the levels its body expands into where it is called, and the defs on its deepest path
        self.def_levels: dict[str, int] = {}
        self.def_chain: dict[str, tuple[str, ...]] = {}

    def uid(self) -> int:
        """A fresh binder identity."""
        return next(self._uids)

    # ------------------------------------------------------------------------------------------------ diagnostics
    def error(self, span: Span, message: str, hint: str = "") -> _Abort:
        self.diags.append(Diagnostic(span, message, hint))
        return _Abort()

    def unknown(self, name: str, span: Span, what: str, candidates: list[str], of: str = "") -> _Abort:
        if name in self.failed:
            return _Abort()  # its declaration failed and was reported
        close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else _OTHER_LANGUAGES.get(name, "") if not of else ""
        return self.error(span, f"unknown {what} '{name}'" + (f" of {of}" if of else ""), hint)

    def declare(self, name: str, what: str, span: Span) -> bool:
        if name in BUILTINS:
            self.error(span, f"'{name}' is a built-in function and cannot be redeclared")
            return False
        if name in self.declared:
            first_what, first = self.declared[name]
            article = "an" if first_what[0] in "aeiou" else "a"
            self.error(span, f"'{name}' is already declared as {article} {first_what} at {first}")
            return False
        self.declared[name] = (what, span)
        return True

    def guarded(self, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except _Abort:
            return None

    def nesting(self, node: object) -> dict[int, int] | None:
        """The levels under each node of a declaration's syntax tree (see `_levels`), or None after reporting where it
        nests more than MAX_NESTING levels: the checker's recursion and every backend's stay far inside Python's stack.
        A call of a def counts as the levels of the def's body, which the backends expand in place."""
        levels = _levels(node, self.def_levels)
        if levels[id(node)] <= MAX_NESTING:
            return levels
        level = 1
        ops: collections.Counter[str] = collections.Counter()  # the binary operators on the way down
        while True:  # down a deepest path, to where it passes the limit
            if isinstance(node, s.CallExpr) and node.func in self.def_levels \
                    and level + self.def_levels[node.func] > MAX_NESTING:
                chain = self.def_chain[node.func]
                shown = chain if len(chain) <= 5 else chain[:3] + ("...",) + chain[-1:]
                self.error(node.span, f"nesting too deep: this call of '{node.func}' nests "
                           f"{level + self.def_levels[node.func]} levels deep once defs are expanded in place "
                           f"({' -> '.join(shown)}); at most {MAX_NESTING}",
                           "the backends expand every def where it is called, so defs calling defs nest as deep as "
                           "all their bodies together: call fewer defs within each other")
                return None
            if level > MAX_NESTING:
                op, count = ops.most_common(1)[0] if ops else ("", 0)
                self.error(node.span, TOO_DEEP, nest_less_hint(op if count > MAX_NESTING // 2 else ""))
                return None
            if isinstance(node, s.Binary):
                ops[node.op] += 1
            node = max(_children(node), key=lambda child: levels[id(child)])
            level += 1

    # ------------------------------------------------------------------------------------------------------- entry
    def run(self) -> ir.System:
        for module in self.modules:
            is_root = module is self.root
            for decl in module.decls:
                if not is_root and isinstance(decl, (s.VarDecl, s.InitDecl, s.ActionDecl, s.PropDecl)):
                    self.error(decl.span, f"module '{module.name}' is imported, so it may declare only const, type, "
                               "def and import", f"move this into the importing spec, or do not import '{module.name}'")
                    continue
                if isinstance(decl, (s.ConstDecl, s.TypeDecl, s.VarDecl)):
                    if self.nesting(decl) is None:
                        self.failed.update([n for n, _ in decl.names] if isinstance(decl, s.VarDecl) else [decl.name])
                        continue
                    self.declaration(decl)
                elif isinstance(decl, s.DefDecl):
                    if self.declare(decl.name, "def", decl.span):
                        self.def_decls[decl.name] = decl
        const_names = [d.name for m in self.modules for d in m.decls if isinstance(d, s.ConstDecl)]
        for name in self.overrides:
            if name not in const_names:
                self.diags.append(Diagnostic(Span(f"-D {name}", 0, 0), f"the spec declares no constant '{name}'",
                                             self._suggest(name, const_names)))
        self.check_functions()
        init = self.init_decls()
        actions, invariants, lemmas, covers = [], [], [], []
        for decl in self.root.decls:
            if isinstance(decl, s.ActionDecl):
                action = self.guarded(lambda d=decl: self.action_decl(d))
                if action is not None:
                    actions.append(action)
            elif isinstance(decl, s.PropDecl):
                prop = self.guarded(lambda d=decl: self.prop_decl(d))
                if prop is not None:
                    {"invariant": invariants, "lemma": lemmas, "cover": covers}[decl.kind].append(prop)
        self.check_unique([d for d in self.root.decls if isinstance(d, s.ActionDecl)], "action")
        # invariants, lemmas and covers share one namespace: commands and reports name a property without its kind
        self.check_unique([d for d in self.root.decls if isinstance(d, s.PropDecl)], "property")
        if self.diags:
            raise SpecError(self.diags)
        constants = tuple(ir.Constant(n, constant_value(c.value), c.overridden) for n, c in self.consts.items())
        return ir.System(
            module=self.root.name, file=self.root.file, doc=self.root.doc, constants=constants,
            vars=tuple(self.vars.values()), init=init, functions=tuple(self.functions.values()),
            actions=tuple(actions), invariants=tuple(invariants), lemmas=tuple(lemmas), covers=tuple(covers),
            imports=tuple(m.name for m in self.modules[:-1]))

    def _suggest(self, name: str, candidates: list[str]) -> str:
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
        return f"did you mean '{close[0]}'?" if close else ""

    def check_unique(self, decls: list[Union[s.ActionDecl, s.PropDecl]], what: str) -> None:
        first: dict[str, Span] = {}
        for d in decls:
            if d.name in first:
                self.error(d.span, f"{what} '{d.name}' is declared twice (first at {first[d.name]})")
            else:
                first[d.name] = d.span

    # ----------------------------------------------------------------------------------------------- declarations
    def declaration(self, d: Union[s.ConstDecl, s.TypeDecl, s.VarDecl]) -> None:
        """Check a const, type or var declaration. When it fails, its names are remembered, so that their uses are not
        reported again as unknown names (the declaration's own error says what is wrong)."""
        try:
            if isinstance(d, s.ConstDecl):
                self.const_decl(d)
            elif isinstance(d, s.TypeDecl):
                self.type_decl(d)
            else:
                self.var_decl(d)
        except _Abort:
            self.failed.update([n for n, _ in d.names] if isinstance(d, s.VarDecl) else [d.name])

    def const_decl(self, d: s.ConstDecl) -> None:
        if not self.declare(d.name, "constant", d.span):
            return
        overridden = d.name in self.overrides
        items = d.items
        if overridden:
            try:
                items = parse_override(self.overrides[d.name], d.name)
            except SpecError as err:
                self.diags.extend(err.diagnostics)
                raise _Abort() from None
            if any(self.nesting(e) is None for item in items for e in (item.lo, item.hi) if e is not None):
                raise _Abort()
            if d.is_set != s.is_set(items):
                # the kind is the declaration's: an override that changed it would change what the spec's uses mean
                hint = ""
                if d.is_set:
                    what, wanted = ("a range constant", "a range lo..hi") if len(d.items) == 1 else \
                        ("a set constant", "a set: values and ranges separated by commas")
                    text = self.overrides[d.name].strip()
                    hint = f"a set may also list values and ranges separated by commas; the set of the one value " \
                        f"{text} is {text}..{text}"
                else:
                    what, wanted = "not a range constant", "a single value"
                raise self.error(items[0].span, f"'{d.name}' is {what} (declared at {d.span}), so -D {d.name} takes "
                                 f"{wanted}", hint)
        declared = self.resolve_type(d.type, allow_int=True) if d.type is not None else None
        if s.is_set(items):
            if declared is not None and not isinstance(declared, IntType):
                where = d.type.span if d.type is not None else d.span
                raise self.error(where, f"a set constant's type is the range its members lie in, not {declared}",
                                 f"write const {d.name}: 0..255 = ..., or leave the type out")
            value: ConstValue = self.const_set(d.name, items, declared)
        else:
            value_expr = items[0].lo
            value = self.const_value(value_expr)
            if declared is not None:
                if isinstance(value, IntType):
                    if not isinstance(declared, IntType):
                        raise self.error(value_expr.span, f"constant '{d.name}' is declared {declared} but its value "
                                         f"is the {_set_kind(value)} {value.values_text()}")
                    self.check_members(d.name, value, declared, value_expr.span)
                elif isinstance(declared, BoolType) != isinstance(value, bool):
                    raise self.error(value_expr.span, f"constant '{d.name}' is declared {declared} but its value is "
                                     f"{str(value).lower() if isinstance(value, bool) else value}")
                elif isinstance(declared, IntType) and not declared.has(value):  # type: ignore[arg-type]
                    raise self.error(value_expr.span, f"value {value} of constant '{d.name}' is out of its type "
                                     f"{declared.values_text()}")
        self.consts[d.name] = _Const(value, declared, d.span, overridden)
        if isinstance(value, IntType):
            self.types[d.name] = dataclasses.replace(value, name=d.name)

    def const_set(self, name: str, items: tuple[s.ConstItem, ...], declared: ir.Type | None) -> IntType:
        """The type a set constant's items make: each a value, a range lo..hi or another set constant; none empty,
        no value listed twice, every one inside the declared type (when there is one)."""
        spans: list[tuple[int, int, int]] = []  # (lo, hi, item number)
        for k, item in enumerate(items):
            if item.hi is None:
                v = self.const_value(item.lo)
                if isinstance(v, IntType):  # a set constant named among the items: its values
                    parts = list(v.spans())
                elif isinstance(v, bool):
                    raise self.error(item.lo.span, f"expected an integer constant, found {_show_const(v)}")
                else:
                    parts = [(v, v)]
            else:
                lo, hi = self.const_int(item.lo), self.const_int(item.hi)
                if lo > hi:
                    raise self.error(item.span, f"empty range {lo}..{hi}: the low end is above the high end")
                parts = [(lo, hi)]
            for a, b in parts:
                if isinstance(declared, IntType):
                    self.check_members(name, IntType(a, b), declared, item.span)
                spans.append((a, b, k))
        ordered = sorted(spans)
        for (a, b, i), (c, _, j) in itertools.pairwise(ordered):
            if c <= b:  # sorted by low end: c is in both
                later, earlier = max(i, j), min(i, j)
                raise self.error(items[later].span, f"{c} is in the set of '{name}' twice (also at "
                                 f"{items[earlier].span})", "list each value once")
        return ir.int_set((a, b) for a, b, _ in spans)

    def check_members(self, name: str, values: IntType, declared: IntType, span: Span) -> None:
        """Every value of a set constant inside its declared type: else an error naming the least one outside."""
        if declared.contains(values):
            return
        outside = min(v for a, b in values.spans() if (v := _first_outside(a, b, declared)) is not None)
        raise self.error(span, f"member {outside} of constant '{name}' is out of its type {declared.values_text()}")

    def type_decl(self, d: s.TypeDecl) -> None:
        if not self.declare(d.name, "type", d.span):
            return
        t = self.resolve_type(d.type, name=d.name)
        if isinstance(t, IntType):
            t = dataclasses.replace(t, name=d.name)  # a set keeps its runs under the new name
        elif isinstance(t, RecordType):
            t = RecordType(d.name, t.fields)
        self.types[d.name] = t

    def var_decl(self, d: s.VarDecl) -> None:
        t = self.resolve_type(d.type)
        for name, span in d.names:
            if self.declare(name, "ghost variable" if d.ghost else "variable", span):
                self.vars[name] = ir.StateVar(name, t, d.ghost, d.doc, span)

    # ------------------------------------------------------------------------------------------------------ types
    def resolve_type(self, t: s.SType, allow_int: bool = False, name: str = "") -> ir.Type:
        if isinstance(t, s.BoolTypeExpr):
            return BOOL
        if isinstance(t, s.IntTypeExpr):
            if not allow_int:
                raise self.error(t.span, "'int' is only for constants: state, parameters and functions take a range",
                                 "write a range such as 0..255")
            return IntType(-(1 << 63), (1 << 63) - 1, "int")
        if isinstance(t, s.NamedType):
            if t.name in self.types:
                return self.types[t.name]
            if t.name in self.consts:
                raise self.error(t.span, f"constant '{t.name}' is not a range, so it is not a type")
            raise self.unknown(t.name, t.span, "type", list(self.types) + ["bool"])
        if isinstance(t, s.RangeTypeExpr):
            lo, hi = self.const_int(t.lo), self.const_int(t.hi)
            if lo > hi:
                raise self.error(t.span, f"empty range {lo}..{hi}: the low end is above the high end")
            return IntType(lo, hi)
        if isinstance(t, s.BitsTypeExpr):
            width = self.const_int(t.width)
            if not 1 <= width <= MAX_BITS_WIDTH:
                raise self.error(t.width.span, f"bit width {width} is out of range 1..{MAX_BITS_WIDTH}")
            return BitsType(width)
        if isinstance(t, s.EnumTypeExpr):
            enum_name = name or "enum"
            members = tuple(m for m, _ in t.members)
            et = EnumType(enum_name, members)
            for m, span in t.members:
                if self.declare(m, f"member of enum {enum_name}", span):
                    self.enum_members[m] = et
            return et
        if isinstance(t, s.RecordTypeExpr):
            fields, seen = [], set()
            for fname, ftype, span in t.fields:
                if fname in seen:
                    raise self.error(span, f"field '{fname}' appears twice in the record")
                seen.add(fname)
                fields.append((fname, self.resolve_type(ftype)))
            return RecordType(name, tuple(fields))
        if isinstance(t, s.MapTypeExpr):
            dom = self.resolve_type(t.domain)
            if not isinstance(dom, (IntType, EnumType)):
                raise self.error(t.domain.span, f"a map's domain must be a range or an enum, not {dom}")
            if isinstance(dom, IntType) and ir.domain_size(dom) > MAX_DOMAIN:
                raise self.error(t.domain.span, f"map domain {dom} has more than {MAX_DOMAIN} elements")
            return MapType(dom, self.resolve_type(t.codomain))
        raise AssertionError(t)

    def domain(self, t: s.SType) -> Union[IntType, EnumType, BoolType]:
        d = self.resolve_type(t)
        if not isinstance(d, (IntType, EnumType, BoolType)):
            raise self.error(t.span, f"a domain must be a range, an enum or bool, not {d}")
        if isinstance(d, IntType) and ir.domain_size(d) > MAX_DOMAIN:
            raise self.error(t.span, f"domain {d} has more than {MAX_DOMAIN} elements")
        return d

    # -------------------------------------------------------------------------------------------------- constants
    def const_value(self, e: s.SExpr) -> ConstValue:
        """Evaluate an expression over constants only (used for constant values, range bounds and bit widths); an
        integer result beyond MAX_INT_BITS is an error where it is made."""
        value = self._const_value(e)
        if isinstance(value, int) and not isinstance(value, bool) and not int_fits(value):
            raise self.error(e.span, f"constant too large: this value has {value.bit_length()} bits; integers in a "
                             f"spec have at most {MAX_INT_BITS}", "for a set of bits, use a bits[N] value (N at most "
                             f"{MAX_BITS_WIDTH})")
        return value

    def _const_value(self, e: s.SExpr) -> ConstValue:
        if isinstance(e, s.IntLit):
            return e.value
        if isinstance(e, s.BoolLit):
            return e.value
        if isinstance(e, s.Name):
            if e.name in self.consts:
                return self.consts[e.name].value
            if e.name in self.vars:
                raise self.error(e.span, f"'{e.name}' is a state variable; a constant expression may use only "
                                 "constants")
            raise self.unknown(e.name, e.span, "constant", list(self.consts))
        if isinstance(e, s.Unary):
            v = self.const_value(e.arg)
            if e.op == "not" and isinstance(v, bool):
                return not v
            if e.op == "-" and isinstance(v, int) and not isinstance(v, bool):
                return -v
            raise self.error(e.span, f"'{e.op}' cannot be applied to {_show_const(v)} in a constant expression")
        if isinstance(e, s.Binary):
            a, b = self.const_value(e.left), self.const_value(e.right)
            if e.op in ("and", "or", "implies"):
                if not (isinstance(a, bool) and isinstance(b, bool)):
                    raise self.error(e.span, f"'{e.op}' needs two booleans")
                return {"and": a and b, "or": a or b, "implies": (not a) or b}[e.op]
            if isinstance(a, (bool, IntType)) or isinstance(b, (bool, IntType)):
                if e.op in ("==", "!="):
                    return (a == b) == (e.op == "==")
                raise self.error(e.span, f"'{e.op}' needs two integers in a constant expression")
            op = BINARY_INT.get(e.op) or {"==": "eq", "!=": "ne"}.get(e.op)
            if op is None:
                raise self.error(e.span, f"'{e.op}' is not allowed in a constant expression")
            if op in NONNEGATIVE_ARGS and (a < 0 or b < 0):
                raise self.error(e.span, f"'{e.op}' needs non-negative operands, got {a} and {b}")
            if op in POSITIVE_DIVISOR and b <= 0:
                raise self.error(e.right.span, f"'{e.op}' by {b}: the divisor must be positive")
            if op == "shl" and b > MAX_BITS_WIDTH:
                raise self.error(e.right.span, f"shift by {b} is too large for a constant")
            return {"add": a + b, "sub": a - b, "mul": a * b, "div": a // b if b else 0, "mod": a % b if b else 0,
                    "band": a & b, "bor": a | b, "bxor": a ^ b, "shl": a << b if op == "shl" else 0,
                    "shr": a >> b if op == "shr" else 0, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b,
                    "eq": a == b, "ne": a != b}[op]
        if isinstance(e, s.IteExpr):
            c = self.const_value(e.cond)
            if not isinstance(c, bool):
                raise self.error(e.cond.span, "the condition of 'if' must be a boolean")
            return self.const_value(e.then if c else e.else_)
        if isinstance(e, s.CallExpr) and e.func in ("min", "max", "prio") and e.args:
            vals = [self.const_int(a) for a in e.args]
            if e.func == "prio" and len(vals) == 1 and vals[0] >= 0:
                return vals[0] >> 4
            if e.func in ("min", "max") and len(vals) == 2:
                return min(vals) if e.func == "min" else max(vals)
        raise self.error(e.span, "expected a constant expression (numbers, booleans, constants and arithmetic)")

    def const_int(self, e: s.SExpr) -> int:
        v = self.const_value(e)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(e.span, f"expected an integer constant, found {_show_const(v)}")
        return v

    # -------------------------------------------------------------------------------------------------- functions
    def check_functions(self) -> None:
        """Check defs in dependency order; a cycle among them is an error naming the cycle."""
        calls: dict[str, list[str]] = {n: sorted(set(_called(d.body)) & set(self.def_decls))
                                       for n, d in self.def_decls.items()}
        state: dict[str, int] = {}  # 1 visiting, 2 done
        order: list[str] = []
        cyclic: set[str] = set()  # where a cycle closes: reported once, not checked

        def visit(n: str, path: list[str]) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n]
                cyclic.add(n)
                self.error(self.def_decls[n].span, "recursion among defs: " + " -> ".join(cycle),
                           "defs are expanded in place, so they cannot call themselves")
                return
            state[n] = 1
            for m in calls[n]:
                visit(m, path + [n])
            state[n] = 2
            order.append(n)

        for n in self.def_decls:
            visit(n, [])
        too_deep: set[str] = set()
        for n in order:
            if n in cyclic:
                continue
            d = self.def_decls[n]
            if too_deep & set(calls[n]):
                too_deep.add(n)  # as deep as the def it calls and more: reported once, at that def
                continue
            levels = self.nesting(d)
            if levels is None:
                too_deep.add(n)
                continue
            self.def_levels[n] = levels[id(d.body)]
            self.def_chain[n] = (n,) + self._deepest_chain(d.body, levels)
            self.guarded(lambda d=d: self.def_decl(d))

    def _deepest_chain(self, body: s.SExpr, levels: dict[int, int]) -> tuple[str, ...]:
        """The defs whose expansion makes the deepest path of `body`, outermost first."""
        node: object = body
        while True:
            if isinstance(node, s.CallExpr) and node.func in self.def_levels \
                    and levels[id(node)] == 1 + self.def_levels[node.func]:
                return self.def_chain[node.func]
            children = _children(node)
            if not children:
                return ()
            node = max(children, key=lambda child: levels[id(child)])

    def def_decl(self, d: s.DefDecl) -> None:
        params = self.params(d.params, finite=False)
        result = self.resolve_type(d.result)
        scope = _Scope({p.name: (p.type, p.uid) for p in params}, "def")
        body = self.coerce(self.expr(d.body, scope, result), result, d.body.span, strict=True)
        module = next(m.name for m in self.modules if d in m.decls)
        self.functions[d.name] = ir.Function(d.name, tuple(params), result, body, module, d.doc, d.span)

    def params(self, decls: tuple[s.ParamDecl, ...], finite: bool = True) -> list[ir.Param]:
        """Action parameters are chosen from finite domains; a def's parameters may have any type (`finite=False`)."""
        out, seen = [], set()
        for p in decls:
            if p.name in seen:
                raise self.error(p.span, f"parameter '{p.name}' appears twice")
            self.check_local_name(p.name, p.span, may_hide_state=not finite)
            seen.add(p.name)
            out.append(ir.Param(p.name, self.domain(p.type) if finite else self.resolve_type(p.type), p.span,
                                uid=self.uid()))
        return out

    def check_local_name(self, name: str, span: Span, may_hide_state: bool = False) -> None:
        """Reject a local name that hides a global one. A def's parameters may hide state variables: a def cannot
        read state, so there is nothing to confuse them with (lapic.irq's ppr(tpr, isr) is written that way)."""
        if name in self.declared:
            what, where = self.declared[name]
            if may_hide_state and "variable" in what:
                return
            raise self.error(span, f"'{name}' would hide the {what} declared at {where}", "choose another name")
        if name in BUILTINS:
            raise self.error(span, f"'{name}' would hide the built-in function of that name")

    # ------------------------------------------------------------------------------------------------------- init
    def init_decls(self) -> tuple[tuple[str, ir.Expr], ...]:
        decls = [d for d in self.root.decls if isinstance(d, s.InitDecl)]
        values: dict[str, ir.Expr] = {}
        spans: dict[str, Span] = {}
        for d in decls:
            if self.nesting(d) is None:
                for a in d.assigns:
                    spans.setdefault(a.var, a.span)  # reported as too deep, not also as uninitialised
                continue
            for a in d.assigns:
                def one(a=a):
                    if a.var not in self.vars:
                        if a.var in self.consts:
                            raise self.error(a.span, f"cannot assign to constant '{a.var}'")
                        raise self.unknown(a.var, a.span, "variable", list(self.vars))
                    if a.var in spans:
                        raise self.error(a.span, f"variable '{a.var}' is initialised twice (first at {spans[a.var]})")
                    spans[a.var] = a.span  # before the value is checked: a bad value is not also a missing one
                    t = self.vars[a.var].type
                    value = self.coerce(self.expr(a.value, _Scope({}, "init"), t), t, a.value.span, strict=True)
                    values[a.var] = value
                self.guarded(one)
        where = decls[0].span if decls else self.root.span
        for name, var in self.vars.items():
            if name not in spans:
                self.error(where if decls else var.span, f"variable '{name}' has no initial value",
                           f"add '{name} = ...' to the init block")
        return tuple((n, values[n]) for n in self.vars if n in values)

    # ---------------------------------------------------------------------------------------------------- actions
    def action_decl(self, d: s.ActionDecl) -> ir.Action:
        # actions share the global namespace: generated code and traces name them beside variables and functions
        first = self.declared.get(d.name)
        if not (first and first[0] == "action") and not self.declare(d.name, "action", d.span):
            raise _Abort()  # (two actions of one name are reported by check_unique)
        if self.nesting(d) is None:
            raise _Abort()
        params = self.params(d.params)
        scope = _Scope({p.name: (p.type, p.uid) for p in params}, "guard")
        guards = []
        for r in d.requires:
            g = self.guarded(lambda r=r: self.expect_bool(r, scope))
            if g is not None:
                guards.append(g)
        guard: ir.Expr = ir.Lit(True, BOOL)
        for g in guards:
            guard = g if isinstance(guard, ir.Lit) and guard.value is True else ir.Op("and", (guard, g), BOOL)
        self._branch = 0
        body = self.block(d.body, _Scope(dict(scope.names), "action"), [])
        modified = _modified(body)
        modifies = tuple(n for n in self.vars if n in modified)
        return ir.Action(d.name, tuple(params), guard, body, modifies, d.doc, d.span)

    def block(self, stmts: tuple[s.SStmt, ...], scope: _Scope, prior: list[tuple[tuple, Span]]) -> tuple[ir.Stmt, ...]:
        """Check a block; `prior` holds the locations assigned earlier on this path (extended in place)."""
        out: list[ir.Stmt] = []
        for st in stmts:
            try:
                if isinstance(st, s.LetStmtS):
                    self.check_local_name(st.name, st.span)
                    if st.name in scope.names:
                        raise self.error(st.span, f"'{st.name}' is already bound here", "choose another name")
                    try:
                        value = self.expr(st.value, scope)
                    except _Abort:
                        # keep the name bound, so that its uses do not each report an unknown name
                        scope = scope.child(st.name, _POISONED, 0)
                        raise
                    uid = self.uid()
                    out.append(ir.LetStmt(st.name, value, st.span, uid=uid))
                    scope = scope.child(st.name, value.type, uid)
                elif isinstance(st, s.AssignStmt):
                    out.append(self.assign(st, scope, prior))
                elif isinstance(st, s.IfStmt):
                    cond = self.expect_bool(st.cond, scope)
                    branch = self._branch
                    self._branch += 1
                    then_prior, else_prior = list(prior), list(prior)
                    then = self.block(st.then, scope, then_prior)
                    other = self.block(st.else_, scope, else_prior)
                    for loc in then_prior[len(prior):] + else_prior[len(prior):]:
                        if loc not in prior:
                            prior.append(loc)
                    out.append(ir.If(cond, then, other, branch, st.span))
            except _Abort:
                continue
        return tuple(out)

    def assign(self, st: s.AssignStmt, scope: _Scope, prior: list[tuple[tuple, Span]]) -> ir.Assign:
        if st.var not in self.vars:
            if st.var in self.consts:
                raise self.error(st.span, f"cannot assign to constant '{st.var}'")
            if st.var in scope.names:
                raise self.error(st.span, f"cannot assign to '{st.var}': it is a parameter or a let, not a state "
                                 "variable")
            raise self.unknown(st.var, st.span, "variable", list(self.vars))
        t: ir.Type = self.vars[st.var].type
        path: list[ir.PathStep] = []
        key: list[object] = []
        for i, sel in enumerate(st.selectors):
            if isinstance(sel, s.SelectField):
                if not isinstance(t, RecordType):
                    raise self.error(sel.span, f"'.{sel.name}' selects a field, but this part of '{st.var}' is {t}")
                try:
                    ft = t.field_type(sel.name)
                except KeyError:
                    raise self.unknown(sel.name, sel.span, "field", [n for n, _ in t.fields], str(t)) from None
                path.append(ir.FieldStep(sel.name))
                key.append(("field", sel.name))
                t = ft
            else:
                if isinstance(t, MapType):
                    idx = self.index_into_domain(sel.index, t.domain, scope)
                    t = t.codomain
                elif isinstance(t, BitsType):
                    if i != len(st.selectors) - 1:
                        raise self.error(sel.span, "a single bit has no parts to select")
                    idx = self.bit_index(sel.index, t, scope)
                    t = BOOL
                else:
                    raise self.error(sel.span, f"'[...]' selects a map entry or a bit, but this part of '{st.var}' "
                                     f"is {t}")
                path.append(ir.IndexStep(idx))
                key.append(("index", idx.value) if isinstance(idx, ir.Lit) else ("expr", idx))
        value = self.expr(st.value, scope, t)
        value = self.coerce(value, t, st.value.span)
        checked = isinstance(t, IntType) and isinstance(value.type, IntType) and not t.contains(value.type)
        location = (st.var, tuple(key))
        for other, where in prior:
            if _overlaps(location, other):
                raise self.error(st.span, f"'{_show_location(location)}' is assigned twice in one run of the action "
                                 f"(also at {where})", "an action's updates are simultaneous: assign each part once")
        prior.append((location, st.span))
        return ir.Assign(st.var, tuple(path), value, t, checked, st.span)

    # ------------------------------------------------------------------------------------------------- properties
    def prop_decl(self, d: s.PropDecl) -> ir.Property:
        if d.name == ir.RANGE_PROPERTY:
            # every output (reports, --inv, JSON, traces) names the implicit property `range`: a declared one of
            # that name would be ambiguous in all of them
            raise self.error(d.span, f"'{ir.RANGE_PROPERTY}' is the name of the implicit property that every value "
                             "stays inside its type's range", "choose another name for this " + d.kind)
        if self.nesting(d) is None:
            raise _Abort()
        return ir.Property(d.kind, d.name, self.expect_bool(d.expr, _Scope({}, "property")), d.doc, d.span)

    # ------------------------------------------------------------------------------------------------ expressions
    def expect_bool(self, e: s.SExpr, scope: _Scope) -> ir.Expr:
        out = self.expr(e, scope, BOOL)
        if not isinstance(out.type, BoolType):
            raise self.error(e.span, f"expected a boolean, found {_describe(out.type)}")
        return out

    def coerce(self, value: ir.Expr, target: ir.Type, span: Span, strict: bool = False) -> ir.Expr:
        """Check that `value` fits `target`. Integers: a disjoint interval is an error; with `strict`, so is one that
        only overlaps (used where no run-time check can stand: inits, defs, map entries)."""
        vt = value.type
        if isinstance(target, IntType) and isinstance(vt, IntType):
            if not target.overlaps(vt):
                raise self.error(span, f"value out of range: {_describe(vt)} is never inside {_describe(target)}")
            if strict and not target.contains(vt):
                raise self.error(span, f"value may be out of range: {_describe(vt)} is not inside {_describe(target)}",
                                 "narrow the expression, or widen the declared type")
            return value
        if isinstance(target, MapType) and isinstance(vt, MapType) and isinstance(vt.codomain, IntType) \
                and isinstance(target.codomain, IntType) and vt.domain == target.domain:
            if not target.codomain.contains(vt.codomain):
                raise self.error(span, f"map entries may be out of range: {_describe(vt.codomain)} is not inside "
                                 f"{_describe(target.codomain)}")
            return value
        if not _same_shape(vt, target):
            raise self.error(span, f"type mismatch: expected {_describe(target)}, found {_describe(vt)}")
        if isinstance(target, (MapType, RecordType)) and vt != target:
            self.check_nested_ranges(vt, target, span)
        return value

    def check_nested_ranges(self, vt: ir.Type, target: ir.Type, span: Span) -> None:
        if isinstance(vt, IntType) and isinstance(target, IntType):
            if not target.contains(vt):
                raise self.error(span, f"value may be out of range: {_describe(vt)} is not inside {_describe(target)}")
        elif isinstance(vt, MapType) and isinstance(target, MapType):
            self.check_nested_ranges(vt.codomain, target.codomain, span)
        elif isinstance(vt, RecordType) and isinstance(target, RecordType):
            for (_, a), (_, b) in zip(vt.fields, target.fields):
                self.check_nested_ranges(a, b, span)

    def index_into_domain(self, e: s.SExpr, dom: Union[IntType, EnumType], scope: _Scope) -> ir.Expr:
        idx = self.expr(e, scope, dom)
        if isinstance(dom, EnumType):
            if idx.type != dom:
                raise self.error(e.span, f"type mismatch: this map is indexed by {_describe(dom)}, found "
                                 f"{_describe(idx.type)}")
            return idx
        if not isinstance(idx.type, IntType):
            raise self.error(e.span, f"type mismatch: this map is indexed by {_describe(dom)}, found "
                             f"{_describe(idx.type)}")
        if not dom.overlaps(idx.type):
            raise self.error(e.span, f"index out of range: {_describe(idx.type)} is never inside the map's domain "
                             f"{dom.values_text()}")
        if not dom.contains(idx.type):
            raise self.error(e.span, f"index may be out of range: {_describe(idx.type)} is not inside the map's "
                             f"domain {dom.values_text()}", "index with a value of the domain's type")
        return idx

    def bit_index(self, e: s.SExpr, t: BitsType, scope: _Scope) -> ir.Expr:
        idx = self.expr(e, scope)
        if not isinstance(idx.type, IntType):
            raise self.error(e.span, f"a bit index must be an integer, found {_describe(idx.type)}")
        if not IntType(0, t.width - 1).overlaps(idx.type):
            raise self.error(e.span, f"bit index out of width: {_describe(idx.type)} is outside 0..{t.width - 1} of "
                             f"{t}")
        return idx

    def expr(self, e: s.SExpr, scope: _Scope, expected: ir.Type | None = None) -> ir.Expr:
        method = getattr(self, "e_" + type(e).__name__)
        return method(e, scope, expected)

    def e_IntLit(self, e: s.IntLit, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        if isinstance(expected, BitsType):
            if not 0 <= e.value < (1 << expected.width):
                raise self.error(e.span, f"value out of range: {e.value} does not fit in {expected}")
            return ir.Lit(e.value, expected, e.span)
        return ir.Lit(e.value, IntType(e.value, e.value), e.span)

    def e_BoolLit(self, e: s.BoolLit, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        return ir.Lit(e.value, BOOL, e.span)

    def e_Primed(self, e: s.Primed, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        if scope.context == "action":
            raise self.error(e.span, f"primed variable '{e.name}'' on the right-hand side",
                             "right-hand sides read the pre-state: write the variable without a prime")
        raise self.error(e.span, f"primed variable '{e.name}'' outside an action body",
                         "primes mark the variable assigned in an action: x' = value")

    def e_Name(self, e: s.Name, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        n = e.name
        if n in scope.names:
            typ, uid = scope.names[n]
            if typ is _POISONED:
                raise _Abort()  # its definition failed and was reported
            return ir.Local(n, typ, e.span, uid=uid)
        if n in self.consts:
            v = self.consts[n].value
            if isinstance(v, IntType):
                raise self.error(e.span, f"'{n}' is a {_set_kind(v)} constant: use it as a type or after 'in', not as "
                                 "a value")
            if isinstance(v, bool):
                return ir.Lit(v, BOOL, e.span)
            if isinstance(expected, BitsType):
                return self.e_IntLit(s.IntLit(v, e.span), scope, expected)
            return ir.Lit(v, IntType(v, v), e.span)
        if n in self.vars:
            if scope.context in ("init", "def"):
                raise self.error(e.span, f"'{n}' is a state variable; {'init' if scope.context == 'init' else 'a def'}"
                                 " may not read state", "pass the value as a parameter" if scope.context == "def"
                                 else "initial values are constants")
            return ir.Var(n, self.vars[n].type, e.span)
        if n in self.enum_members:
            return ir.Lit(n, self.enum_members[n], e.span)
        if n in self.types:
            raise self.error(e.span, f"'{n}' is a type, not a value")
        if n in self.def_decls or n in BUILTINS:
            raise self.error(e.span, f"'{n}' is a function: call it as {n}(...)")
        raise self.unknown(n, e.span, "name", list(scope.names) + list(self.consts) + list(self.vars)
                           + list(self.enum_members))

    def e_IndexExpr(self, e: s.IndexExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        base = self.expr(e.base, scope)
        bt = base.type
        if isinstance(bt, MapType):
            idx = self.index_into_domain(e.index, bt.domain, scope)
            return ir.Index(base, idx, bt.codomain, e.span)
        if isinstance(bt, BitsType):
            return ir.Index(base, self.bit_index(e.index, bt, scope), BOOL, e.span)
        raise self.error(e.span, f"'[...]' needs a map or a bit vector, found {_describe(bt)}")

    def e_FieldExpr(self, e: s.FieldExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        base = self.expr(e.base, scope)
        if not isinstance(base.type, RecordType):
            raise self.error(e.span, f"'.{e.name}' needs a record, found {_describe(base.type)}")
        try:
            return ir.Field(base, e.name, base.type.field_type(e.name), e.span)
        except KeyError:
            raise self.unknown(e.name, e.span, "field", [n for n, _ in base.type.fields], str(base.type)) from None

    def e_Unary(self, e: s.Unary, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        if e.op == "not":
            return ir.Op("not", (self.expect_bool(e.arg, scope),), BOOL, e.span)
        arg = self.expr(e.arg, scope, expected if e.op == "~" else None)
        if e.op == "~":
            if not isinstance(arg.type, BitsType):
                hint = "negation of a boolean is written 'not' in irqspec (TLA+'s ~)" \
                    if isinstance(arg.type, BoolType) else "write bits[N] for a value read as a set of bits"
                raise self.error(e.span, f"'~' needs a bit vector, found {_describe(arg.type)}", hint)
            return ir.Op("bvnot", (arg,), arg.type, e.span)
        if not isinstance(arg.type, IntType):
            raise self.error(e.span, f"'-' needs an integer, found {_describe(arg.type)}")
        return self.op("neg", (arg,), e.span)

    def op(self, name: str, args: tuple[ir.Expr, ...], span: Span) -> ir.Expr:
        spec = OPERATORS[name]
        if name in NONNEGATIVE_ARGS:
            first = args[0].type
            if isinstance(first, IntType) and first.lo < 0:
                raise self.error(span, f"'{spec.symbol}' needs a non-negative left operand, found {_describe(first)}")
            if len(args) > 1 and isinstance(args[1].type, IntType) and args[1].type.lo < 0:
                raise self.error(span, f"'{spec.symbol}' needs a non-negative right operand, found "
                                 f"{_describe(args[1].type)}")
        if name in POSITIVE_DIVISOR and isinstance(args[1].type, IntType) and args[1].type.lo <= 0:
            raise self.error(span, f"'{spec.symbol}': the divisor may be zero or negative ({_describe(args[1].type)})",
                             "divide by a positive constant or range")
        if name == "shl" and isinstance(args[1].type, IntType) and args[1].type.hi > MAX_BITS_WIDTH:
            raise self.error(span, f"'<<' by up to {args[1].type.hi} gives integers too large to check",
                             "shift a bits[N] value instead")
        typ = spec.result_type(tuple(a.type for a in args))
        if isinstance(typ, IntType) and not (int_fits(typ.lo) and int_fits(typ.hi)):
            bits = max(typ.lo.bit_length(), typ.hi.bit_length())
            raise self.error(span, f"integers too large: '{spec.symbol}' here makes values of up to {bits} bits; "
                             f"integers in a spec have at most {MAX_INT_BITS}", "use a bits[N] value, whose arithmetic "
                             "wraps at N bits")
        return ir.Op(name, args, typ, span)

    def e_Binary(self, e: s.Binary, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        if e.op in ("and", "or", "implies"):
            return ir.Op(e.op, (self.expect_bool(e.left, scope), self.expect_bool(e.right, scope)), BOOL, e.span)
        left, right = self.operands(e, scope, expected)
        lt, rt = left.type, right.type
        if e.op in ("==", "!="):
            if isinstance(left, ir.Lit) and isinstance(lt, IntType) and isinstance(rt, BitsType):
                left = self.expr(e.left, scope, rt)
            elif isinstance(right, ir.Lit) and isinstance(rt, IntType) and isinstance(lt, BitsType):
                right = self.expr(e.right, scope, lt)
            elif not _same_shape(lt, rt):
                raise self.error(e.span, f"type mismatch: cannot compare {_describe(lt)} with {_describe(rt)}")
            return ir.Op("eq" if e.op == "==" else "ne", (left, right), BOOL, e.span)
        if isinstance(lt, BitsType):
            name = BINARY_BITS.get(e.op)
            if name is None:
                raise self.error(e.span, f"'{e.op}' is not defined on bit vectors")
            if name in ("bvshl", "bvshr"):
                if not isinstance(rt, IntType):
                    raise self.error(e.right.span, f"a shift amount must be an integer, found {_describe(rt)}")
            elif rt != lt:
                raise self.error(e.span, f"type mismatch: '{e.op}' on {_describe(lt)} and {_describe(rt)}")
            return self.op(name, (left, right), e.span)
        if isinstance(lt, IntType) and isinstance(rt, IntType):
            return self.op(BINARY_INT[e.op], (left, right), e.span)
        if isinstance(rt, BitsType) and isinstance(lt, IntType):
            raise self.error(e.span, f"type mismatch: '{e.op}' on {_describe(lt)} and {_describe(rt)}",
                             "both sides of a bit-vector operator must be bits[N] of one width")
        raise self.error(e.span, f"'{e.op}' is not defined on {_describe(lt)} and {_describe(rt)}")

    def operands(self, e: s.Binary, scope: _Scope, expected: ir.Type | None) -> tuple[ir.Expr, ir.Expr]:
        """Type both sides of a binary operator, letting a side of known width give its width to the other."""
        shift = e.op in ("<<", ">>")
        want = expected if isinstance(expected, BitsType) and e.op not in ("==", "!=", "<", "<=", ">", ">=") else None
        # A literal whose type comes from its context (a number or bit(...) beside a bit vector, a record literal)
        # on the left takes it from the right-hand side.
        left_needs_context = isinstance(e.left, s.RecordExpr) and not isinstance(e.right, s.RecordExpr)
        if (_width_free(e.left) and not _width_free(e.right) or left_needs_context) and not shift:
            right = self.expr(e.right, scope, want)
            left = self.expr(e.left, scope, right.type if isinstance(right.type, (BitsType, RecordType)) else want)
            return left, right
        left = self.expr(e.left, scope, want)
        if shift:
            return left, self.expr(e.right, scope)
        right = self.expr(e.right, scope, left.type if isinstance(left.type, (BitsType, EnumType, MapType,
                                                                                RecordType)) else None)
        return left, right

    def e_CallExpr(self, e: s.CallExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        if e.func in BUILTINS:
            return self.builtin(e, scope, expected)
        if e.func not in self.def_decls:
            raise self.unknown(e.func, e.span, "function", list(self.def_decls) + list(BUILTINS))
        if e.func not in self.functions:
            raise _Abort()  # the def itself failed to check; its error is already reported
        f = self.functions[e.func]
        if len(e.args) != len(f.params):
            raise self.error(e.span, f"'{f.name}' takes {len(f.params)} argument(s), given {len(e.args)}")
        args = []
        for a, p in zip(e.args, f.params):
            arg = self.expr(a, scope, p.type)
            args.append(self.coerce(arg, p.type, a.span, strict=True))
        return ir.Call(f.name, tuple(args), f.result, e.span)

    def builtin(self, e: s.CallExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        name = BUILTINS[e.func]
        spec = OPERATORS[name]
        if len(e.args) != spec.arity:
            raise self.error(e.span, f"'{e.func}' takes {spec.arity} argument(s), given {len(e.args)}")
        if name == "bit":
            if not isinstance(expected, BitsType):
                raise self.error(e.span, "cannot tell the width of bit(...) here",
                                 "use it beside a bits[N] value, e.g. irr[c] | bit(v), or assign it to one")
            arg = self.expr(e.args[0], scope)
            if not isinstance(arg.type, IntType):
                raise self.error(e.args[0].span, f"bit(...) takes an integer, found {_describe(arg.type)}")
            return ir.Op("bit", (arg,), expected, e.span)
        args = tuple(self.expr(a, scope) for a in e.args)
        for a, kind, sa in zip(args, spec.kinds, e.args):
            if _kind(a.type) != kind:
                raise self.error(sa.span, f"'{e.func}' takes {'a bit vector' if kind == 'bits' else 'an integer'}, "
                                 f"found {_describe(a.type)}")
        return self.op(name, args, e.span)

    def e_IteExpr(self, e: s.IteExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        cond = self.expect_bool(e.cond, scope)
        if expected is None and _needs_context(e.then) and not _needs_context(e.else_):
            # `if c then bit(v) else mask`: the else branch tells the then branch its width (or record type)
            other = self.expr(e.else_, scope)
            then = self.expr(e.then, scope, other.type if isinstance(other.type, (BitsType, RecordType)) else None)
        else:
            then = self.expr(e.then, scope, expected)
            other = self.expr(e.else_, scope, expected if expected is not None else
                              (then.type if not isinstance(then.type, IntType) else None))
        tt, et = then.type, other.type
        if isinstance(tt, IntType) and isinstance(et, IntType):
            if tt.runs is not None or et.runs is not None or (isinstance(expected, IntType) and
                                                              expected.runs is not None):
                # where a set of integers is involved the values of both branches are kept, not their hull: an `if`
                # that picks one of two members is a member (else it would need a range check it can never fail)
                typ: ir.Type = ir.int_set(tt.spans() + et.spans())
            else:
                typ = IntType(min(tt.lo, et.lo), max(tt.hi, et.hi))
        elif isinstance(tt, BitsType) and isinstance(other, ir.Lit) and isinstance(et, IntType):
            other, typ = self.expr(e.else_, scope, tt), tt
        elif isinstance(et, BitsType) and isinstance(then, ir.Lit) and isinstance(tt, IntType):
            then, typ = self.expr(e.then, scope, et), et
        elif _same_shape(tt, et) and tt == et:
            typ = tt
        else:
            raise self.error(e.span, f"the branches of 'if' differ: {_describe(tt)} and {_describe(et)}")
        return ir.Ite(cond, then, other, typ, e.span)

    def e_LetExpr(self, e: s.LetExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        self.check_local_name(e.name, e.span)
        value = self.expr(e.value, scope)
        uid = self.uid()
        body = self.expr(e.body, scope.child(e.name, value.type, uid), expected)
        return ir.Let(e.name, value, body, body.type, e.span, uid=uid)

    def e_QuantExpr(self, e: s.QuantExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        binders = []
        inner = scope
        for b in e.binders:
            self.check_local_name(b.name, b.span)
            dom = self.domain(b.domain)
            uid = self.uid()
            binders.append((b.name, dom, uid))
            inner = inner.child(b.name, dom, uid)
        out = self.expect_bool(e.body, inner)
        for name, dom, uid in reversed(binders):
            out = ir.Quant(e.kind, name, dom, out, BOOL, e.span, uid=uid)
        return out

    def e_MapComp(self, e: s.MapComp, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        self.check_local_name(e.name, e.span)
        dom = self.domain(e.domain)
        if isinstance(dom, BoolType):
            raise self.error(e.domain.span, "a map's domain must be a range or an enum, not bool")
        want = expected.codomain if isinstance(expected, MapType) else None
        uid = self.uid()
        body = self.expr(e.body, scope.child(e.name, dom, uid), want)
        codomain = body.type
        if want is not None:
            self.coerce(body, want, e.body.span, strict=True)
            codomain = want
        return ir.MapLit(e.name, dom, body, MapType(dom, codomain), e.span, uid=uid)

    def e_RecordExpr(self, e: s.RecordExpr, scope: _Scope, expected: ir.Type | None) -> ir.Expr:
        if not isinstance(expected, RecordType):
            raise self.error(e.span, "cannot tell which record type this literal has",
                             "use it where a record is expected: assign it, or compare it with a record")
        given = dict(e.fields)
        names = [n for n, _ in expected.fields]
        for n, _ in e.fields:
            if n not in names:
                raise self.unknown(n, e.span, "field", names, str(expected))
        missing = [n for n in names if n not in given]
        if missing:
            raise self.error(e.span, f"record literal misses field(s): {', '.join(missing)}")
        values = []
        for n, ft in expected.fields:
            v = self.expr(given[n], scope, ft)
            values.append(self.coerce(v, ft, given[n].span, strict=True))
        return ir.RecordLit(tuple(values), expected, e.span)


# -------------------------------------------------------------------------------------------------------- helpers


def _children(node: object) -> list[object]:
    """The syntax nodes directly inside `node`, in source order (positions and names left out)."""
    out: list[object] = []
    pending = [getattr(node, f) for f in reversed(node.__dataclass_fields__)]  # type: ignore[attr-defined]
    while pending:
        x = pending.pop()
        if isinstance(x, tuple):
            pending.extend(reversed(x))
        elif hasattr(x, "__dataclass_fields__") and not isinstance(x, Span):
            out.append(x)
    return out


def _levels(root: object, def_levels: dict[str, int]) -> dict[int, int]:
    """The levels of the syntax tree under each node, by the node's id: 1 for a leaf, one more than its deepest child
    otherwise, and for a call of a def at least one more than the def's body (`def_levels`). Without recursion: what
    it measures may be deeper than Python's stack."""
    levels: dict[int, int] = {}
    pending: list[tuple[object, list[object] | None]] = [(root, None)]
    while pending:
        node, children = pending.pop()
        if children is None:
            children = _children(node)
            pending.append((node, children))
            pending.extend((child, None) for child in children)
            continue
        n = 1 + max((levels[id(child)] for child in children), default=0)
        if isinstance(node, s.CallExpr) and node.func in def_levels:
            n = max(n, 1 + def_levels[node.func])
        levels[id(node)] = n
    return levels


def _called(e: s.SExpr) -> list[str]:
    """Names of every function called in a syntax expression (for the call graph of defs)."""
    out: list[str] = []
    pending: list[object] = [e]
    while pending:
        node = pending.pop()
        if isinstance(node, s.CallExpr):
            out.append(node.func)
        pending.extend(_children(node))
    return out


def _show_const(v: ConstValue) -> str:
    if isinstance(v, IntType):
        return v.values_text()
    return str(v).lower() if isinstance(v, bool) else str(v)


def _set_kind(t: IntType) -> str:
    """What the spec calls a set constant's value: a range when it is contiguous."""
    return "range" if t.runs is None else "set"


def _first_outside(lo: int, hi: int, t: IntType) -> int | None:
    """The least integer of lo..hi that is not a value of `t`, or None."""
    v = lo
    for a, b in t.spans():
        if b < v:
            continue
        if a > v:
            break
        v = b + 1  # the runs are not adjacent: the next one starts past b + 1
    return v if v <= hi else None


def constant_value(v: ConstValue) -> object:
    """A constant's value as `ir.Constant` holds it: a range as (lo, hi), any other set as its tuple of runs."""
    if isinstance(v, IntType):
        return (v.lo, v.hi) if v.runs is None else v.runs
    return v


def _modified(body: tuple[ir.Stmt, ...]) -> set[str]:
    out: set[str] = set()
    for st in body:
        if isinstance(st, ir.Assign):
            out.add(st.var)
        elif isinstance(st, ir.If):
            out |= _modified(st.then) | _modified(st.else_)
    return out


def _overlaps(a: tuple, b: tuple) -> bool:
    """Two assigned locations overlap when one path is a prefix of the other, step by step equal or possibly equal.

    Index steps given by two different literals never meet; steps given by two different expressions may meet at run
    time but are allowed (the later assignment wins), so only syntactically equal steps count as the same."""
    if a[0] != b[0]:
        return False
    for x, y in zip(a[1], b[1]):
        if x != y:
            return False
    return True


def _show_location(loc: tuple) -> str:
    out = loc[0] + "'"
    for step in loc[1]:
        if step[0] == "field":
            out += "." + step[1]
        elif step[0] == "index":
            out += f"[{step[1]}]"
        else:
            out += "[...]"
    return out


def build_system(modules: list[s.ModuleAst], overrides: dict[str, str] | None = None) -> ir.System:
    """Check parsed modules (dependency order, root last) and build the IR; raise SpecError with every error."""
    try:
        return Checker(modules, overrides).run()
    except RecursionError:  # a tree the parser could still build but the recursive checks cannot walk
        root = modules[-1]
        raise SpecError([Diagnostic(root.span, "nesting too deep to check",
                                    "split deeply nested expressions or statements into defs and lets")]) from None


__all__ = ["build_system", "Checker"]
