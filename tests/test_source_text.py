"""The text of a spec as the front end reads it: any line ending (LF, CRLF, lone CR), an optional UTF-8 byte-order mark,
and lines that end at LF only everywhere, so that no character inside a comment moves the positions of later errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from irqspec.front.diagnostics import SpecError
from irqspec.front.frontend import load, load_system

# a violated invariant after a comment: with CR-only line endings the comment used to run to the end of the file
SPEC_LINES = ["module m", "var x: 0..3", "init { x = 0 }", "action inc() requires x < 3 { x' = x + 1 }",
              "-- the invariant below is violated after two steps", "invariant below2: x < 2"]


def error_of(path: Path, text: str | None = None):
    with pytest.raises(SpecError) as caught:
        load(path, text=text)
    (d,) = caught.value.diagnostics
    return d, caught.value.render()


def test_a_comment_in_a_cr_only_file_ends_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cr.irq"
    path.write_bytes("\r".join(SPEC_LINES).encode() + b"\r")
    system = load_system(path)
    assert [p.name for p in system.invariants] == ["below2"]
    assert [a.name for a in system.actions] == ["inc"]


def test_cr_only_spec_reports_a_later_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cr.irq"
    path.write_bytes(b"module m\r-- a comment\rvar x: 0..3\rinit { x = 0 }\rinvariant i: y < 2\r")
    d, rendered = error_of(path)
    assert (d.span.line, d.span.column, d.message) == (5, 14, "unknown name 'y'")
    assert rendered.splitlines()[1:3] == ["    invariant i: y < 2", "                 ^"]


def test_cr_only_text_given_directly_is_read_like_a_file(tmp_path: Path) -> None:
    system = load_system(tmp_path / "cr.irq", text="\r".join(SPEC_LINES))
    assert [p.name for p in system.invariants] == ["below2"]


def test_crlf_line_endings_show_the_source_line_without_a_carriage_return(tmp_path: Path) -> None:
    path = tmp_path / "crlf.irq"
    path.write_bytes(b"module m\r\nvar x: 0..3\r\ninit { x = 0 }\r\ninvariant i: y < 2\r\n")
    d, rendered = error_of(path)
    assert (d.span.line, d.span.column) == (4, 14)
    assert "\r" not in rendered
    assert rendered.splitlines()[1] == "    invariant i: y < 2"


def test_a_leading_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.irq"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(SPEC_LINES).encode())
    assert [p.name for p in load_system(path).invariants] == ["below2"]
    assert [p.name for p in load_system(tmp_path / "t.irq", text="\ufeff" + "\n".join(SPEC_LINES)).invariants] == [
        "below2"]


def test_an_error_on_the_first_line_after_a_byte_order_mark_is_at_column_one(tmp_path: Path) -> None:
    path = tmp_path / "bom.irq"
    path.write_bytes(b"\xef\xbb\xbfmodul m\n")
    d, _ = error_of(path)
    assert (d.span.line, d.span.column) == (1, 1)
    assert d.message.startswith("unexpected 'modul'")


def test_invalid_utf8_after_cr_only_lines_is_placed_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.irq"
    path.write_bytes(b"module m\r-- caf\xe9\r")
    d, _ = error_of(path)
    assert (d.span.line, d.span.column) == (2, 7)


LINE_BREAKING = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", LINE_BREAKING, ids=[f"U+{ord(c):04X}" for c in LINE_BREAKING])
def test_a_line_breaking_character_in_a_comment_does_not_shift_a_later_error(tmp_path: Path, char: str) -> None:
    text = f"module m\n-- a comment {char} with a break in it\nvar x: 0..3\ninit {{ x = 0 }}\ninvariant i: y < 2\n"
    d, rendered = error_of(tmp_path / "spec.irq", text)
    assert (d.span.line, d.span.column) == (5, 14)
    assert rendered.splitlines()[1:3] == ["    invariant i: y < 2", "                 ^"]


def test_an_error_on_a_line_with_a_form_feed_shows_that_line_with_the_caret_in_place(tmp_path: Path) -> None:
    text = "module m\nvar x: 0..3\ninit { x = 0 }\ninvariant i:\f y < 2 -- \u2028\n"
    d, rendered = error_of(tmp_path / "spec.irq", text)
    assert (d.span.line, d.span.column) == (4, 15)
    assert rendered.splitlines()[1:3] == ["    invariant i:  y < 2 --  ", "                  ^"]


def test_a_doc_comment_after_a_comment_with_u2028_attaches_to_its_declaration(tmp_path: Path) -> None:
    text = "module m\n-- \u2028\nvar x: bool --- the flag\nvar y: bool\ninit { x = false y = false }\n"
    system = load_system(tmp_path / "spec.irq", text=text)
    assert [(v.name, v.doc) for v in system.vars] == [("x", "the flag"), ("y", "")]


def test_a_source_line_too_long_to_show_is_shown_around_the_column(tmp_path: Path) -> None:
    text = "module m\nvar x: 0..3\ninit { x = 0 }\ninvariant i: " + "x < 3 and " * 50 + "y\n"
    d, rendered = error_of(tmp_path / "spec.irq", text)
    shown, caret = rendered.splitlines()[1:3]
    assert len(shown) < 200 and shown.startswith("    ...")
    assert shown[caret.index("^")] == "y"
