"""Hostile input to the front end: every input either loads or raises SpecError with positioned diagnostics; never
any other exception, never a hang. Grammar-aware: token streams from the grammar's own tokens, seed specs with tokens
deleted, duplicated or swapped, huge literals, deep nesting, a huge file, bad bytes, no file at all.

Cases per run: 900 token streams + 900 seed mutations + 200 huge literals + 300 nested expressions + the fixed cases
(over 2,000)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_paths import ROOT, SEED_SPECS, SPEC

from irqspec.front.checkbase import tree_levels
from irqspec.front.diagnostics import SpecError
from irqspec.front.frontend import load
from irqspec.front.nesting import _certainly_too_deep
from irqspec.front.parse import parse_text

KEYWORDS = ["module", "import", "const", "type", "var", "ghost", "init", "action", "requires", "let", "if", "then",
            "else", "def", "invariant", "lemma", "cover", "forall", "exists", "in", "and", "or", "not", "implies",
            "true", "false", "bits", "enum", "record", "bit", "highest", "lowest", "popcount"]
PUNCT = ["(", ")", "{", "}", "[", "]", ":", ",", "=", "==", "!=", "<=", ">=", "<", ">", "|", "^", "&", "+", "-", "*",
         "/", "%", "~", "'", "..", ".", "->", ";", "<<", ">>", "\n", "--- doc", "-- comment"]
NAMES = ["x", "y", "Cpu", "NCPU", "v", "c", "irr", "_", "a0"]
INTS = ["0", "1", "2", "255", "0x20", "0b101", "1_000", "99999999999999999999"]
TOKEN = re.compile(r"--[^\n]*|0x[0-9a-fA-F_]+|[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9_]*|\.\.|->|==|!=|<=|>=|<<|>>|\S|\n")
SEEDS = [(SPEC / name).read_text() for name in SEED_SPECS] + [(SPEC / "lib" / "lapic.irq").read_text()]
SEED_TOKENS = [TOKEN.findall(text) for text in SEEDS]

def fast(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def loads_or_positioned_error(text: str | None, path: str | Path = "fuzz.irq") -> None:
    """Load `text` (or the file at `path`): success, or a SpecError whose every diagnostic names a place."""
    try:
        load(path, text=text)
    except SpecError as err:
        assert err.diagnostics, "a SpecError with no diagnostic"
        for d in err.diagnostics:
            assert d.span.file and d.message
            if text is not None:
                assert d.span.line >= 1 and d.span.column >= 1, f"unpositioned: {d}"
        err.render()  # rendering the caret lines must not fail either


@fast(900)
@given(st.lists(st.sampled_from(KEYWORDS + PUNCT + NAMES + INTS), max_size=60))
def test_random_token_streams(tokens):
    loads_or_positioned_error("module fuzz\n" + " ".join(tokens))


@pytest.mark.slow
@fast(900)
@given(st.data())
def test_seed_specs_with_tokens_deleted_duplicated_or_swapped(data):
    tokens = list(data.draw(st.sampled_from(SEED_TOKENS)))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(tokens) - 1))
        how = data.draw(st.sampled_from(["delete", "duplicate", "swap", "replace"]))
        if how == "delete":
            del tokens[i]
        elif how == "duplicate":
            tokens.insert(i, tokens[i])
        elif how == "swap":
            j = data.draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            tokens[i] = data.draw(st.sampled_from(KEYWORDS + PUNCT + NAMES + INTS))
    loads_or_positioned_error(" ".join(tokens))


@fast(200)
@given(st.one_of(st.integers(0, 10 ** 400).map(str), st.just("9" * 5000), st.just("0x" + "f" * 5000)),
       st.sampled_from(["const N = {}", "const N: 0..{} = 1", "var x: 0..{}",
                                                   "var b: bits[{}]", "invariant i: {} > 0"]))
def test_huge_literals(value, template):
    loads_or_positioned_error("module fuzz\n" + template.format(value) + "\n")


def test_parentheses_nested_ten_thousand_deep():
    depth = 10_000
    loads_or_positioned_error("module fuzz\nvar x: bool\ninit { x = true }\ninvariant i: " + "(" * depth + "x"
                              + ")" * depth + "\n")


def test_unbalanced_parentheses_ten_thousand_deep():
    loads_or_positioned_error("module fuzz\nvar x: bool\ninit { x = true }\ninvariant i: " + "(" * 10_000 + "x\n")


def test_ifs_nested_ten_thousand_deep():
    depth = 10_000
    body = "x' = true\n"
    for _ in range(depth):
        body = "if x {\n" + body + "}\n"
    loads_or_positioned_error("module fuzz\nvar x: bool\ninit { x = true }\naction a() {\n" + body + "}\n")


def test_if_expressions_nested_ten_thousand_deep():
    expr = "true"
    for _ in range(10_000):
        expr = f"if x then {expr} else false"
    loads_or_positioned_error(f"module fuzz\nvar x: bool\ninit {{ x = true }}\ninvariant i: {expr}\n")


def test_ten_thousand_line_spec():
    lines = ["module big"] + [f"var x{i}: 0..3" for i in range(5000)] + ["init {"]
    lines += [f"  x{i} = 0" for i in range(5000)] + ["}"]
    loads_or_positioned_error("\n".join(lines) + "\n")


def test_invalid_utf8_is_a_positioned_error(tmp_path):
    spec = tmp_path / "bad.irq"
    spec.write_bytes(b"module bad\nvar x: bool\n\xff\xfe\n")
    with pytest.raises(SpecError) as info:
        load(spec)
    assert info.value.diagnostics[0].span.line == 3


def test_empty_file(tmp_path):
    spec = tmp_path / "empty.irq"
    spec.write_text("")
    with pytest.raises(SpecError):
        load(spec)


def test_directory_and_missing_file(tmp_path):
    for path in (tmp_path, tmp_path / "missing.irq"):
        with pytest.raises(SpecError) as info:
            load(path)
        assert str(path) in info.value.render()


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"module m\nvar x: bool\ninit { x = " + b"(" * 10_000,
                                     b"module m\ninvariant i: " + b"9" * 5000, None, "dir"])
def test_cli_hostile_input_exits_2_without_traceback(tmp_path, content):
    if content == "dir":
        target = tmp_path
    else:
        target = tmp_path / "case.irq"
        if content is not None:
            target.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "irqspec.cli", "parse", str(target)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "error" in proc.stderr



DEEP = {
    "sum_parens": ("var x: 0..3\ninit { x = 0 }", lambda d: "(x + " * d + "1" + ")" * d + " > 0"),
    "nots": ("var x: bool\ninit { x = true }", lambda d: "not " * d + "x"),
    "and_chain": ("var x: bool\ninit { x = true }", lambda d: " and ".join(["x"] * d)),
}


@pytest.mark.parametrize("depth", [300, 400, 1000, 10_000])
@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_expressions_end_in_a_positioned_error_not_recursion(shape, depth):
    # regression: at ~400 levels the parser built the tree but the checker's recursion raised RecursionError
    decl, expr = DEEP[shape]
    loads_or_positioned_error(f"module fuzz\n{decl}\ninvariant i: {expr(depth)}\n")


# Expressions of every nesting construct, parenthesised or not at random (what does not parse is left out): the scan
# before the parse must never find a nesting deeper than the checker measures, or it would refuse a spec that fits.
_LEAF = st.sampled_from(["x", "b", "1", "0x2", "true", "p", "m[p]", "r.f", "f()"])


def _nested(children):
    def group(e):
        return st.sampled_from([e, f"({e})"])

    binary = st.tuples(children, st.sampled_from(["or", "and", "implies", "==", "<", "|", "^", "&", "<<", "+", "-",
                                                  "*", "%"]), children)
    chain = st.tuples(st.sampled_from([" or ", " and ", " + ", " * ", " - "]), st.lists(children, min_size=2,
                                                                                        max_size=12))
    return st.one_of(
        binary.flatmap(lambda t: st.tuples(group(t[0]), group(t[2])).map(lambda g: f"{g[0]} {t[1]} {g[1]}")),
        chain.map(lambda t: t[0].join(f"({e})" if " " in e else e for e in t[1])),
        children.flatmap(group).map(lambda e: f"not {e}"),
        children.map(lambda e: f"-({e})"),
        children.map(lambda e: f"~{e}" if " " not in e else f"~({e})"),
        st.tuples(children, children).map(lambda t: f"min({t[0]}, {t[1]})"),
        children.map(lambda e: f"m[{e}]"),
        children.map(lambda e: f"{{f: {e}}}"),
        children.map(lambda e: f"[k in 0..3: {e}]"),
        st.tuples(children, children, children).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
        st.tuples(children, children).map(lambda t: f"let v = {t[0]} in {t[1]}"),
        children.map(lambda e: f"forall k in 0..3: {e}"),
        children.map(lambda e: f"(({e}))"),
    )


@pytest.mark.slow
@fast(300)
@given(st.recursive(_LEAF, _nested, max_leaves=40), st.recursive(_LEAF, _nested, max_leaves=20))
def test_the_nesting_scan_never_counts_deeper_than_the_checker_measures(expr, value):
    text = (f"module fuzz\ninvariant i: {expr}\n"
            f"action a(p: 0..3) requires {expr} {{ if {expr} {{ x' = {value} }} else {{ m'[p] = {value} }} }}\n")
    try:
        module = parse_text(text, "fuzz.irq")
    except SpecError:
        return  # a combination the grammar does not take, or deeper than the limit itself
    deepest = max(tree_levels(d, {})[id(d)] for d in module.decls)
    for limit in range(1, deepest + 2):
        if _certainly_too_deep(text, limit) is not None:
            assert deepest > limit, f"the scan refuses {limit} levels, the tree has {deepest}"
