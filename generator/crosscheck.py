"""A proof's certificate held against the other reading of the spec: the generated model's reachable states.

`prove` re-checks every certificate with fresh Z3 solvers, but those re-encode the spec with the same encoder that
found the proof, so an encoding bug (a name resolved wrongly, a width too narrow) could make a wrong certificate pass
both. The explorer runs the generated Python model, which shares no code with the Z3 encoding. So after a proof:
- a 1-inductive certificate C (a formula over the state parts) must hold in every reachable state of the model;
- a k-inductive proof (no C) says the properties themselves hold: every reachable state must satisfy them.
When the instance's reachable states can be enumerated within a budget (states and seconds), every one is checked;
a state that breaks C or a property contradicts the proof (which is then not reported as proved). Beyond the budget
the states reached are checked and the report says the cross-check is partial: it never claims more than it saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import z3

from . import ir
from .pybackend.explore import explore
from .pybackend.loadmodel import load_model
from .smt.certificate import Certificate, from_smt2
from .smt.context import in_fresh_context
from .smt.state import StateVars, flatten_value


@dataclass(frozen=True)
class CrossCheck:
    status: str  # "agrees" (every reachable state checked) | "partial" (the first `states` agree) | "contradicts"
    states: int
    detail: str
    state: dict[str, object] | None = None  # for "contradicts": the model's state that breaks the certificate


class _OutOfTime(Exception):
    pass


class _Contradiction(Exception):
    def __init__(self, state: Any, what: str):
        super().__init__(what)
        self.state, self.what = state, what


@in_fresh_context
def crosscheck(system: ir.System, certificate: Certificate | None, properties: tuple[str, ...],
               max_states: int = 20_000, seconds: float = 2.0) -> CrossCheck:
    """Hold `certificate` (or, for a k-inductive proof, the proved `properties`) against the reachable states of
    the generated model of `system`, as far as `max_states` and `seconds` allow."""
    model = load_model(system)
    holds = _certificate_test(system, model, certificate) if certificate is not None and certificate.smt2 \
        else _properties_test(model, properties)
    start = time.monotonic()
    seen = [0]

    def visit(s: Any) -> None:
        seen[0] += 1
        what = holds(s)
        if what:
            raise _Contradiction(s, what)
        if seen[0] % 64 == 0 and time.monotonic() - start > seconds:
            raise _OutOfTime()

    try:
        found = explore(system, max_states=max_states, model=model, on_state=visit)
    except _OutOfTime:
        return CrossCheck("partial", seen[0], f"the first {seen[0]:,} reachable states of the model (breadth "
                          f"first) satisfy it; the cross-check stopped after {seconds:g} s")
    except _Contradiction as bad:
        return CrossCheck("contradicts", seen[0], f"a reachable state of the model breaks {bad.what}",
                          model.state_to_dict(bad.state))
    if found.status == "violated":  # the model reaches a violation the proof says cannot happen
        return CrossCheck("contradicts", seen[0], f"the model reaches a violation of {found.invariant} in "
                          f"{len(found.trace) - 1} steps" if found.trace is not None else found.reason)
    if found.status == "holds":
        return CrossCheck("agrees", seen[0], f"all {found.states:,} reachable states of the model satisfy it")
    return CrossCheck("partial", seen[0], f"the first {seen[0]:,} reachable states of the model satisfy it "
                      f"({found.reason}: not every state checked)")


def _certificate_test(system: ir.System, model: Any, certificate: Certificate):
    """A test of C on model states: C compiled once into Python over the stored codes of the state parts (the
    integer a part holds in the encoding: enum index, offset from an int range's low end, bits as a number)."""
    formula = from_smt2(certificate.smt2)
    canonical = StateVars(system, "")
    slots: dict[str, int] = {}
    coders = []
    for v in system.vars:
        for (term, sc), _ in zip(canonical.parts[v.name], flatten_value(v.type, ir.default_value(v.type))):
            slots[str(term)] = len(coders)
            coders.append(sc)
    evaluate = _compile(formula, slots)
    names = [v.name for v in system.vars]
    types = [v.type for v in system.vars]

    def breaks(s: Any) -> str:
        values = model.state_to_dict(s)
        codes = [_code(sc, part) for sc, part in zip(coders, (p for n, t in zip(names, types)
                                                               for p in flatten_value(t, values[n])))]
        return "" if evaluate(codes) else "the certificate"

    return breaks


def _code(sc, part: object) -> int | bool:
    """The stored code of one scalar part's IR value (generator/smt/storage.py's layout)."""
    t = sc.type
    if isinstance(t, ir.BoolType):
        return bool(part)
    if isinstance(t, ir.EnumType):
        return t.members.index(part)
    if isinstance(t, ir.IntType):
        return int(part) - sc.offset  # type: ignore[call-overload]
    return int(part)  # type: ignore[call-overload]


def _compile(e: z3.ExprRef, slots: dict[str, int]):
    """`e` (a formula over state-part constants) as a Python function of the parts' codes. Shared subterms are
    evaluated once per call; an operator outside the table is an error, never a guess."""
    cache: dict[int, Any] = {}

    def build(x: z3.ExprRef):
        key = x.get_id()
        if key in cache:
            return cache[key]
        fn = _node(x, build, slots)
        cache[key] = fn
        return fn

    top = build(e)
    return lambda codes: top(codes, {})


def _node(x: z3.ExprRef, build, slots: dict[str, int]):
    key = x.get_id()

    def memo(f):
        def run(codes, seen):
            if key in seen:
                return seen[key]
            out = seen[key] = f(codes, seen)
            return out
        return run

    if z3.is_true(x):
        return lambda codes, seen: True
    if z3.is_false(x):
        return lambda codes, seen: False
    if z3.is_bv_value(x):
        n = x.as_long()
        return lambda codes, seen: n
    if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
        name = x.decl().name()
        if name not in slots:
            raise ValueError(f"the certificate names {name!r}, which is not a state part")
        i = slots[name]
        return lambda codes, seen: codes[i]
    k = x.decl().kind()
    args = [build(x.arg(i)) for i in range(x.num_args())]
    width = x.size() if z3.is_bv(x) else 0
    mask = (1 << width) - 1

    def arg_width(i: int) -> int:
        return x.arg(i).size()

    def signed(v: int, w: int) -> int:
        return v - (1 << w) if v >> (w - 1) else v

    table = {
        z3.Z3_OP_AND: lambda c, s: all(a(c, s) for a in args),
        z3.Z3_OP_OR: lambda c, s: any(a(c, s) for a in args),
        z3.Z3_OP_NOT: lambda c, s: not args[0](c, s),
        z3.Z3_OP_IMPLIES: lambda c, s: (not args[0](c, s)) or args[1](c, s),
        z3.Z3_OP_XOR: lambda c, s: args[0](c, s) != args[1](c, s),
        z3.Z3_OP_EQ: lambda c, s: args[0](c, s) == args[1](c, s),
        z3.Z3_OP_DISTINCT: lambda c, s: len({a(c, s) for a in args}) == len(args),
        z3.Z3_OP_ITE: lambda c, s: args[1](c, s) if args[0](c, s) else args[2](c, s),
        z3.Z3_OP_ULEQ: lambda c, s: args[0](c, s) <= args[1](c, s),
        z3.Z3_OP_ULT: lambda c, s: args[0](c, s) < args[1](c, s),
        z3.Z3_OP_UGEQ: lambda c, s: args[0](c, s) >= args[1](c, s),
        z3.Z3_OP_UGT: lambda c, s: args[0](c, s) > args[1](c, s),
        z3.Z3_OP_BADD: lambda c, s: sum(a(c, s) for a in args) & mask,
        z3.Z3_OP_BMUL: lambda c, s: _product(args, c, s) & mask,
        z3.Z3_OP_BSUB: lambda c, s: (args[0](c, s) - args[1](c, s)) & mask,
        z3.Z3_OP_BNEG: lambda c, s: (-args[0](c, s)) & mask,
        z3.Z3_OP_BAND: lambda c, s: _fold(args, c, s, int.__and__),
        z3.Z3_OP_BOR: lambda c, s: _fold(args, c, s, int.__or__),
        z3.Z3_OP_BXOR: lambda c, s: _fold(args, c, s, int.__xor__),
        z3.Z3_OP_BNOT: lambda c, s: ~args[0](c, s) & mask,
        z3.Z3_OP_BSHL: lambda c, s: (args[0](c, s) << args[1](c, s)) & mask if args[1](c, s) < width else 0,
        z3.Z3_OP_BLSHR: lambda c, s: args[0](c, s) >> args[1](c, s),
        z3.Z3_OP_BUDIV: lambda c, s: args[0](c, s) // args[1](c, s) if args[1](c, s) else mask,
        z3.Z3_OP_BUREM: lambda c, s: args[0](c, s) % args[1](c, s) if args[1](c, s) else args[0](c, s),
    }
    if k in table:
        return memo(table[k])
    if k in (z3.Z3_OP_SLEQ, z3.Z3_OP_SLT, z3.Z3_OP_SGEQ, z3.Z3_OP_SGT):
        w = arg_width(0)
        cmp = {z3.Z3_OP_SLEQ: int.__le__, z3.Z3_OP_SLT: int.__lt__, z3.Z3_OP_SGEQ: int.__ge__,
               z3.Z3_OP_SGT: int.__gt__}[k]
        return memo(lambda c, s: cmp(signed(args[0](c, s), w), signed(args[1](c, s), w)))
    if k == z3.Z3_OP_EXTRACT:
        hi, lo = x.params()
        part = (1 << (hi - lo + 1)) - 1
        return memo(lambda c, s: (args[0](c, s) >> lo) & part)
    if k == z3.Z3_OP_CONCAT:
        widths = [arg_width(i) for i in range(len(args))]

        def concat(c, s):
            out = 0
            for a, w in zip(args, widths):
                out = (out << w) | a(c, s)
            return out
        return memo(concat)
    if k == z3.Z3_OP_ZERO_EXT:
        return memo(lambda c, s: args[0](c, s))
    if k == z3.Z3_OP_SIGN_EXT:
        w = arg_width(0)
        return memo(lambda c, s: signed(args[0](c, s), w) & mask)
    if k == z3.Z3_OP_BIT2BOOL:
        (bit,) = x.params()
        return memo(lambda c, s: bool(args[0](c, s) >> bit & 1))
    raise ValueError(f"the certificate uses {x.decl().name()}, which the cross-check cannot evaluate")


def _fold(args, c, s, op) -> int:
    out = args[0](c, s)
    for a in args[1:]:
        out = op(out, a(c, s))
    return out


def _product(args, c, s) -> int:
    out = 1
    for a in args:
        out *= a(c, s)
    return out


def _properties_test(model: Any, properties: tuple[str, ...]):
    tables = {**model.INVARIANTS, **model.LEMMAS}
    checks = [(name, tables[name]) for name in properties if name in tables]

    def breaks(s: Any) -> str:
        return next((name for name, holds in checks if not holds(s)), "")

    return breaks


__all__ = ["CrossCheck", "crosscheck"]
