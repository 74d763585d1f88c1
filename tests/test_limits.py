"""The documented limits of the language (docs/language.md, "Limits"): integers of at most 4096 bits, at most 100
levels of nesting with defs expanded in place. Past them is a positioned error, exit 2 from the command line, never a
traceback; a limit found late (in a backend) is no limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from spec_paths import ROOT, SPEC

from irqspec.front.diagnostics import Diagnostic, SpecError
from irqspec.front.frontend import load_system
from irqspec.front.parse import MAX_NESTING

HEADER = "module m\nvar x: 0..3\ninit { x = 0 }\naction inc() requires x < 3 { x' = x + 1 }\n"  # lines 1-4


def def_chain(n: int) -> str:
    """n defs, each calling the one before, and an invariant calling the last."""
    lines = ["def f0(a: 0..3): 0..3 = a"] + [f"def f{i}(a: 0..3): 0..3 = f{i - 1}(a)" for i in range(1, n)]
    return HEADER + "\n".join(lines) + f"\ninvariant i: f{n - 1}(x) < 3\n"


def big_or(terms: int) -> str:
    return HEADER + "invariant i: " + " or ".join(f"x == {k % 4}" for k in range(terms)) + "\n"


CASES = {
    "range_constant_outside_its_type": "module m\nconst V = 1..3\nconst W: 2..3 = V\n",
    "constant_past_4096_bits": "module m\nconst A = 1 << 4095\nconst B = A << 4096\n",
    "chain_of_250_defs": def_chain(250),
    "or_of_100000_terms": big_or(100_000),
}


def errors(text: str, defines: dict[str, str] | None = None) -> tuple[Diagnostic, ...]:
    with pytest.raises(SpecError) as caught:
        load_system("spec.irq", defines, text=text)
    caught.value.render()  # rendering must not fail either (no integer too long to print, no endless caret line)
    return caught.value.diagnostics


def one_error(text: str, defines: dict[str, str] | None = None) -> Diagnostic:
    found = errors(text, defines)
    assert len(found) == 1, [f"{d.span}: {d.message}" for d in found]
    return found[0]


def at(d: Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.column


# --------------------------------------------------------------------------------------------------------- integers


def test_a_define_of_1300_digits_is_a_literal_too_large() -> None:
    with pytest.raises(SpecError) as caught:
        load_system(SPEC / "svm_virq.irq", {"NCPU": "9" * 1300})
    (d,) = caught.value.diagnostics
    assert (d.span.file, at(d)) == ("-D NCPU", (1, 1))
    assert d.message == "integer literal too large (1300 characters; at most 4096 bits)"


def test_a_range_constant_as_the_value_of_a_typed_constant_must_lie_inside_the_type() -> None:
    # a type on a set constant bounds its members, as it bounds the value of any other constant
    d = one_error(CASES["range_constant_outside_its_type"])
    assert at(d) == (3, 17)
    assert d.message == "member 1 of constant 'W' is out of its type 2..3"


def test_a_constant_past_4096_bits_is_an_error_where_it_is_made() -> None:
    d = one_error(CASES["constant_past_4096_bits"])
    assert at(d) == (3, 11)
    assert d.message == "constant too large: this value has 8192 bits; integers in a spec have at most 4096"


def test_a_constant_of_4096_bits_is_accepted() -> None:
    system = load_system("spec.irq", text="module m\nconst A = (1 << 4095) - 1 + (1 << 4095)\n")
    assert system.constants[0].value == (1 << 4096) - 1


def test_one_shift_past_4096_bits_is_an_error() -> None:
    d = one_error("module m\nconst A = 1 << 4096\n")
    assert at(d) == (2, 11) and d.message.startswith("constant too large: this value has 4097 bits")


def test_an_expression_whose_values_pass_4096_bits_is_an_error() -> None:
    d = one_error(HEADER + "const A = 1 << 4095\ninvariant i: x * A > 0\n")
    assert at(d) == (6, 14)
    assert d.message == ("integers too large: '*' here makes values of up to 4097 bits; integers in a spec have "
                         "at most 4096")


# ---------------------------------------------------------------------------------------------------------- nesting


def test_a_chain_of_250_defs_is_one_error_at_the_call_that_passes_the_limit() -> None:
    d = one_error(CASES["chain_of_250_defs"])
    assert at(d) == (104, 26)  # def f99(a: 0..3): 0..3 = f98(a)
    assert d.message == ("nesting too deep: this call of 'f98' nests 101 levels deep once defs are expanded in place "
                         "(f98 -> f97 -> f96 -> ... -> f0); at most 100")


def test_a_chain_of_defs_inside_the_limit_loads() -> None:
    assert [p.name for p in load_system("spec.irq", text=def_chain(40)).invariants] == ["i"]


def test_a_property_that_calls_a_deep_def_is_reported_at_the_call() -> None:
    # each def is inside the limit; the property's own levels on top of the deepest one are not
    d = one_error(def_chain(98))
    assert at(d) == (103, 14)
    assert d.message.startswith("nesting too deep: this call of 'f97' nests 101 levels deep")


def test_a_100000_term_or_is_refused_at_the_operator_that_passes_the_limit() -> None:
    d = one_error(CASES["or_of_100000_terms"])
    assert at(d) == (5, 13 + 10 * MAX_NESTING + 8)  # "invariant i: " then ten characters a term: the 101st 'or'
    assert d.message == "nesting too deep: more than 100 levels"
    assert d.hint.startswith("each 'or' of a chain nests one level deeper: group the chain in parentheses")


def test_the_longest_or_of_comparisons_that_fits_has_98_terms() -> None:
    # the declaration, 97 'or's, the '==' and the name at the bottom: 100 levels
    assert [p.name for p in load_system("spec.irq", text=big_or(MAX_NESTING - 2)).invariants] == ["i"]
    d = one_error(big_or(MAX_NESTING - 1))
    assert at(d) == (5, 14)  # where the chain starts: the scan before the parse counts only the operators
    assert d.message == "nesting too deep: more than 100 levels"
    assert d.hint.startswith("each 'or' of a chain nests one level deeper")


def test_nesting_the_scan_before_the_parse_cannot_see_is_measured_by_the_checker() -> None:
    d = one_error(HEADER + "invariant i: " + "if x > 0 then " * 150 + "true" + " else false" * 150 + "\n")
    assert d.message == "nesting too deep: more than 100 levels"
    assert d.span.line == 5


def test_a_define_nested_too_deep_is_an_error_of_the_define() -> None:
    d = one_error("module m\nconst N: int = 1\n", {"N": " + ".join(["1"] * 500)})
    assert d.span.file == "-D N" and d.message == "nesting too deep: more than 100 levels"


# ------------------------------------------------------------------------------------------------- command line


def irqspec(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "irqspec.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize("command", ["parse", "check"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_past_a_limit_the_command_line_exits_2_with_the_error(tmp_path: Path, case: str, command: str) -> None:
    spec = tmp_path / "spec.irq"
    spec.write_text(CASES[case])
    result = irqspec(command, str(spec))
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"{spec}:" in result.stderr and ": error: " in result.stderr


def test_a_define_of_1300_digits_exits_2_with_the_error() -> None:
    result = irqspec("check", str(SPEC / "svm_virq.irq"), "-D", "NCPU=" + "9" * 1300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "-D NCPU:1:1: error: integer literal too large" in result.stderr
