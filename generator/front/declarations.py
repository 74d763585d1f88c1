"""Checking declarations: constants (and -D overrides), types, state variables, defs and their call graph,
parameters, properties; names unique across a spec."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Union

from .. import ir
from ..ir import BOOL, BitsType, BoolType, EnumType, IntType, MapType, RecordType
from ..semantics import BINARY_INT, BUILTINS, MAX_INT_BITS, NONNEGATIVE_ARGS, POSITIVE_DIVISOR, int_fits
from . import syntax as s
from .checkbase import (MAX_BITS_WIDTH, MAX_DOMAIN, Abort, CheckerBase, Const, ConstValue, Scope,
                        called_functions, child_nodes, first_outside, set_kind, show_const)
from .diagnostics import Span, SpecError
from .lalr import shadowing_keywords
from .parse import parse_override


class DeclarationChecker(CheckerBase):
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
        except Abort:
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
                raise Abort() from None
            if any(self.nesting(e) is None for item in items for e in (item.lo, item.hi) if e is not None):
                raise Abort()
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
                                         f"is the {set_kind(value)} {value.values_text()}")
                    self.check_members(d.name, value, declared, value_expr.span)
                elif isinstance(declared, BoolType) != isinstance(value, bool):
                    raise self.error(value_expr.span, f"constant '{d.name}' is declared {declared} but its value is "
                                     f"{str(value).lower() if isinstance(value, bool) else value}")
                elif isinstance(declared, IntType) and not declared.has(value):  # type: ignore[arg-type]
                    raise self.error(value_expr.span, f"value {value} of constant '{d.name}' is out of its type "
                                     f"{declared.values_text()}")
        self.consts[d.name] = Const(value, declared, d.span, overridden)
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
                    raise self.error(item.lo.span, f"expected an integer constant, found {show_const(v)}")
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
        outside = min(v for a, b in values.spans() if (v := first_outside(a, b, declared)) is not None)
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
            raise self.error(e.span, f"'{e.op}' cannot be applied to {show_const(v)} in a constant expression")
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
            raise self.error(e.span, f"expected an integer constant, found {show_const(v)}")
        return v

    # -------------------------------------------------------------------------------------------------- functions
    def check_functions(self) -> None:
        """Check defs in dependency order; a cycle among them is an error naming the cycle."""
        calls: dict[str, list[str]] = {n: sorted(set(called_functions(d.body)) & set(self.def_decls))
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
            children = child_nodes(node)
            if not children:
                return ()
            node = max(children, key=lambda child: levels[id(child)])

    def def_decl(self, d: s.DefDecl) -> None:
        params = self.params(d.params, finite=False)
        result = self.resolve_type(d.result)
        scope = Scope({p.name: (p.type, p.uid) for p in params}, "def")
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
        if name in shadowing_keywords()[0]:
            raise self.error(span, f"'{name}' is a keyword of irqspec and cannot name a local", "choose another name")

    # ------------------------------------------------------------------------------------------------------- init
    def prop_decl(self, d: s.PropDecl) -> ir.Property:
        if d.name == ir.DEADLOCK_PROPERTY:
            raise self.error(d.span, f"'{ir.DEADLOCK_PROPERTY}' names the implicit property that some action is "
                             "enabled in every reachable state", "choose another name for this " + d.kind)
        if d.name == ir.RANGE_PROPERTY:
            # every output (reports, --inv, JSON, traces) names the implicit property `range`: a declared one of
            # that name would be ambiguous in all of them
            raise self.error(d.span, f"'{ir.RANGE_PROPERTY}' is the name of the implicit property that every value "
                             "stays inside its type's range", "choose another name for this " + d.kind)
        if self.nesting(d) is None:
            raise Abort()
        return ir.Property(d.kind, d.name, self.expect_bool(d.expr, Scope({}, "property")), d.doc, d.span)

    def liveness_decl(self, d: s.PropDecl) -> ir.Liveness:
        """`liveness NAME: forall b in D, ...: p ~> q`: the leading `forall`s bind both sides; `~>` only there."""
        if d.name == ir.DEADLOCK_PROPERTY:
            raise self.error(d.span, f"'{ir.DEADLOCK_PROPERTY}' names the implicit property that some action is "
                             "enabled in every reachable state", "choose another name for this liveness property")
        if d.name == ir.RANGE_PROPERTY:
            raise self.error(d.span, f"'{ir.RANGE_PROPERTY}' is the name of the implicit property that every value "
                             "stays inside its type's range", "choose another name for this liveness property")
        if self.nesting(d) is None:
            raise Abort()
        body, scope, binders = d.expr, Scope({}, "property"), []
        while isinstance(body, s.QuantExpr) and body.kind == "forall":
            for b in body.binders:
                self.check_local_name(b.name, b.span)
                if b.name in scope.names:
                    raise self.error(b.span, f"'{b.name}' is already bound by this property", "choose another name")
                param = ir.Param(b.name, self.domain(b.domain), b.span, uid=self.uid())
                binders.append(param)
                scope = scope.child(b.name, param.type, param.uid)
            body = body.body
        if not (isinstance(body, s.Binary) and body.op == "~>"):
            where = body.span if isinstance(body, s.QuantExpr) else d.expr.span
            raise self.error(where, "a liveness property is `P ~> Q` (P leads to Q), under leading `forall`s only",
                             "write e.g. `liveness delivered: forall c in Cpu: owed[c] != 0 ~> owed[c] == 0`")
        p = self.expect_bool(body.left, scope)
        q = self.expect_bool(body.right, scope)
        return ir.Liveness(d.name, tuple(binders), p, q, d.doc, d.span)

    # ------------------------------------------------------------------------------------------------ expressions
