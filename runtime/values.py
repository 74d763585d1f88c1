"""Value semantics of the operators that are not plain Python operators.

The single table of operator meanings is `generator.semantics.OPERATORS`; its Python column is written in terms of
Python's own operators and of the functions here. The Z3 encoding (`generator.smt.encode`) is held to the same table by
tests/test_semantics_agree.py. Bit vectors are non-negative ints below 2**width.
"""

from __future__ import annotations


def bit(index: int, width: int) -> int:
    """The bit vector with only bit `index` set; 0 when index lies outside 0..width-1."""
    return 1 << index if 0 <= index < width else 0


def test_bit(value: int, index: int, width: int) -> bool:
    """Bit `index` of `value`; false when index lies outside 0..width-1."""
    return 0 <= index < width and (value >> index) & 1 == 1


def set_bit(value: int, index: int, flag: bool, width: int) -> int:
    """`value` with bit `index` set to `flag`; unchanged when index lies outside 0..width-1."""
    if not 0 <= index < width:
        return value
    return value | (1 << index) if flag else value & ~(1 << index)


def highest(value: int) -> int:
    """Index of the highest set bit; 0 when no bit is set (as vlapic.c's ISRV of an empty ISR)."""
    return value.bit_length() - 1 if value else 0


def lowest(value: int) -> int:
    """Index of the lowest set bit; 0 when no bit is set."""
    return (value & -value).bit_length() - 1 if value else 0


def popcount(value: int) -> int:
    return bin(value).count("1")


def shl(value: int, amount: int, width: int) -> int:
    """Left shift within `width` bits; shifting by width or more gives 0."""
    return (value << amount) & ((1 << width) - 1) if amount < width else 0


def vector_set(value: int) -> tuple[int, ...]:
    """The indices of the set bits, lowest first: how traces show a bit vector ({0x20, 0x21})."""
    out = []
    i = 0
    while value:
        if value & 1:
            out.append(i)
        value >>= 1
        i += 1
    return tuple(out)


class RangeViolation(Exception):
    """An action assigned an integer outside the declared range of its target: an error in the spec."""
