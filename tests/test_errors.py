"""Every class of error a spec can have gives its message at the right line and column (docs/language.md lists them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from irqspec.front.diagnostics import Diagnostic, SpecError
from irqspec.front.frontend import load

HEADER = "module m\nvar x: 0..3\ninit { x = 0 }\n"  # lines 1-3; the lines under test start at line 4


def errors(tmp_path: Path, text: str, defines: dict[str, str] | None = None,
           name: str = "spec.irq") -> tuple[Diagnostic, ...]:
    with pytest.raises(SpecError) as caught:
        load(tmp_path / name, defines, text=text)
    return caught.value.diagnostics


def one_error(tmp_path: Path, text: str, defines: dict[str, str] | None = None) -> Diagnostic:
    found = errors(tmp_path, text, defines)
    assert len(found) == 1, [f"{d.span}: {d.message}" for d in found]
    return found[0]


def at(d: Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.column


def accepts(tmp_path: Path, text: str) -> None:
    load(tmp_path / "spec.irq", text=text)


# ----------------------------------------------------------------------------------------------------------- syntax


def test_unexpected_token_names_the_token_and_what_was_expected(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { x' = }\n")
    assert at(d) == (4, 19)
    assert d.message.startswith("unexpected '}'; expected one of ")
    assert "a number" in d.message and "a name" in d.message


def test_unexpected_character(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { x' = 1 $ }\n")
    assert at(d) == (4, 21)
    assert d.message.startswith("unexpected character '$'")


def test_unexpected_end_of_file_points_just_after_the_last_token(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: 0..3\ninit { x = 0\n")
    assert at(d) == (3, 13)
    assert d.message.startswith("unexpected end of file; expected ")
    assert "'}'" in d.message


def test_empty_file_expects_a_module_header(tmp_path: Path) -> None:
    d = one_error(tmp_path, "")
    assert at(d) == (1, 1)
    assert d.message == "unexpected end of file; expected 'module'"


def test_unclosed_block_reports_the_next_declaration_keyword(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { x' = 1\ninvariant i: x == 1\n")
    assert at(d) == (5, 1)
    assert d.message.startswith("unexpected 'invariant'; expected ")


def test_several_syntax_errors_in_different_declarations_are_all_reported_in_order(tmp_path: Path) -> None:
    found = errors(tmp_path, HEADER + "action a() { x' = }\naction b() { x' = 1 + }\ninvariant i: x ==\n")
    assert [at(d) for d in found] == [(4, 19), (5, 23), (6, 18)]
    assert [d.message.split(";")[0] for d in found] == ["unexpected '}'", "unexpected '}'", "unexpected end of file"]


def test_missing_prime_on_an_assignment_gets_a_hint(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { x = 1 }\n")
    assert at(d) == (4, 16)
    assert d.message == "unexpected '='; expected a prime (')"
    assert d.hint == "an assignment in an action needs a prime on the variable: x' = value"


def test_single_equals_in_a_comparison_gets_a_hint(tmp_path: Path) -> None:
    found = errors(tmp_path, HEADER + "action a() requires x = 1 { }\ninvariant i: x = 1\n")
    assert [at(d) for d in found] == [(4, 23), (5, 16)]
    assert all(d.hint == "a comparison is written '==', not '='" for d in found)


def test_comparisons_do_not_chain(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "invariant i: 0 <= x <= 3\n")
    assert at(d) == (4, 21)
    assert d.message.startswith("unexpected '<='")


# ------------------------------------------------------------------------------------------------------------ names


def test_unknown_name_suggests_a_close_one(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar counter: 0..3\ninit { counter = 0 }\ninvariant i: countr == 1\n")
    assert at(d) == (4, 14)
    assert d.message == "unknown name 'countr'"
    assert d.hint == "did you mean 'counter'?"


def test_unknown_name_without_a_close_one_has_no_hint(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "invariant i: zzz\n")
    assert d.message == "unknown name 'zzz'" and d.hint == ""


def test_unknown_type_function_variable_and_field(tmp_path: Path) -> None:
    found = errors(tmp_path, """module m
type Rec = record { flag: bool }
var r: Rec
var y: Recc
init { r = {flag: true} }
def twice(a: 0..3): 0..6 = a * 2
invariant i: twise(1) == 2
invariant j: r.flg
action a() { rr' = r }
""")
    assert [(at(d), d.message, d.hint) for d in found] == [
        ((4, 8), "unknown type 'Recc'", "did you mean 'Rec'?"),
        ((7, 14), "unknown function 'twise'", "did you mean 'twice'?"),
        ((8, 14), "unknown field 'flg' of Rec", "did you mean 'flag'?"),
        ((9, 14), "unknown variable 'rr'", "did you mean 'r'?"),
    ]


def test_redeclared_name_points_at_the_first_declaration(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nconst N: int = 2\nvar N: bool\ninit { }\n")
    assert at(d) == (3, 5)
    assert d.message == "'N' is already declared as a constant at spec.irq:2:1".replace(
        "spec.irq", str(tmp_path / "spec.irq"))


def test_action_declared_twice(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { }\naction a() { x' = 1 }\n")
    assert at(d) == (5, 1)
    assert d.message == f"action 'a' is declared twice (first at {tmp_path / 'spec.irq'}:4:1)"


def test_property_names_are_unique_across_invariant_lemma_and_cover(tmp_path: Path) -> None:
    found = errors(tmp_path, HEADER + "invariant i: x >= 0\nlemma i: x <= 3\ncover i: x == 1\n")
    assert [at(d) for d in found] == [(5, 1), (6, 1)]
    assert all(d.message.startswith("property 'i' is declared twice (first at ") for d in found)


def test_enum_members_share_the_global_namespace(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ntype E = enum { A, B }\ntype F = enum { B, C }\n")
    assert at(d) == (3, 17)
    assert d.message.startswith("'B' is already declared as a member of enum E at ")


def test_local_name_may_not_hide_a_state_variable(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a(x: 0..3) { }\n")
    assert at(d) == (4, 10)
    assert d.message.startswith("'x' would hide the variable declared at ")


def test_builtin_may_not_be_redeclared(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ndef bit(v: 0..1): bool = true\n")
    assert at(d) == (2, 1)
    assert d.message == "'bit' is a built-in function and cannot be redeclared"


# ------------------------------------------------------------------------------------------------------------ types


def test_type_mismatch_in_a_comparison(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ntype T = enum { A, B }\nvar t: T\ninit { t = A }\ninvariant i: t == 1\n")
    assert at(d) == (5, 14)
    assert d.message == "type mismatch: cannot compare enum T with the integer 1"


def test_type_mismatch_in_an_init_value(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: 0..3\ninit { x = true }\n")
    assert at(d) == (3, 12)
    assert d.message == "type mismatch: expected an integer in 0..3, found bool"


def test_property_must_be_boolean(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "invariant i: x + 1\n")
    assert at(d) == (4, 14)
    assert d.message == "expected a boolean, found an integer in 1..4"


def test_bit_vectors_of_different_widths_do_not_mix(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar a: bits[8]\nvar b: bits[16]\ninit { a = 0 b = 0 }\n"
                            "invariant i: (a | b) == 0\n")
    assert at(d) == (5, 15)
    assert d.message == "type mismatch: '|' on bits[8] and bits[16]"


def test_bit_without_a_width_from_context(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "invariant i: bit(3) != 0\n")
    assert at(d) == (4, 14)
    assert d.message == "cannot tell the width of bit(...) here"


def test_wrong_number_of_arguments(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "def f(a: 0..3): bool = a > 0\ninvariant i: f(1, 2)\n")
    assert at(d) == (5, 14)
    assert d.message == "'f' takes 1 argument(s), given 2"


def test_def_may_not_read_state(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "def f(a: 0..3): 0..3 = x\n")
    assert at(d) == (4, 24)
    assert d.message == "'x' is a state variable; a def may not read state"


def test_int_type_is_only_for_constants(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: int\ninit { x = 0 }\naction a() { x' = 1 }\n")
    assert at(d) == (2, 8)
    assert d.message == "'int' is only for constants: state, parameters and functions take a range"


def test_range_constant_used_as_a_value(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nconst V = 1..3\nvar x: 0..3\ninit { x = V }\n")
    assert at(d) == (4, 12)
    assert d.message == "'V' is a range constant: use it as a type or after 'in', not as a value"


def test_record_literal_with_a_missing_field(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ntype R = record { a: bool, b: 0..3 }\nvar r: R\ninit { r = {a: true} }\n")
    assert at(d) == (4, 12)
    assert d.message == "record literal misses field(s): b"


def test_record_literal_without_a_record_context(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "invariant i: {a: true} == {a: true}\n")
    assert at(d) == (4, 14)
    assert d.message == "cannot tell which record type this literal has"


def test_empty_range(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nconst N: int = 0\ntype Cpu = 0..N-1\n")
    assert at(d) == (3, 12)
    assert d.message == "empty range 0..-1: the low end is above the high end"


# ----------------------------------------------------------------------------------------------- ranges and widths


def test_value_out_of_the_type_range(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: 0..3\ninit { x = 5 }\n")
    assert at(d) == (3, 12)
    assert d.message == "value out of range: the integer 5 is never inside an integer in 0..3"


def test_value_that_may_leave_a_def_result_range(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ndef f(a: 0..3): 0..3 = a + 1\n")
    assert at(d) == (2, 24)
    assert d.message == "value may be out of range: an integer in 1..4 is not inside an integer in 0..3"


def test_literal_too_wide_for_a_bit_vector(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar b: bits[8]\ninit { b = 256 }\n")
    assert at(d) == (3, 12)
    assert d.message == "value out of range: 256 does not fit in bits[8]"


def test_typed_constant_out_of_its_range(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nconst S: 1..4 = 9\n")
    assert at(d) == (2, 17)
    assert d.message == "value 9 of constant 'S' is out of its type 1..4"


def test_bit_index_out_of_width(tmp_path: Path) -> None:
    found = errors(tmp_path, "module m\nvar b: bits[8]\ninit { b = 0 }\ninvariant i: b[8]\n"
                             "action a() { b'[9] = true }\n")
    assert [(at(d), d.message) for d in found] == [
        ((4, 16), "bit index out of width: the integer 8 is outside 0..7 of bits[8]"),
        ((5, 17), "bit index out of width: the integer 9 is outside 0..7 of bits[8]"),
    ]


def test_map_index_out_of_domain(tmp_path: Path) -> None:
    found = errors(tmp_path, """module m
var m: 0..3 -> bool
init { m = [i in 0..3: false] }
invariant never: m[4]
action maybe(i: 0..5) { m'[i] = true }
""")
    assert [(at(d), d.message) for d in found] == [
        ((4, 20), "index out of range: the integer 4 is never inside the map's domain 0..3"),
        ((5, 28), "index may be out of range: an integer in 0..5 is not inside the map's domain 0..3"),
    ]


def test_map_of_the_wrong_domain(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar m: 0..3 -> bool\ninit { m = [i in 0..4: false] }\n")
    assert at(d) == (3, 12)
    assert d.message == "type mismatch: expected 0..3 -> bool, found 0..4 -> bool"


def test_division_needs_a_nonnegative_dividend(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar k: -4..4\ninit { k = 0 }\ninvariant i: k / 2 == 0\n")
    assert at(d) == (4, 14)
    assert d.message == "'/' needs a non-negative left operand, found an integer in -4..4"


# --------------------------------------------------------------------------------------------- actions and frames


def test_second_assignment_to_same_entry_is_rejected(tmp_path: Path) -> None:
    d = one_error(tmp_path, """module m
var m: 0..3 -> bool
init { m = [i in 0..3: false] }
action a(c: 0..3) { m'[c] = true; m'[c] = false }
""")
    assert at(d) == (4, 35)
    assert d.message.startswith("'m'[...]' is assigned twice in one run of the action (also at ")
    assert d.message.endswith("spec.irq:4:21)")


def test_second_assignment_to_same_variable_is_rejected(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { x' = 1 x' = 2 }\n")
    assert at(d) == (4, 21)
    assert d.message.startswith("'x'' is assigned twice")


def test_entry_assignment_after_whole_map_assignment_is_rejected(tmp_path: Path) -> None:
    d = one_error(tmp_path, """module m
var m: 0..3 -> bool
init { m = [i in 0..3: false] }
action a() { m' = [i in 0..3: true] m'[0] = false }
""")
    assert at(d) == (4, 37)
    assert d.message.startswith("'m'[0]' is assigned twice")


def test_same_record_field_assigned_twice_is_rejected(tmp_path: Path) -> None:
    d = one_error(tmp_path, """module m
type R = record { a: bool, b: bool }
var r: R
init { r = {a: false, b: false} }
action f() { r'.a = true r'.a = false }
""")
    assert at(d) == (5, 26)
    assert d.message.startswith("'r'.a' is assigned twice")


def test_assignment_after_an_if_that_assigned_it_is_rejected(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a(c: 0..3) { if c == 0 { x' = 1 } x' = 2 }\n")
    assert at(d) == (4, 42)
    assert "assigned twice" in d.message


def test_same_location_in_then_and_else_branches_is_not_an_error(tmp_path: Path) -> None:
    accepts(tmp_path, HEADER + "action a(c: 0..3) { if c == 0 { x' = 1 } else { x' = 2 } }\n")


def test_different_constant_entries_and_different_fields_are_not_an_error(tmp_path: Path) -> None:
    accepts(tmp_path, """module m
type R = record { a: bool, b: bool }
var m: 0..3 -> bool
var r: R
init { m = [i in 0..3: false] r = {a: false, b: false} }
action a(i: 0..3, j: 0..3) { m'[0] = true m'[1] = true r'.a = true r'.b = true }
action b(i: 0..3, j: 0..3) { m'[i] = true m'[j] = false }
""")


def test_prime_on_the_right_hand_side(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a() { x' = x' + 1 }\n")
    assert at(d) == (4, 19)
    assert d.message == "primed variable 'x'' on the right-hand side of its own assignment"
    assert d.hint == "x' is the value being assigned here: write x for the pre-state value"


def test_prime_outside_an_action(tmp_path: Path) -> None:
    found = errors(tmp_path, HEADER + "invariant i: x' == 1\naction a() requires x' == 0 { }\n")
    assert [(at(d), d.message) for d in found] == [
        ((4, 14), "primed variable 'x'' outside an action body"),
        ((5, 21), "primed variable 'x'' in a guard"),
    ]


def test_assignment_to_a_constant(tmp_path: Path) -> None:
    found = errors(tmp_path, "module m\nconst N: int = 2\nvar x: 0..3\ninit { x = 0 N = 1 }\naction a() { N' = 1 }\n")
    assert [(at(d), d.message) for d in found] == [
        ((4, 14), "cannot assign to constant 'N'"),
        ((5, 14), "cannot assign to constant 'N'"),
    ]


def test_assignment_to_a_parameter(tmp_path: Path) -> None:
    d = one_error(tmp_path, HEADER + "action a(c: 0..3) { c' = 1 }\n")
    assert at(d) == (4, 21)
    assert d.message == "cannot assign to 'c': it is a parameter or a let, not a state variable"


# ------------------------------------------------------------------------------------------------------------- defs


def test_recursion_among_defs(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ndef f(a: 0..3): 0..3 = g(a)\ndef g(a: 0..3): 0..3 = f(a)\n")
    assert at(d) == (2, 1)
    assert d.message == "recursion among defs: f -> g -> f"


def test_a_def_calling_itself(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\ndef f(a: 0..3): 0..3 = if a == 0 then 0 else f(a - 1)\n")
    assert at(d) == (2, 1)
    assert d.message == "recursion among defs: f -> f"


# ------------------------------------------------------------------------------------------------------------- init


def test_var_without_init(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: 0..3\nvar y: bool\ninit { x = 0 }\n")
    assert at(d) == (4, 1)
    assert d.message == "variable 'y' has no initial value"
    assert d.hint == "add 'y = ...' to the init block"


def test_var_without_any_init_block_is_reported_at_the_var(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: 0..3\n")
    assert at(d) == (2, 5)
    assert d.message == "variable 'x' has no initial value"


def test_var_initialised_twice(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x: 0..3\ninit { x = 0 x = 1 }\n")
    assert at(d) == (3, 14)
    assert d.message.startswith("variable 'x' is initialised twice (first at ")


def test_init_may_not_read_state(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nvar x, y: 0..3\ninit { x = 0 y = x }\n")
    assert at(d) == (3, 18)
    assert d.message == "'x' is a state variable; init may not read state"


# -------------------------------------------------------------------------------------------------------- overrides


SIZES = "module m\nconst N: int = 2\nconst V = 32..33\nvar x: 0..N -> bool\ninit { x = [i in 0..N: false] }\n"


def test_define_of_an_unknown_constant(tmp_path: Path) -> None:
    d = one_error(tmp_path, SIZES, {"NN": "3"})
    assert str(d.span) == "-D NN"
    assert d.message == "the spec declares no constant 'NN'"
    assert d.hint == "did you mean 'N'?"


def test_define_with_a_syntax_error(tmp_path: Path) -> None:
    d = one_error(tmp_path, SIZES, {"N": "3 +"})
    assert (d.span.file, at(d)) == ("-D N", (1, 4))
    assert d.message.startswith("unexpected end of file")


def test_define_with_a_value_of_the_wrong_type(tmp_path: Path) -> None:
    d = one_error(tmp_path, SIZES, {"N": "true"})
    assert d.span.file == "-D N"
    assert d.message == "constant 'N' is declared int but its value is true"


def test_define_of_a_single_value_for_a_range_constant(tmp_path: Path) -> None:
    d = one_error(tmp_path, SIZES, {"V": "5"})
    assert d.span.file == "-D V"
    assert d.message.startswith("'V' is a range constant (declared at ")
    assert d.message.endswith("so -D V takes a range lo..hi")


def test_define_of_a_range_for_a_single_value_constant(tmp_path: Path) -> None:
    d = one_error(tmp_path, SIZES, {"N": "1..2"})
    assert d.message.endswith("so -D N takes a single value")


def test_define_of_an_empty_range(tmp_path: Path) -> None:
    d = one_error(tmp_path, SIZES, {"V": "40..20"})
    assert (d.span.file, d.message) == ("-D V", "empty range 40..20: the low end is above the high end")


# ---------------------------------------------------------------------------------------------- files and imports


def test_unknown_import_lists_where_it_looked(tmp_path: Path) -> None:
    d = one_error(tmp_path, "module m\nimport nosuch\n")
    assert at(d) == (2, 1)
    assert d.message == "unknown module 'nosuch'"
    assert str(tmp_path / "nosuch.irq") in d.hint and str(tmp_path / "lib" / "nosuch.irq") in d.hint


def test_import_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.irq").write_text("module a\nimport b\n")
    (tmp_path / "b.irq").write_text("module b\n\nimport c\n")
    (tmp_path / "c.irq").write_text("module c\nconst K: int = 1\nimport a\n")
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "a.irq")
    (d,) = caught.value.diagnostics
    assert (d.span.file, at(d)) == (str(tmp_path / "c.irq"), (3, 1))
    assert d.message == "import cycle: a -> b -> c -> a"


def test_module_importing_itself(tmp_path: Path) -> None:
    (tmp_path / "me.irq").write_text("module me\nimport me\n")
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "me.irq")
    (d,) = caught.value.diagnostics
    assert at(d) == (2, 1) and d.message == "import cycle: me -> me"


def test_errors_in_an_imported_module_are_located_in_its_file(tmp_path: Path) -> None:
    (tmp_path / "broken.irq").write_text("module broken\ndef f(: 0..3): bool = true\n")
    found = errors(tmp_path, "module m\nimport broken\n")
    assert [(d.span.file, at(d)) for d in found] == [(str(tmp_path / "broken.irq"), (2, 7))]


def test_an_imported_module_may_not_declare_state(tmp_path: Path) -> None:
    (tmp_path / "lib.irq").write_text("module lib\nvar s: bool\n")
    d = one_error(tmp_path, "module m\nimport lib\n")
    assert (d.span.file, at(d)) == (str(tmp_path / "lib.irq"), (2, 1))
    assert d.message == "module 'lib' is imported, so it may declare only const, type, def and import"


def test_invalid_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.irq"
    path.write_bytes(b"module m\n-- caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        load(path)
    (d,) = caught.value.diagnostics
    assert at(d) == (2, 7)
    assert d.message == "the file is not valid UTF-8 (byte 0xe9)"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "nope.irq")
    (d,) = caught.value.diagnostics
    assert str(d.span) == str(tmp_path / "nope.irq")
    assert d.message == "no such file"


def test_a_directory_is_not_a_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load(tmp_path)
    (d,) = caught.value.diagnostics
    assert d.message == "is a directory, not a spec file"


# ---------------------------------------------------------------------------------------- several errors, rendering


def test_several_semantic_errors_are_all_reported_in_source_order(tmp_path: Path) -> None:
    found = errors(tmp_path, """module m
var x: 0..3
var b: bits[8]
init { x = 9 b = 0 }
action a() { x' = x' }
invariant i: b[8]
invariant j: y == 1
action c() { x' = 1 x' = 2 }
""")
    assert [at(d) for d in found] == [(4, 12), (5, 19), (6, 16), (7, 14), (8, 21)]
    assert [d.message.split(":")[0].split(" (")[0] for d in found] == [
        "value out of range", "primed variable 'x'' on the right-hand side of its own assignment", "bit index out of width",
        "unknown name 'y'", "'x'' is assigned twice in one run of the action"]


def test_a_failed_declaration_does_not_cascade_into_unknown_names(tmp_path: Path) -> None:
    found = errors(tmp_path, """module m
const N: int = nope
type Cpu = 0..N-1
var x: Cpu -> bool
init { x = [c in Cpu: false] }
invariant i: x[0]
""")
    assert [(at(d), d.message) for d in found] == [((2, 16), "unknown constant 'nope'")]


def test_a_bad_init_value_is_not_also_a_missing_one(tmp_path: Path) -> None:
    found = errors(tmp_path, "module m\nvar x: 0..3\nvar y: bool\ninit { x = true y = 3 }\n")
    assert [at(d) for d in found] == [(4, 12), (4, 21)]
    assert all("type mismatch" in d.message for d in found)


def test_rendered_error_has_position_source_line_caret_and_hint(tmp_path: Path) -> None:
    path = tmp_path / "spec.irq"
    with pytest.raises(SpecError) as caught:
        load(path, text="module m\nvar counter: 0..3\ninit { counter = 0 }\ninvariant i: countr == 1\n")
    assert caught.value.render() == (
        f"{path}:4:14: error: unknown name 'countr'\n"
        "    invariant i: countr == 1\n"
        "                 ^^^^^^\n"
        "  = did you mean 'counter'?")


def test_rendered_error_in_an_imported_file_shows_its_source_line(tmp_path: Path) -> None:
    (tmp_path / "a.irq").write_text("module a\nimport b\n")
    (tmp_path / "b.irq").write_text("module b\nimport a\n")
    with pytest.raises(SpecError) as caught:
        load(tmp_path / "a.irq")
    assert caught.value.render().splitlines()[1:] == ["    import a", "    ^^^^^^^^"]
