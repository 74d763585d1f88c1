"""Syntax errors a person can act on: the expected terminals in words, hints for habits from TLA+ and Python
(`_HABITS`), misspelled keywords and common mistakes (`_MISTAKES`, by Lark's match_examples), and recovery: after
an error, every top-level declaration parsed on its own, so that each broken one is reported."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic, Span
from .lalr import DECL_KEYWORDS, DECL_START, keyword_terminals, lark_parser, shadowing_keywords

# How the expected terminals of a syntax error are named to a person.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "CMP_OP": "a comparison (==, !=, <, <=, >, >=)",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '%'",
    "SHIFT_OP": "'<<' or '>>'",
    "NEG_OP": "'-' or '~'",
    "PRIME": "a prime (')",
    "$END": "the end of the file",
}

# Common mistakes, recognised by the parser state they fail in (Lark's match_examples), each with a hint.
_MISTAKES = {
    "an assignment in an action needs a prime on the variable: x' = value": [
        "module m action a() { x = 1 }",
        "module m action a() { x[0] = 1 }",
    ],
    "a comparison is written '==', not '='": [
        "module m invariant i: x = 1",
        "module m action a() requires x = 1 { }",
    ],
    "a declaration starts with one of: " + ", ".join(DECL_KEYWORDS[1:]): [
        "module m foo",
        "module m x' = 1",
    ],
}


@dataclass(frozen=True)
class _Habit:
    """A way of writing brought from TLA+ or Python, recognised by how the text at a syntax error is written: `written`
    matches text that spans the error or ends just before it (what people write is often read as a name, and the
    parser stops a word later). With `examples`, the error must also fail in the parser state of one of them
    (`match_examples`, as for `_MISTAKES`): for spellings that are fine elsewhere."""

    written: re.Pattern[str]
    hint: str
    examples: tuple[str, ...] = ()


_HABITS = (
    # TLA+
    _Habit(re.compile(r"/\\"), "TLA+'s /\\ is written 'and' in irqspec: x == 0 and y == 1"),
    _Habit(re.compile(r"\\/"), "TLA+'s \\/ is written 'or' in irqspec: x == 0 or y == 1"),
    _Habit(re.compile(r"\bUNCHANGED\b"), "irqspec has no UNCHANGED: a variable that an action does not assign keeps "
           "its value, so leave it out"),
    _Habit(re.compile(r"\bEXCEPT\b"), "irqspec has no EXCEPT: assign the one entry, m'[i] = value (a field: "
           "r'.f = value); the rest of the map keeps its value"),
    _Habit(re.compile(r"(?m)^[A-Za-z_]\w*[ \t]*(\([^()\n]*\))?[ \t]*=="), "a definition starts with what it defines "
           "(TLA+'s NAME == ...): def NAME(params): type = expr, invariant NAME: expr, or const NAME = value"),
    _Habit(re.compile(r"=="), "a property is written invariant NAME: expr (a colon where TLA+ writes ==)",
           ("module m invariant i == true", "module m lemma i == true", "module m cover i == true")),
    _Habit(re.compile(r"=="), "a def is written def NAME(params): type = expr ('=' where TLA+ writes ==)",
           ("module m def f(): bool == true", "module m def f(a: bool): bool == a")),
    _Habit(re.compile(r"=="), "a constant is written const NAME = value ('=' where TLA+ writes ==)",
           ("module m const N == 1", "module m const N: int == 1")),
    _Habit(re.compile(r"#|/="), "'not equal' is written '!=' in irqspec (TLA+'s # and /=)"),
    # Python (and C)
    _Habit(re.compile(r"!(?!=)"), "negation is written 'not' in irqspec: not b"),
    _Habit(re.compile(r"&&"), "'&&' is written 'and' in irqspec ('&' alone is the bitwise and of bit vectors)"),
    _Habit(re.compile(r"\|\|"), "'||' is written 'or' in irqspec ('|' alone is the bitwise or of bit vectors)"),
    _Habit(re.compile(r"\belif\b"), "'elif' is written 'else if' in irqspec: if c { ... } else if d { ... }"),
    _Habit(re.compile(r":="), "irqspec assigns with '=': x' = value in an action, let v = value for a local"),
)

# Keywords that a name follows: misspelled, they are read as a name and the parser stops at the name after them.
_KEYWORDS_BEFORE_A_NAME = ("forall", "exists", "let")
# Keywords that follow a complete expression. Lark reports a name there only after reducing the expression to its
# declaration, so they are not among the expected terminals; the text before the name tells instead.
_KEYWORDS_AFTER_AN_OPERAND = ("and", "or", "implies", "in", "then", "else")


def _describe_expected(expected: set[str]) -> str:
    parser = lark_parser()
    words = []
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            words.append(name)
            continue
        if pattern.type == "str":
            words.append(f"'{pattern.value}'")
        else:
            words.append(name.lower())
    words = sorted(set(words))
    if len(words) == 1:
        return words[0]
    if len(words) > 10:
        # after a complete expression nearly every operator and keyword may follow: name the useful few
        keep = [w for w in words if w in ("a comparison (==, !=, <, <=, >, >=)", "'and'", "'or'", "'implies'",
                                          "')'", "']'", "'}'", "the end of the file", "a name")]
        return "one of " + ", ".join(keep or words[:10]) + f" (or one of {len(words) - len(keep or words[:10])} more)"
    return "one of " + ", ".join(words)


def _matches_examples(err: UnexpectedInput, start: str, examples: dict[str, list[str]]) -> str:
    """The label of the examples whose error happens in the same parser state as `err` ("" when none does).

    Lark compares parser states by stack depth, so the examples are parsed from the same start symbol as the text that
    failed: whole files for "start", and, for a declaration parsed on its own, the examples without their module header.
    """
    parser = lark_parser()
    if start != "start":
        examples = {label: [e.removeprefix("module m ") for e in texts] for label, texts in examples.items()}
    try:
        label = err.match_examples(lambda text: parser.parse(text, start=start), examples, use_accepts=True)
    except Exception:  # match_examples re-parses the examples; a failure there must not hide the real error
        return ""
    return label or ""


def _written_at(pattern: re.Pattern[str], text: str, pos: int) -> bool:
    """Whether `pattern` matches text of the error's line (or the line before) that spans `pos` or ends just before it,
    with only blanks between."""
    line_start = text.rfind("\n", 0, pos) + 1
    search_from = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    line_end = text.find("\n", pos)
    for m in pattern.finditer(text, search_from, len(text) if line_end < 0 else line_end):
        if m.start() > pos:
            break
        if pos < m.end() or not text[m.end():pos].strip():
            return True
    return False


def _habit_hint(err: UnexpectedInput, text: str, start: str) -> str:
    """The hint of the first habit written at the error (and failing in its examples' parser state, if it has any)."""
    pos = getattr(err, "pos_in_stream", None)
    if pos is None or pos < 0:
        return ""
    for habit in _HABITS:
        if not _written_at(habit.written, text, pos):
            continue
        if not habit.examples or _matches_examples(err, start, {habit.hint: list(habit.examples)}):
            return habit.hint
    return ""


@lru_cache(maxsize=1)
def _keyword_hint(err: UnexpectedInput, text: str) -> str:
    """'did you mean' for a misspelled keyword: the unexpected name itself, when a keyword close to it could stand there
    (`invarient i: ...`, `requries`), or the name just before it, when that name is close to a keyword that a name
    follows (`foral c in ...` is read as the name `foral`, and the parser stops at `c`)."""
    if not isinstance(err, UnexpectedToken) or err.token.type != "NAME" or err.token.start_pos is None:
        return ""
    keywords = keyword_terminals()
    expected = sorted({keywords[name] for name in err.expected if name in keywords})
    close = difflib.get_close_matches(str(err.token), expected, n=1, cutoff=0.75)
    line_start = text.rfind("\n", 0, err.token.start_pos) + 1
    before = text[line_start:err.token.start_pos].rstrip()
    name_before = re.search(r"\b[A-Za-z_][A-Za-z0-9_]*$", before)
    if not close and name_before is not None and name_before.group() not in keywords.values():
        close = difflib.get_close_matches(name_before.group(), _KEYWORDS_BEFORE_A_NAME, n=1, cutoff=0.75)
    if not close and before and (before[-1].isalnum() or before[-1] in "_)]}'"):
        close = difflib.get_close_matches(str(err.token), _KEYWORDS_AFTER_AN_OPERAND, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _declared_keyword_hint(text: str) -> str:
    """A keyword declared as a name (`var match: ...`: the declaration parses, but every use of the name reads as
    the keyword). Only the keywords that shadow a name of that kind count (`lalr.shadowing_keywords`): `var int`
    is a legitimate variable, so an unrelated syntax error in its spec gets no such hint."""
    value_words, type_words = shadowing_keywords()
    for m in _DECLARED_NAME.finditer(text):
        if m.group(2) in (type_words if m.group(1) == "type" else value_words):
            what = {"var": "variable", "const": "constant"}.get(m.group(1), m.group(1))
            return f"'{m.group(2)}' is a keyword of irqspec: it cannot name a {what} (rename it)"
    return ""


_DECLARED_NAME = re.compile(r"(?m)^\s*(?:ghost\s+)?(var|const|type|def|action)\s+([A-Za-z_]\w*)")


def _hint(err: UnexpectedInput, text: str, start: str) -> str:
    """The most specific hint for a syntax error: a habit from another language, a misspelled keyword, then a common
    mistake recognised by its parser state alone (and, failing those, a keyword declared as a name)."""
    return _habit_hint(err, text, start) or _keyword_hint(err, text) or _matches_examples(err, start, _MISTAKES)


def _shown_char(char: str) -> str:
    """A character as the user wrote it, in quotes; one that does not print (a control character, a byte-order mark)
    by its code point."""
    return f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"


def syntax_diagnostic(err: UnexpectedInput, text: str, file: str, line_offset: int, start: str = "start",
                       cut: tuple[int, int, str] | None = None, whole: str = "") -> Diagnostic:
    """`text` is what was parsed (the whole file or one piece of it, `whole` then the file). `cut` is (line, column,
    word) of the declaration that follows a piece parsed on its own: an end of input there is reported as that word,
    which is what the whole file has at that point."""
    line = (err.line if err.line > 0 else 1) + line_offset
    column = err.column if err.column > 0 else 1
    hint = _hint(err, text, start) or _declared_keyword_hint(whole or text)
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END" and cut is not None:
            line, column, word = cut
            message = f"unexpected '{word}'; expected {_describe_expected(err.expected)}"
            return Diagnostic(Span(file, line, column, line, column + len(word)), message, hint)
        if tok.type == "$END":
            # Lark places the end token on the last token read; the end of the file is just after it.
            if tok.end_line:
                line, column = tok.end_line + line_offset, tok.end_column
            message = f"unexpected end of file; expected {_describe_expected(err.expected)}"
            return Diagnostic(Span(file, line, column, line, column + 1), message, hint)
        message = f"unexpected '{tok.value}'; expected {_describe_expected(err.expected)}"
        end_col = column + max(1, len(str(tok.value)))
        return Diagnostic(Span(file, line, column, line, end_col), message, hint)
    if isinstance(err, UnexpectedCharacters):
        message = f"unexpected character {_shown_char(err.char)}"
        if err.allowed:
            message += f"; expected {_describe_expected(set(err.allowed))}"
        return Diagnostic(Span(file, line, column, line, column + 1), message, hint)
    if isinstance(err, UnexpectedEOF):
        return Diagnostic(Span(file, line, column), f"unexpected end of file; expected "
                          f"{_describe_expected(set(err.expected))}", hint)
    return Diagnostic(Span(file, line, column), str(err).split("\n")[0], hint)


def recover_errors(text: str, file: str, first: UnexpectedInput) -> list[Diagnostic]:
    """After a syntax error, parse each top-level declaration on its own and report every one that fails."""
    starts = [m.start() for m in DECL_START.finditer(text)]
    if not starts or len(starts) == 1:
        return [syntax_diagnostic(first, text, file, 0)]
    diagnostics: list[Diagnostic] = []
    pieces = [(0, starts[1])] + [(a, b) for a, b in zip(starts[1:], starts[2:] + [len(text)])]
    parser = lark_parser()
    for index, (a, b) in enumerate(pieces):
        chunk = text[a:b]
        line_offset = text.count("\n", 0, a)  # lines end at LF, as the lexer counts them
        start = "start" if index == 0 else "decl_chunk"
        cut = None
        if b < len(text):
            cut = (text.count("\n", 0, b) + 1, 1, DECL_START.match(text, b).group(0))  # type: ignore[union-attr]
        try:
            parser.parse(chunk, start=start)
        except UnexpectedInput as err:
            diagnostics.append(syntax_diagnostic(err, chunk, file, line_offset, start, cut, whole=text))
    return diagnostics or [syntax_diagnostic(first, text, file, 0)]
