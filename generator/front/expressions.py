"""Typing expressions: every expression gets its IR type (integers their interval, by `semantics`), with
coercions, range obligations, indexing into domains, operators, calls, quantifiers, lets and records."""

from __future__ import annotations

import dataclasses
import difflib

from typing import Union

from .. import ir
from ..ir import BOOL, BitsType, BoolType, EnumType, IntType, MapType, RecordType
from ..semantics import (BINARY_BITS, BINARY_INT, BUILTINS, MAX_INT_BITS, NONNEGATIVE_ARGS, OPERATORS,
                         POSITIVE_DIVISOR, int_fits)
from . import syntax as s
from .checkbase import (MAX_BITS_WIDTH, POISONED, Abort, CheckerBase, Scope, describe, kind_name,
                        needs_context, same_shape, set_kind, width_free)
from .diagnostics import Span


class ExpressionChecker(CheckerBase):
    def expect_bool(self, e: s.SExpr, scope: Scope) -> ir.Expr:
        out = self.expr(e, scope, BOOL)
        if not isinstance(out.type, BoolType):
            raise self.error(e.span, f"expected a boolean, found {describe(out.type)}")
        return out

    def coerce(self, value: ir.Expr, target: ir.Type, span: Span, strict: bool = False,
               scope: Scope | None = None) -> ir.Expr:
        """Check that `value` fits `target`. Integers: a disjoint interval is an error; with `strict`, so is one that
        only overlaps (used where no run-time check can stand: inits, defs, map entries). Given the `scope`, an
        integer's values are the ones the conditions holding there leave it (`narrowing`)."""
        vt = value.type
        if isinstance(target, IntType) and isinstance(vt, IntType):
            values = vt if scope is None else scope.values(value)
            if values is None:
                return value  # never evaluated: the conditions that hold here contradict
            if not target.overlaps(values):
                raise self.error(span, f"value out of range: {self.values_text(value, values)} is never inside "
                                 f"{describe(target)}")
            if strict and not target.contains(values):
                raise self.error(span, f"value may be out of range: {self.values_text(value, values)} is not "
                                 f"inside {describe(target)}", "narrow the expression, or widen the declared type")
            return value
        if isinstance(target, MapType) and isinstance(vt, MapType) and isinstance(vt.codomain, IntType) \
                and isinstance(target.codomain, IntType) and vt.domain == target.domain:
            if not target.codomain.contains(vt.codomain):
                raise self.error(span, f"map entries may be out of range: {describe(vt.codomain)} is not inside "
                                 f"{describe(target.codomain)}")
            return value
        if not same_shape(vt, target):
            raise self.error(span, f"type mismatch: expected {describe(target)}, found {describe(vt)}")
        if isinstance(target, (MapType, RecordType)) and vt != target:
            self.check_nested_ranges(vt, target, span)
        return value

    def check_nested_ranges(self, vt: ir.Type, target: ir.Type, span: Span) -> None:
        if isinstance(vt, IntType) and isinstance(target, IntType):
            if not target.contains(vt):
                raise self.error(span, f"value may be out of range: {describe(vt)} is not inside {describe(target)}")
        elif isinstance(vt, MapType) and isinstance(target, MapType):
            self.check_nested_ranges(vt.codomain, target.codomain, span)
        elif isinstance(vt, RecordType) and isinstance(target, RecordType):
            for (_, a), (_, b) in zip(vt.fields, target.fields):
                self.check_nested_ranges(a, b, span)

    def index_into_domain(self, e: s.SExpr, dom: Union[IntType, EnumType], scope: Scope) -> ir.Expr:
        idx = self.expr(e, scope, dom)
        if isinstance(dom, EnumType):
            if idx.type != dom:
                raise self.error(e.span, f"type mismatch: this map is indexed by {describe(dom)}, found "
                                 f"{describe(idx.type)}")
            return idx
        if not isinstance(idx.type, IntType):
            raise self.error(e.span, f"type mismatch: this map is indexed by {describe(dom)}, found "
                             f"{describe(idx.type)}")
        values = scope.values(idx)
        if values is None:
            return idx  # the conditions that hold here contradict: this index is never read
        if not dom.overlaps(values):
            raise self.error(e.span, f"index out of range: {self.values_text(idx, values)} is never inside the "
                             f"map's domain {dom.values_text()}")
        if not dom.contains(values):
            raise self.error(e.span, f"index may be out of range: {self.values_text(idx, values)} is not inside "
                             f"the map's domain {dom.values_text()}",
                             "index with a value of the domain's type, or guard the index (`requires`, `if`, `and`)")
        return idx

    @staticmethod
    def values_text(e: ir.Expr, values: IntType) -> str:
        """An integer expression's values as an error names them: its type, or, where guards narrow it, that."""
        if values == e.type:
            return describe(values)
        assert isinstance(e.type, IntType)
        return f"{describe(values)} (narrowed from {e.type.values_text()} by the conditions that hold here)"

    def bit_index(self, e: s.SExpr, t: BitsType, scope: Scope) -> ir.Expr:
        idx = self.expr(e, scope)
        if not isinstance(idx.type, IntType):
            raise self.error(e.span, f"a bit index must be an integer, found {describe(idx.type)}")
        if not IntType(0, t.width - 1).overlaps(idx.type):
            raise self.error(e.span, f"bit index out of width: {describe(idx.type)} is outside 0..{t.width - 1} of "
                             f"{t}")
        return idx

    def expr(self, e: s.SExpr, scope: Scope, expected: ir.Type | None = None) -> ir.Expr:
        method = getattr(self, "e_" + type(e).__name__)
        return method(e, scope, expected)

    def e_IntLit(self, e: s.IntLit, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        if isinstance(expected, BitsType):
            if not 0 <= e.value < (1 << expected.width):
                raise self.error(e.span, f"value out of range: {e.value} does not fit in {expected}")
            return ir.Lit(e.value, expected, e.span)
        return ir.Lit(e.value, IntType(e.value, e.value), e.span)

    def e_BoolLit(self, e: s.BoolLit, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        return ir.Lit(e.value, BOOL, e.span)

    def e_Primed(self, e: s.Primed, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        if scope.context == "action" and getattr(self, "_path", None) is not None:
            return self.post_read(e.name, e.span)  # type: ignore[attr-defined]
        if scope.context == "guard":
            raise self.error(e.span, f"primed variable '{e.name}'' in a guard",
                             "a guard reads the pre-state; the body may read x' after its assignment to x")
        raise self.error(e.span, f"primed variable '{e.name}'' outside an action body",
                         "primes mark the variable assigned in an action: x' = value")

    def e_Name(self, e: s.Name, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        n = e.name
        if n in scope.names:
            typ, uid = scope.names[n]
            if typ is POISONED:
                raise Abort()  # its definition failed and was reported
            return ir.Local(n, typ, e.span, uid=uid)
        if n in self.consts:
            v = self.consts[n].value
            if isinstance(v, IntType):
                raise self.error(e.span, f"'{n}' is a {set_kind(v)} constant: use it as a type or after 'in', not as "
                                 "a value")
            if isinstance(v, bool):
                return ir.Lit(v, BOOL, e.span, const=n)
            if isinstance(expected, BitsType):
                return dataclasses.replace(self.e_IntLit(s.IntLit(v, e.span), scope, expected), const=n)
            return ir.Lit(v, IntType(v, v), e.span, const=n)
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

    def e_IndexExpr(self, e: s.IndexExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        base = self.expr(e.base, scope)
        bt = base.type
        if isinstance(bt, MapType):
            idx = self.index_into_domain(e.index, bt.domain, scope)
            return ir.Index(base, idx, bt.codomain, e.span)
        if isinstance(bt, BitsType):
            return ir.Index(base, self.bit_index(e.index, bt, scope), BOOL, e.span)
        raise self.error(e.span, f"'[...]' needs a map or a bit vector, found {describe(bt)}")

    def e_FieldExpr(self, e: s.FieldExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        base = self.expr(e.base, scope)
        if not isinstance(base.type, RecordType):
            raise self.error(e.span, f"'.{e.name}' needs a record, found {describe(base.type)}")
        try:
            return ir.Field(base, e.name, base.type.field_type(e.name), e.span)
        except KeyError:
            raise self.unknown(e.name, e.span, "field", [n for n, _ in base.type.fields], str(base.type)) from None

    def e_Unary(self, e: s.Unary, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        if e.op == "not":
            return ir.Op("not", (self.expect_bool(e.arg, scope),), BOOL, e.span)
        arg = self.expr(e.arg, scope, expected if e.op == "~" else None)
        if e.op == "~":
            if not isinstance(arg.type, BitsType):
                hint = "negation of a boolean is written 'not' in irqspec (TLA+'s ~)" \
                    if isinstance(arg.type, BoolType) else "write bits[N] for a value read as a set of bits"
                raise self.error(e.span, f"'~' needs a bit vector, found {describe(arg.type)}", hint)
            return ir.Op("bvnot", (arg,), arg.type, e.span)
        if not isinstance(arg.type, IntType):
            raise self.error(e.span, f"'-' needs an integer, found {describe(arg.type)}")
        return self.op("neg", (arg,), e.span)

    def op(self, name: str, args: tuple[ir.Expr, ...], span: Span) -> ir.Expr:
        spec = OPERATORS[name]
        if name in NONNEGATIVE_ARGS:
            first = args[0].type
            if isinstance(first, IntType) and first.lo < 0:
                raise self.error(span, f"'{spec.symbol}' needs a non-negative left operand, found {describe(first)}")
            if len(args) > 1 and isinstance(args[1].type, IntType) and args[1].type.lo < 0:
                raise self.error(span, f"'{spec.symbol}' needs a non-negative right operand, found "
                                 f"{describe(args[1].type)}")
        if name in POSITIVE_DIVISOR and isinstance(args[1].type, IntType) and args[1].type.lo <= 0:
            raise self.error(span, f"'{spec.symbol}': the divisor may be zero or negative ({describe(args[1].type)})",
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

    def e_Binary(self, e: s.Binary, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        if e.op == "~>":
            raise self.error(e.span, "'~>' (leads to) is temporal: it is the body of a liveness property, after its "
                             "leading `forall`s, and nowhere else",
                             "declare `liveness NAME: P ~> Q`, or use `implies` for a state formula")
        if e.op in ("and", "or", "implies"):
            # the right operand is evaluated only where the left one decides nothing: it is checked knowing that
            # (`narrowing`)
            left = self.expect_bool(e.left, scope)
            right = self.expect_bool(e.right, scope.knowing(left, e.op != "or"))
            return ir.Op(e.op, (left, right), BOOL, e.span)
        left, right = self.operands(e, scope, expected)
        lt, rt = left.type, right.type
        if e.op in ("==", "!="):
            if isinstance(left, ir.Lit) and isinstance(lt, IntType) and isinstance(rt, BitsType):
                left = self.expr(e.left, scope, rt)
            elif isinstance(right, ir.Lit) and isinstance(rt, IntType) and isinstance(lt, BitsType):
                right = self.expr(e.right, scope, lt)
            elif not same_shape(lt, rt):
                raise self.error(e.span, f"type mismatch: cannot compare {describe(lt)} with {describe(rt)}")
            return ir.Op("eq" if e.op == "==" else "ne", (left, right), BOOL, e.span)
        if isinstance(lt, BitsType):
            name = BINARY_BITS.get(e.op)
            if name is None:
                raise self.error(e.span, f"'{e.op}' is not defined on bit vectors")
            if name in ("bvshl", "bvshr"):
                if not isinstance(rt, IntType):
                    raise self.error(e.right.span, f"a shift amount must be an integer, found {describe(rt)}")
            elif rt != lt:
                raise self.error(e.span, f"type mismatch: '{e.op}' on {describe(lt)} and {describe(rt)}")
            return self.op(name, (left, right), e.span)
        if isinstance(lt, IntType) and isinstance(rt, IntType):
            return self.op(BINARY_INT[e.op], (left, right), e.span)
        if isinstance(rt, BitsType) and isinstance(lt, IntType):
            raise self.error(e.span, f"type mismatch: '{e.op}' on {describe(lt)} and {describe(rt)}",
                             "both sides of a bit-vector operator must be bits[N] of one width")
        raise self.error(e.span, f"'{e.op}' is not defined on {describe(lt)} and {describe(rt)}")

    def operands(self, e: s.Binary, scope: Scope, expected: ir.Type | None) -> tuple[ir.Expr, ir.Expr]:
        """Type both sides of a binary operator, letting a side of known width give its width to the other."""
        shift = e.op in ("<<", ">>")
        want = expected if isinstance(expected, BitsType) and e.op not in ("==", "!=", "<", "<=", ">", ">=") else None
        # A literal whose type comes from its context (a number or bit(...) beside a bit vector, a record literal)
        # on the left takes it from the right-hand side.
        left_needs_context = isinstance(e.left, s.RecordExpr) and not isinstance(e.right, s.RecordExpr)
        if (width_free(e.left) and not width_free(e.right) or left_needs_context) and not shift:
            right = self.expr(e.right, scope, want)
            left = self.expr(e.left, scope, right.type if isinstance(right.type, (BitsType, RecordType)) else want)
            return left, right
        left = self.expr(e.left, scope, want)
        if shift:
            return left, self.expr(e.right, scope)
        right = self.expr(e.right, scope, left.type if isinstance(left.type, (BitsType, EnumType, MapType,
                                                                                RecordType)) else None)
        return left, right

    def e_CallExpr(self, e: s.CallExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        if e.func in BUILTINS:
            return self.builtin(e, scope, expected)
        if e.func not in self.def_decls:
            raise self.unknown(e.func, e.span, "function", list(self.def_decls) + list(BUILTINS))
        if e.func not in self.functions:
            raise Abort()  # the def itself failed to check; its error is already reported
        f = self.functions[e.func]
        if len(e.args) != len(f.params):
            raise self.error(e.span, f"'{f.name}' takes {len(f.params)} argument(s), given {len(e.args)}")
        args = []
        for a, p in zip(e.args, f.params):
            arg = self.expr(a, scope, p.type)
            args.append(self.coerce(arg, p.type, a.span, strict=True, scope=scope))
        return ir.Call(f.name, tuple(args), f.result, e.span)

    def builtin(self, e: s.CallExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
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
                raise self.error(e.args[0].span, f"bit(...) takes an integer, found {describe(arg.type)}")
            return ir.Op("bit", (arg,), expected, e.span)
        args = tuple(self.expr(a, scope) for a in e.args)
        for a, kind, sa in zip(args, spec.kinds, e.args):
            if kind_name(a.type) != kind:
                raise self.error(sa.span, f"'{e.func}' takes {'a bit vector' if kind == 'bits' else 'an integer'}, "
                                 f"found {describe(a.type)}")
        return self.op(name, args, e.span)

    def e_IteExpr(self, e: s.IteExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        cond = self.expect_bool(e.cond, scope)
        yes, no = scope.knowing(cond), scope.knowing(cond, False)
        if expected is None and needs_context(e.then) and not needs_context(e.else_):
            # `if c then bit(v) else mask`: the else branch tells the then branch its width (or record type)
            other = self.expr(e.else_, no)
            then = self.expr(e.then, yes, other.type if isinstance(other.type, (BitsType, RecordType)) else None)
        else:
            then = self.expr(e.then, yes, expected)
            other = self.expr(e.else_, no, expected if expected is not None else
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
        elif same_shape(tt, et) and tt == et:
            typ = tt
        else:
            raise self.error(e.span, f"the branches of 'if' differ: {describe(tt)} and {describe(et)}")
        return ir.Ite(cond, then, other, typ, e.span)

    def e_MatchExpr(self, e: s.MatchExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        cases = self.match_cases(e.subject, e.arms, e.span, scope)
        out: s.SExpr = cases[-1][1]  # type: ignore[assignment]
        for cond, body, span in reversed(cases[:-1]):
            out = s.IteExpr(cond, body, out, span)  # type: ignore[arg-type]
        return self.expr(out, scope, expected)

    def match_cases(self, subject: s.SExpr, arms: tuple[s.MatchArm, ...], span: Span,
                    scope: Scope) -> list[tuple[s.SExpr | None, object, Span]]:
        """The arms of a `match` as (condition over the subject, body, span), in order; the last has no condition:
        it takes what the others leave (its arm's members, or `else`). The subject must be an enum value, every
        member named once, by its enum, and every member taken (by an arm or by `else`, which must come last and
        take something)."""
        typ = self.expr(subject, scope).type
        if not isinstance(typ, EnumType):
            raise self.error(span, f"match needs an enum value: this one is {describe(typ)}",
                             "for a bool or an integer write if ... else if ...")
        seen: dict[str, Span] = {}
        for i, arm in enumerate(arms):
            if not arm.members:
                if i != len(arms) - 1:
                    raise self.error(arm.span, "the else arm of a match comes last")
                left = [m for m in typ.members if m not in seen]
                if not left:
                    raise self.error(arm.span, f"this else arm is never taken: every member of {typ.name} has an "
                                     "arm", "remove it")
                continue
            for m in arm.members:
                if m not in typ.members:
                    close = difflib.get_close_matches(m, list(typ.members), n=1, cutoff=0.6)
                    raise self.error(arm.span, f"'{m}' is not a member of enum {typ.name} "
                                     f"({', '.join(typ.members)})", f"did you mean '{close[0]}'?" if close else "")
                if m in seen:
                    raise self.error(arm.span, f"{m} has two arms in this match (the first at {seen[m]})")
                if m in scope.names:
                    raise self.error(arm.span, f"a local named '{m}' hides enum member {m} here",
                                     "rename the local")
                seen[m] = arm.span
        missing = [m for m in typ.members if m not in seen]
        if missing and arms[-1].members:
            raise self.error(span, f"this match is not exhaustive: no arm for {', '.join(missing)} of enum "
                             f"{typ.name}", "add an arm for each, or end with else => ...")
        cases: list[tuple[s.SExpr | None, object, Span]] = []
        for arm in arms[:-1]:
            cond: s.SExpr | None = None
            for m in arm.members:
                test = s.Binary("==", subject, s.Name(m, arm.span), arm.span)
                cond = test if cond is None else s.Binary("or", cond, test, arm.span)
            cases.append((cond, arm.body, arm.span))
        cases.append((None, arms[-1].body, arms[-1].span))
        return cases

    def e_LetExpr(self, e: s.LetExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
        self.check_local_name(e.name, e.span)
        value = self.expr(e.value, scope)
        uid = self.uid()
        body = self.expr(e.body, scope.child(e.name, value.type, uid), expected)
        return ir.Let(e.name, value, body, body.type, e.span, uid=uid)

    def e_QuantExpr(self, e: s.QuantExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
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

    def e_MapComp(self, e: s.MapComp, scope: Scope, expected: ir.Type | None) -> ir.Expr:
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

    def e_RecordExpr(self, e: s.RecordExpr, scope: Scope, expected: ir.Type | None) -> ir.Expr:
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


