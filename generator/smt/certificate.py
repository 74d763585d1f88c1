"""Proof certificates: what a proof rests on, in a form that can be re-checked and read.

A 1-inductive certificate is a formula C over the state parts, stored as SMT-LIB text over constants named as in the
spec (`irr[1]`, `vmcb[0].v_irq`), so it can be re-checked by fresh solvers that share nothing with the engine that found
it (`recheck`: the three queries of `generator.smt.inductive`), and rendered in the spec's terms (`render`).
A k-inductive certificate (k > 1, from k-induction) is re-checked by re-running its base and step cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import z3

from .. import ir
from .context import in_fresh_context
from .goals import Goal
from .inductive import InductiveOutcome, check_inductive, formula_conjunct
from .state import StateVars
from .storage import Scalar
from .system import SymbolicSystem


@dataclass(frozen=True)
class Certificate:
    """The invariant a proof used. With `smt2`: C, an inductive invariant that implies the properties (k == 1).
    Without (k-induction): the properties themselves are k-inductive over simple paths. `text` shows it in the
    spec's terms; `properties` names what it establishes."""

    engine: str
    k: int
    text: str
    smt2: str
    properties: tuple[str, ...]


def to_smt2(formula: z3.BoolRef) -> str:
    """SMT-LIB text of a formula over spec-named constants (declarations included)."""
    s = z3.Solver()
    s.add(formula)
    return s.to_smt2()


def from_smt2(text: str) -> z3.BoolRef:
    """The formula of `to_smt2` text (constants of the same name and sort are the same Z3 constants)."""
    return z3.And(list(z3.parse_smt2_string(text)))


@in_fresh_context
def recheck(system: ir.System, certificate: Certificate, goals: Sequence[Goal],
            timeout: float | None = None) -> InductiveOutcome:
    """Re-check a 1-inductive certificate with fresh solvers: init => C, C and trans => C', C => P."""
    assert certificate.smt2, "k-inductive certificates are re-checked by generator.smt.induction.recheck_k"
    enc = SymbolicSystem(system)
    canonical = enc.state("")
    formula = from_smt2(certificate.smt2)
    return check_inductive(enc, [formula_conjunct("certificate", formula, canonical)], goals, timeout)


# ------------------------------------------------------------------------------------------------------- rendering

_INFIX = {z3.Z3_OP_AND: "and", z3.Z3_OP_OR: "or", z3.Z3_OP_IMPLIES: "implies", z3.Z3_OP_EQ: "==",
          z3.Z3_OP_SLT: "<", z3.Z3_OP_SLEQ: "<=", z3.Z3_OP_SGT: ">", z3.Z3_OP_SGEQ: ">=",
          z3.Z3_OP_ULT: "<", z3.Z3_OP_ULEQ: "<=", z3.Z3_OP_UGT: ">", z3.Z3_OP_UGEQ: ">=",
          z3.Z3_OP_BADD: "+", z3.Z3_OP_BSUB: "-", z3.Z3_OP_BMUL: "*", z3.Z3_OP_BAND: "&", z3.Z3_OP_BOR: "|",
          z3.Z3_OP_BXOR: "^", z3.Z3_OP_BSHL: "<<", z3.Z3_OP_BLSHR: ">>", z3.Z3_OP_XOR: "!="}


def part_scalars(system: ir.System) -> dict[str, Scalar]:
    """The storage of every spec-named state part (for rendering stored codes as spec values)."""
    canonical = StateVars(system, "")
    return {str(t): sc for ps in canonical.parts.values() for t, sc in ps}


def render(formula: z3.ExprRef, parts: dict[str, Scalar]) -> str:
    """A formula over spec-named parts in the spec's notation: bit tests as `x[i]`, enum codes as member names,
    integers stored with an offset shown as their value. Operators without a spec notation keep Z3's name."""
    return _render(formula, parts, top=True)


def _const_scalar(e: z3.ExprRef, parts: dict[str, Scalar]) -> Scalar | None:
    if z3.is_const(e) and e.decl().kind() == z3.Z3_OP_UNINTERPRETED:
        return parts.get(e.decl().name())
    return None


def _value_text(value: z3.ExprRef, sc: Scalar | None) -> str:
    n = value.as_long()  # type: ignore[attr-defined]
    if sc is not None:
        if isinstance(sc.type, ir.EnumType) and n < len(sc.type.members):
            return sc.type.members[n]
        if isinstance(sc.type, ir.IntType):
            return str(n + sc.offset)
    return hex(n) if n > 255 else str(n)


def _render(e: z3.ExprRef, parts: dict[str, Scalar], top: bool = False) -> str:
    def wrap(text: str) -> str:
        return text if top else f"({text})"

    if z3.is_true(e):
        return "true"
    if z3.is_false(e):
        return "false"
    if z3.is_bv_value(e):
        return _value_text(e, None)
    if z3.is_const(e):
        return e.decl().name()
    k = e.decl().kind()
    args = [e.arg(i) for i in range(e.num_args())]
    if k == z3.Z3_OP_NOT:
        inner = args[0]
        if z3.is_eq(inner):
            a, b = inner.arg(0), inner.arg(1)
            return wrap(f"{_operand(a, b, parts)} != {_operand(b, a, parts)}")
        return wrap(f"not {_render(inner, parts)}")
    if k == z3.Z3_OP_EQ and len(args) == 2:
        a, b = args
        bit = _bit_test(a, b)
        if bit is not None:
            return bit if z3.is_bv_value(b) and b.as_long() == 1 else wrap(f"not {bit}")
        return wrap(f"{_operand(a, b, parts)} == {_operand(b, a, parts)}")
    if k in _INFIX:
        if len(args) == 2:
            return wrap(f"{_operand(args[0], args[1], parts)} {_INFIX[k]} {_operand(args[1], args[0], parts)}")
        return wrap(f" {_INFIX[k]} ".join(_render(a, parts) for a in args))
    if k == z3.Z3_OP_ITE:
        return wrap(f"if {_render(args[0], parts, True)} then {_render(args[1], parts, True)} "
                    f"else {_render(args[2], parts, True)}")
    if k == z3.Z3_OP_BIT2BOOL:  # Spacer's bit-level lemmas: bit i of a part
        return f"{_render(args[0], parts)}[{e.params()[0]}]"
    if k == z3.Z3_OP_CONCAT and len(args) == 2 and z3.is_bv_value(args[0]) and args[0].as_long() == 0:
        return _render(args[1], parts)  # a zero-extension: the same number
    if k == z3.Z3_OP_BNOT:
        return f"~{_render(args[0], parts)}"
    if k == z3.Z3_OP_EXTRACT:
        hi, lo = e.params()
        return f"{_render(args[0], parts)}[{lo}..{hi}]" if hi != lo else f"{_render(args[0], parts)}[{lo}]"
    return f"{e.decl().name()}({', '.join(_render(a, parts, True) for a in args)})"


def _operand(e: z3.ExprRef, other: z3.ExprRef, parts: dict[str, Scalar]) -> str:
    """An operand of a comparison; a constant beside a spec part is shown as a value of that part's type."""
    if z3.is_bv_value(e):
        return _value_text(e, _const_scalar(other, parts))
    return _render(e, parts)


def _bit_test(a: z3.ExprRef, b: z3.ExprRef) -> str | None:
    """`Extract(i, i, x) == 1` (or 0) as the spec's bit test x[i]."""
    if z3.is_app_of(a, z3.Z3_OP_EXTRACT) and z3.is_bv_value(b) and a.params()[0] == a.params()[1]:
        return f"{_render(a.arg(0), {})}[{a.params()[0]}]"
    return None
