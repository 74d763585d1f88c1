"""How deep a declaration may nest (MAX_NESTING), and the cheap scan before the parse that refuses text which
certainly nests deeper (check.py measures the exact depth of what parses)."""

from __future__ import annotations

import re

from lark import Token

from .diagnostics import Diagnostic, Span, SpecError
from .lalr import keyword_terminals, lark_parser, token_span

MAX_NESTING = 100  # levels of a declaration's syntax tree, measured by check.py; docs/language.md, "Limits"
TOO_DEEP = f"nesting too deep: more than {MAX_NESTING} levels"

# How tightly each binary operator binds, loosest first: a chain of one of them nests one level per operator.
_BINDING = {"implies": 0, "or": 1, "and": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "|": 4, "^": 5,
            "&": 6, "<<": 7, ">>": 7, "+": 8, "-": 8, "*": 9, "/": 9, "%": 9}
_PREFIX = ("not", "~")  # and '-' where no operand precedes it
_SEPARATORS = (",", ":", ";", "=", "..", "->")
_SCAN_TOKEN = re.compile(r"--[^\n]*|[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*"
                         r"|\.\.|->|==|!=|<=|>=|<<|>>|\S")


def nest_less_hint(op: str = "") -> str:
    """The hint of a nesting error; `op` is the binary operator whose chain nests too deep, if that is what does."""
    if op in _BINDING:
        return (f"each '{op}' of a chain nests one level deeper: group the chain in parentheses, "
                f"(a {op} b {op} c) {op} (d {op} e {op} f), or quantify over a range (forall, exists)")
    return (f"irqspec takes at most {MAX_NESTING} levels of nesting, so that every backend stays within Python's "
            "stack: restructure the expression or the statement so that it nests less")


def _certainly_too_deep(text: str, limit: int = MAX_NESTING) -> tuple[int, str] | None:
    """Where the nesting of `text` certainly passes `limit`, found without parsing (the parse of a 100,000-term
    chain takes many seconds before its tree turns out too deep): (offset, operator) of the first place, the operator
    "" for a bracket, or None.

    Counts only what certainly nests, a lower bound on the depth that check.py measures: brackets that make a node of
    their own (a call's or a declaration's parentheses, an index, a record, a block, a group that is an operator's
    operand), and inside one bracket a chain of operators binding alike (each `or` of `a or b or c` nests one level:
    the grammar makes them left-nested) or of prefix operators (`not not x`)."""
    keywords = frozenset(keyword_terminals().values())
    enclosing: list[tuple[int, list[int], int]] = []
    base = prefix = 0  # certain levels of the brackets around, and of the prefix operators just read
    chains = [0] * 10  # per binding strength: the operators read since one binding more loosely ended the chain
    after_operand = after_name = after_operator = False
    for m in _SCAN_TOKEN.finditer(text):
        tok = m.group()
        if tok.startswith("--"):
            continue
        level = 0
        if tok in ("(", "[", "{"):
            enclosing.append((base, chains, prefix))
            if tok != "(" or after_name or after_operator:  # not a group that only groups
                base += 1
            chains, prefix, level = [0] * 10, 0, base
            after_operand = after_name = after_operator = False
        elif tok in (")", "]", "}"):
            if enclosing:
                base, chains, prefix = enclosing.pop()
            prefix = 0
            after_operand, after_name, after_operator = True, False, False
        elif tok in _PREFIX or (tok == "-" and not after_operand):
            prefix += 1
            level = base + prefix
            after_operand, after_name, after_operator = False, False, True
        elif tok in _BINDING:
            binding = _BINDING[tok]
            chains[binding] += 1
            chains[binding + 1:] = [0] * (9 - binding)
            prefix = 0
            level = base + chains[binding]
            after_operand, after_name, after_operator = False, False, True
        elif tok in _SEPARATORS or (tok in keywords and tok not in ("true", "false")):
            chains, prefix = [0] * 10, 0
            after_operand = after_name = after_operator = False
        else:  # a name, a number, a prime, true or false
            prefix = 0
            after_operand, after_name, after_operator = True, tok[0].isalpha() or tok[0] == "_", False
        if level > limit:
            return m.start(), "" if tok in ("(", "[", "{") else tok
    return None


def refuse_deep_nesting(text: str, file: str) -> None:
    found = _certainly_too_deep(text)
    if found is None:
        return
    offset, op = found
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    width = max(1, len(op))
    raise SpecError([Diagnostic(Span(file, line, column, line, column + width), TOO_DEEP, nest_less_hint(op))])


def too_deep(text: str, file: str) -> Diagnostic:
    """The error for a spec nested deeper than the syntax tree can be built on Python's stack, where the scan before
    the parse did not see it: placed at the most deeply nested opening bracket or `if`."""
    depth = deepest = 0
    where: Token | None = None
    for tok in lark_parser().lex(text):
        if tok in ("(", "[", "{", "if"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, tok
        elif tok in (")", "]", "}"):
            depth -= 1
    span = token_span(file, where) if where is not None else Span(file, 1, 1)
    return Diagnostic(span, TOO_DEEP, nest_less_hint())
