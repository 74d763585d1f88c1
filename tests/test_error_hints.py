"""Habits people bring from TLA+ and Python, and misspelled keywords: each is a positioned error whose hint says what
irqspec writes instead (docs/language.md, "Habits from other languages")."""

from __future__ import annotations

from pathlib import Path

import pytest

from irqspec.front.diagnostics import Diagnostic, SpecError
from irqspec.front.frontend import load

HEADER = "module m\nvar x: 0..3\nvar b: bool\ninit { x = 0 b = false }\n"  # lines 1-4; the line under test is 5


def one_error(tmp_path: Path, text: str) -> Diagnostic:
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "spec.irq", text=HEADER + text)
    (d,) = caught.value.diagnostics
    return d


def at(d: Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.column


# ------------------------------------------------------------------------------------------------------------ TLA+


def test_tla_conjunction_is_written_and(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: x == 0 /\\ b\n")
    assert at(d) == (5, 22)
    assert d.message.startswith("unexpected character '\\'; expected ")  # the backslash as written, not doubled
    assert d.hint == "TLA+'s /\\ is written 'and' in irqspec: x == 0 and y == 1"


def test_tla_disjunction_is_written_or(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: x == 0 \\/ b\n")
    assert at(d) == (5, 21)
    assert d.message.startswith("unexpected character '\\'; expected ")
    assert d.hint == "TLA+'s \\/ is written 'or' in irqspec: x == 0 or y == 1"


def test_tla_unchanged_is_left_out(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { x' = 1 UNCHANGED b }\n")
    assert at(d) == (5, 31)
    assert d.message == "unexpected 'b'; expected a prime (')"
    assert d.hint.startswith("irqspec has no UNCHANGED: a variable that an action does not assign keeps its value")


def test_tla_unchanged_of_a_tuple_is_left_out(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { x' = 1 UNCHANGED <<b>> }\n")
    assert at(d) == (5, 31)
    assert d.hint.startswith("irqspec has no UNCHANGED")


def test_tla_except_is_an_assignment_to_the_entry(tmp_path: Path) -> None:
    d = one_error(tmp_path, "var m: 0..1 -> bool\naction a() { m' = [m EXCEPT ![0] = true] }\n")
    assert at(d) == (6, 22)
    assert d.message == "unexpected 'EXCEPT'; expected 'in'"
    assert d.hint.startswith("irqspec has no EXCEPT: assign the one entry, m'[i] = value")


def test_tla_definition_with_double_equals_starts_with_a_keyword(tmp_path: Path) -> None:
    d = one_error(tmp_path, "Inv == x < 3\n")
    assert at(d) == (5, 1)
    assert d.message.startswith("unexpected 'Inv'; expected one of 'action', 'const'")
    assert d.hint.startswith("a definition starts with what it defines (TLA+'s NAME == ...): def NAME(params)")


def test_tla_operator_definition_with_parameters(tmp_path: Path) -> None:
    d = one_error(tmp_path, "Ok(c) == c < 3\n")
    assert at(d) == (5, 1)
    assert d.hint.startswith("a definition starts with what it defines")


def test_double_equals_after_a_property_name_is_a_colon(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant small == x < 3\n")
    assert at(d) == (5, 17)
    assert d.message == "unexpected '=='; expected ':'"
    assert d.hint == "a property is written invariant NAME: expr (a colon where TLA+ writes ==)"


def test_double_equals_after_a_def_result_type_is_a_single_equals(tmp_path: Path) -> None:
    d = one_error(tmp_path, "def big(a: 0..3): bool == a > 1\n")
    assert at(d) == (5, 25)
    assert d.hint == "a def is written def NAME(params): type = expr ('=' where TLA+ writes ==)"


def test_double_equals_in_a_constant_is_a_single_equals(tmp_path: Path) -> None:
    d = one_error(tmp_path, "const N == 3\n")
    assert at(d) == (5, 10)
    assert d.hint == "a constant is written const NAME = value ('=' where TLA+ writes ==)"


def test_chained_comparison_gets_no_definition_hint(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: x == 1 == 2\n")
    assert at(d) == (5, 21)
    assert d.hint == ""


def test_tla_hash_is_written_not_equal(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: x # 1\n")
    assert at(d) == (5, 16)
    assert d.message.startswith("unexpected character '#'; expected ")
    assert d.hint == "'not equal' is written '!=' in irqspec (TLA+'s # and /=)"


def test_tla_slash_equals_is_written_not_equal(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: x /= 1\n")
    assert at(d) == (5, 17)
    assert d.hint == "'not equal' is written '!=' in irqspec (TLA+'s # and /=)"


def test_tla_true_is_written_in_lower_case(tmp_path: Path) -> None:
    d = one_error(tmp_path, "const T: bool = TRUE\n")
    assert at(d) == (5, 17)
    assert d.message == "unknown constant 'TRUE'"
    assert d.hint == "booleans are written 'true' and 'false' in irqspec (TLA+'s TRUE)"


def test_tla_tilde_on_a_boolean_is_written_not(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: ~b\n")
    assert at(d) == (5, 14)
    assert d.message == "'~' needs a bit vector, found bool"
    assert d.hint == "negation of a boolean is written 'not' in irqspec (TLA+'s ~)"


# ---------------------------------------------------------------------------------------------------------- Python


def test_python_true_is_written_in_lower_case(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: b == True\n")
    assert at(d) == (5, 19)
    assert d.message == "unknown name 'True'"
    assert d.hint == "booleans are written 'true' and 'false' in irqspec"


def test_python_false_is_written_in_lower_case(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { b' = False }\n")
    assert at(d) == (5, 19)
    assert d.message == "unknown name 'False'"
    assert d.hint == "booleans are written 'true' and 'false' in irqspec"


def test_python_exclamation_mark_is_written_not(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: !b\n")
    assert at(d) == (5, 14)
    assert d.message.startswith("unexpected character '!'; expected ")
    assert d.hint == "negation is written 'not' in irqspec: not b"


def test_python_double_ampersand_is_written_and(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: b && x == 1\n")
    assert at(d) == (5, 17)
    assert d.message.startswith("unexpected '&'; expected ")
    assert d.hint == "'&&' is written 'and' in irqspec ('&' alone is the bitwise and of bit vectors)"


def test_python_double_bar_is_written_or(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: b || x == 1\n")
    assert at(d) == (5, 17)
    assert d.message.startswith("unexpected '|'; expected ")
    assert d.hint == "'||' is written 'or' in irqspec ('|' alone is the bitwise or of bit vectors)"


def test_python_elif_is_written_else_if(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { if b { x' = 1 } elif x == 0 { x' = 2 } }\n")
    assert at(d) == (5, 35)
    assert d.message == "unexpected 'x'; expected a prime (')"
    assert d.hint == "'elif' is written 'else if' in irqspec: if c { ... } else if d { ... }"


def test_python_walrus_in_an_assignment_is_written_equals(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { x' := 1 }\n")
    assert at(d) == (5, 17)
    assert d.message == "unexpected ':'; expected one of '.', '=', '['"
    assert d.hint == "irqspec assigns with '=': x' = value in an action, let v = value for a local"


def test_python_walrus_in_a_let_is_written_equals(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { let y := 1 x' = y }\n")
    assert at(d) == (5, 20)
    assert d.hint == "irqspec assigns with '=': x' = value in an action, let v = value for a local"


# ---------------------------------------------------------------------------------------------- misspelled keywords


def test_misspelled_invariant(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invarient i: x < 3\n")
    assert at(d) == (5, 1)
    assert d.message.startswith("unexpected 'invarient'; expected one of 'action'")
    assert d.hint == "did you mean 'invariant'?"


def test_misspelled_action(tmp_path: Path) -> None:
    d = one_error(tmp_path, "acton a() { x' = 1 }\n")
    assert at(d) == (5, 1)
    assert d.hint == "did you mean 'action'?"


def test_misspelled_requires(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() requries x < 3 { x' = 1 }\n")
    assert at(d) == (5, 12)
    assert d.message == "unexpected 'requries'; expected one of 'requires', 'when', '{'"
    assert d.hint == "did you mean 'requires'?"


def test_misspelled_quantifier_is_named_though_the_error_is_at_the_next_word(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: foral c in 0..1: b\n")
    assert at(d) == (5, 20)
    assert d.message.startswith("unexpected 'c'")
    assert d.hint == "did you mean 'forall'?"


def test_misspelled_let_in_an_action(tmp_path: Path) -> None:
    d = one_error(tmp_path, "action a() { lett y = 1 x' = y }\n")
    assert at(d) == (5, 19)
    assert d.hint == "did you mean 'let'?"


def test_misspelled_and_after_an_operand(tmp_path: Path) -> None:
    d = one_error(tmp_path, "invariant i: x < 3 adn b\n")
    assert at(d) == (5, 20)
    assert d.message.startswith("unexpected 'adn'")
    assert d.hint == "did you mean 'and'?"


def test_a_declaration_without_a_keyword_still_gets_the_declaration_hint(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "spec.irq", text="module m\nfoo\n")
    (d,) = caught.value.diagnostics
    assert d.hint.startswith("a declaration starts with one of: import, const")


def test_a_hint_is_shown_under_the_caret_as_written(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "spec.irq", text=HEADER + "invariant i: x == 0 /\\ b\n")
    assert caught.value.render().splitlines()[1:] == [
        "    invariant i: x == 0 /\\ b",
        "                         ^",
        "  = TLA+'s /\\ is written 'and' in irqspec: x == 0 and y == 1"]
