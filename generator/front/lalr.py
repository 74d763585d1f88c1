"""The LALR parser of grammar/irqspec.lark (built once, Lark's own cache), the keywords that start a
declaration, and the span of a token or a parse-tree node."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark

from .diagnostics import Span

DECL_KEYWORDS = ("module", "import", "const", "type", "var", "ghost", "init", "action", "def", "invariant", "lemma",
                 "cover", "liveness", "fair", "strong")
DECL_START = re.compile(r"^(?:%s)\b" % "|".join(DECL_KEYWORDS), re.MULTILINE)


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    grammar = resources.files("irqspec.grammar").joinpath("irqspec.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                start=["start", "decl_chunk", "override_value"], cache=True)


def token_span(file: str, meta_or_token: Any) -> Span:
    return Span(file, meta_or_token.line, meta_or_token.column,
                getattr(meta_or_token, "end_line", meta_or_token.line) or meta_or_token.line,
                getattr(meta_or_token, "end_column", meta_or_token.column) or meta_or_token.column)


def keyword_terminals() -> dict[str, str]:
    """Terminal name -> keyword, for every keyword of the grammar (INVARIANT -> invariant)."""
    out = {}
    for terminal in lark_parser().terminals:
        if terminal.pattern.type == "str" and terminal.pattern.value.isalpha():
            out[terminal.name] = terminal.pattern.value
    return out


@lru_cache(maxsize=1)
def shadowing_keywords() -> tuple[frozenset[str], frozenset[str]]:
    """The keywords that cannot name (a value: a variable, constant, def, action, enum member or local; a type).

    Lark's contextual lexer reads a word as a keyword wherever the parser accepts both the keyword and a name, so a
    name spelled like a keyword is unreadable in those states. Read off the LALR table: a value name is shadowed by
    the keywords of every state that accepts a name where an expression or a statement may start (the state also
    accepts `not` or `let`), a type name by those of every state that accepts a name where a type may be (it also
    accepts `int`). So `match` cannot name a variable, but `int` can (it is a keyword only where a type is read)."""
    keywords = keyword_terminals()
    terminal = {word: name for name, word in keywords.items()}
    table = lark_parser().parser.parser.parser.parse_table  # the LALR states: {state: {terminal: action}}
    value: set[str] = set()
    typ: set[str] = set()
    for accepts in table.states.values():
        if "NAME" not in accepts:
            continue
        words = {keywords[t] for t in accepts if t in keywords}
        if terminal["not"] in accepts or terminal["let"] in accepts:
            value |= words
        if terminal["int"] in accepts:
            typ |= words
    return frozenset(value), frozenset(typ)
