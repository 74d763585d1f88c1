"""The Z3 reading of every operator (generator/smt/ops.py Z3_OPS) agrees with its Python reading (the `python`
template of generator/semantics.py OPERATORS, run with irqspec.runtime.values in scope) on random and boundary values."""

from __future__ import annotations

import random

import pytest
import z3

import irqspec.runtime.values as rv
from irqspec.ir import BOOL, BitsType, IntType
from irqspec.semantics import NONNEGATIVE_ARGS, OPERATORS, POSITIVE_DIVISOR
from irqspec.smt.encode import Z3_OPS
from irqspec.smt.ops import apply
from irqspec.smt.values import IntV, signed_width

WIDTHS = (1, 8, 256)
CASES = 40


def python_reading(name: str, width: int):
    """The row's Python template as a function of its arguments."""
    row = OPERATORS[name]
    args = ", ".join(f"a{i}" for i in range(row.arity))
    body = row.python.format(*(f"a{i}" for i in range(row.arity)), w=width, mask=(1 << width) - 1)
    scope = {n: getattr(rv, n) for n in dir(rv) if not n.startswith("_")}
    return eval(f"lambda {args}: {body}", scope)


def random_int(rng: random.Random, nonneg: bool, positive: bool = False) -> tuple[int, int, int]:
    """(value, lo, hi): an interval (of a random size, sometimes a single point) and a value inside it."""
    floor = 1 if positive else 0 if nonneg else -300
    bound = rng.choice([1, 15, 255, 256, 1 << 20, 1 << 70])
    lo = rng.randint(floor, max(floor, bound))
    if not nonneg and rng.random() < 0.5:
        lo = -lo
    hi = lo + rng.choice([0, 1, 7, 255, 1 << 40])
    value = rng.choice([lo, hi, rng.randint(lo, hi)])
    return value, lo, hi


def random_bits(rng: random.Random, width: int) -> int:
    mask = (1 << width) - 1
    sparse = rng.getrandbits(width) & rng.getrandbits(width)
    return rng.choice([0, mask, 1, 1 << (width - 1), rng.getrandbits(width), sparse])


def gen_args(rng: random.Random, name: str, width: int) -> list[tuple[object, object]]:
    """Arguments as (python value, type) pairs, with the row's static restrictions respected."""
    row = OPERATORS[name]
    out = []
    for i, kind in enumerate(row.kinds):
        if kind == "bool":
            out.append((rng.random() < 0.5, BOOL))
        elif kind == "bits":
            out.append((random_bits(rng, width), BitsType(width)))
        elif name in ("bvshl", "bvshr"):  # the shift amount: around and past the width
            amount = rng.choice([0, 1, width - 1, width, width + 1, rng.randint(0, 2 * width + 3)])
            lo = rng.randint(0, amount)
            out.append((amount, IntType(lo, amount + rng.choice([0, 3, 300]))))
        elif name == "bit":  # any integer, also negative and out of width
            v = rng.choice([-3, -1, 0, 1, width - 1, width, width + 5, rng.randint(-5, width + 5)])
            out.append((v, IntType(v - rng.choice([0, 2, 40]), v + rng.choice([0, 2, 300]))))
        elif kind == "int":
            nonneg = name in NONNEGATIVE_ARGS
            positive = name in POSITIVE_DIVISOR and i == 1
            if name == "shl" and i == 1:
                v = rng.randint(0, 70)
                out.append((v, IntType(rng.randint(0, v), v + rng.randint(0, 9))))
                continue
            v, lo, hi = random_int(rng, nonneg, positive)
            out.append((v, IntType(lo, hi)))
        else:  # "any": equality on ints of different intervals, bits and bools
            out.append(None)  # filled below, both sides of one type
    if "any" in row.kinds:
        choice = rng.choice(["int", "bits", "bool"])
        for j in range(2):
            if choice == "int":
                v, lo, hi = random_int(rng, False)
                if j == 1 and rng.random() < 0.5:
                    v = out[0][0]
                    lo, hi = v - rng.randint(0, 5), v + rng.randint(0, 5)
                out[j] = (v, IntType(lo, hi))
            elif choice == "bits":
                out[j] = (out[0][0] if j == 1 and rng.random() < 0.5 else random_bits(rng, width), BitsType(width))
            else:
                out[j] = (rng.random() < 0.5, BOOL)
    return out


def symbolic(i: int, value: object, t) -> tuple[object, list]:
    """A symbolic Value of type t and the substitution giving it `value`."""
    if t == BOOL:
        x = z3.Bool(f"a{i}")
        return x, [(x, z3.BoolVal(value))]
    if isinstance(t, BitsType):
        x = z3.BitVec(f"a{i}", t.width)
        return x, [(x, z3.BitVecVal(value, t.width))]
    w = signed_width(t.lo, t.hi)
    x = z3.BitVec(f"a{i}", w)
    return IntV(x, t.lo, t.hi), [(x, z3.BitVecVal(value, w))]


def constant(value: object, t) -> object:
    if t == BOOL:
        return z3.BoolVal(value)
    if isinstance(t, BitsType):
        return z3.BitVecVal(value, t.width)
    return IntV(z3.BitVecVal(value, signed_width(t.lo, t.hi)), t.lo, t.hi)


def read(out: object) -> object:
    out = z3.simplify(out.term if isinstance(out, IntV) else out)
    if z3.is_bool(out):
        assert z3.is_true(out) or z3.is_false(out), out
        return z3.is_true(out)
    assert z3.is_bv_value(out), out
    return out


def z3_value(out: object) -> object:
    v = read(out)
    if isinstance(v, bool):
        return v
    return v.as_signed_long() if isinstance(out, IntV) else v.as_long()


def result_width(name: str, args: list) -> int:
    for v, t in args:
        if isinstance(t, BitsType):
            return t.width
    return 0


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_agrees_with_python_reading(name: str) -> None:
    assert name in Z3_OPS
    rng = random.Random(f"agree-{name}")
    for width in WIDTHS:
        for _ in range(CASES):
            args = gen_args(rng, name, width)
            w = result_width(name, args) or width
            node_type = BitsType(w) if name == "bit" else (
                BitsType(w) if OPERATORS[name].kinds and OPERATORS[name].kinds[0] == "bits"
                and name not in ("highest", "lowest", "popcount", "ult", "ule", "ugt", "uge") else
                OPERATORS[name].result_type(tuple(t for _, t in args)))
            expected = python_reading(name, w)(*(v for v, _ in args))
            # symbolic arguments, then the values substituted: the builder as the solver sees it
            syms, subst = zip(*(symbolic(i, v, t) for i, (v, t) in enumerate(args)))
            out = apply(name, tuple(syms), tuple(t for _, t in args), node_type)
            pairs = [p for s in subst for p in s]
            term = z3.substitute(out.term if isinstance(out, IntV) else out, *pairs)
            got = z3_value(IntV(term, out.lo, out.hi) if isinstance(out, IntV) else term)
            assert got == expected, (name, width, args, got, expected)
            if isinstance(out, IntV):
                assert out.lo <= got <= out.hi, (name, args, got, out.lo, out.hi)
            # constant arguments: the folding path used for expanded quantifiers
            folded = apply(name, tuple(constant(v, t) for v, t in args), tuple(t for _, t in args), node_type)
            assert z3_value(folded) == expected, (name, width, args)


def test_boundaries_of_bit_operations() -> None:
    """The documented edge cases: bit index out of width, bit(v) out of width, highest/lowest of 0."""
    for width in WIDTHS:
        zero = z3.BitVecVal(0, width)
        assert z3_value(Z3_OPS["highest"]((zero,), IntType(0, width - 1))) == 0
        assert z3_value(Z3_OPS["lowest"]((zero,), IntType(0, width - 1))) == 0
        for v in (-1, width, width + 1):
            got = Z3_OPS["bit"]((IntV(z3.BitVecVal(v, signed_width(v, v)), v, v),), BitsType(width))
            assert z3_value(got) == 0
        shift = IntV(z3.BitVecVal(width, signed_width(width, width)), width, width)
        assert z3_value(Z3_OPS["bvshl"]((z3.BitVecVal((1 << width) - 1, width), shift), BitsType(width))) == 0
        assert z3_value(Z3_OPS["bvshr"]((z3.BitVecVal((1 << width) - 1, width), shift), BitsType(width))) == 0


def test_every_operator_has_a_z3_builder() -> None:
    assert set(Z3_OPS) == set(OPERATORS)


@pytest.mark.parametrize("width", WIDTHS)
def test_bit_test_and_bit_update_agree_with_runtime(width: int) -> None:
    """`bits[i]` and `bits'[i] = flag` (generator/smt/values.py) against irqspec.runtime.values.test_bit / set_bit, with
    indices inside, below and past the width, symbolic and constant."""
    from irqspec.smt.values import set_bit, test_bit

    rng = random.Random(f"bits-{width}")
    for _ in range(CASES):
        value = random_bits(rng, width)
        index = rng.choice([-2, 0, width - 1, width, width + 3, rng.randint(-2, width + 3)])
        itype = IntType(index - rng.choice([0, 1, 9]), index + rng.choice([0, 2, 300]))
        flag = rng.random() < 0.5
        base, s1 = symbolic(0, value, BitsType(width))
        idx, s2 = symbolic(1, index, itype)
        got = read(z3.substitute(test_bit(base, idx), *s1, *s2))
        assert got == rv.test_bit(value, index, width), (width, value, index)
        updated = z3.substitute(set_bit(base, idx, z3.BoolVal(flag)), *s1, *s2)
        assert read(updated).as_long() == rv.set_bit(value, index, flag, width), (width, value, index, flag)
        const = constant(index, itype)
        assert read(test_bit(z3.BitVecVal(value, width), const)) == rv.test_bit(value, index, width)
