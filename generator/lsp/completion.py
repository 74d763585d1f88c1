"""Completion: the names visible where the cursor is (its locals first), the spec's and its imports' globals,
the built-in functions and the keywords."""

from __future__ import annotations

from functools import lru_cache

from lsprotocol import types

from .. import ir
from ..front import symbols as sym
from ..front.lalr import keyword_terminals
from ..semantics import BUILTINS
from .describe import signature

KINDS = {
    sym.VARIABLE: types.CompletionItemKind.Variable,
    sym.GHOST_VARIABLE: types.CompletionItemKind.Variable,
    sym.CONSTANT: types.CompletionItemKind.Constant,
    sym.TYPE: types.CompletionItemKind.Class,
    sym.ENUM_MEMBER: types.CompletionItemKind.EnumMember,
    sym.DEF: types.CompletionItemKind.Function,
    sym.ACTION: types.CompletionItemKind.Method,
    sym.PARAMETER: types.CompletionItemKind.Variable,
    sym.LET: types.CompletionItemKind.Variable,
    sym.BOUND: types.CompletionItemKind.Variable,
}


@lru_cache(maxsize=1)
def keywords() -> tuple[str, ...]:
    return tuple(sorted(set(keyword_terminals().values())))


def completion_items(table: sym.SymbolTable | None, file: str, line: int, column: int, sources: dict[str, str],
                     lets: dict[tuple[str, int, int], ir.Type] | None = None) -> list[types.CompletionItem]:
    """The completion items at a 1-based position of `file` (properties and modules are never written in an
    expression, so they are left out)."""
    items: list[types.CompletionItem] = []
    seen: set[str] = set()
    for symbol in table.visible(file, line, column) if table is not None else []:
        if symbol.kind not in KINDS or symbol.name in seen:
            continue
        seen.add(symbol.name)
        doc = types.MarkupContent(kind=types.MarkupKind.Markdown, value=symbol.doc) if symbol.doc else None
        items.append(types.CompletionItem(label=symbol.name, kind=KINDS[symbol.kind],
                                          detail=signature(symbol, sources, lets), documentation=doc,
                                          sort_text=f"{0 if symbol.scope is not None else 1}{symbol.name}"))
    for name in sorted(BUILTINS):
        if name not in seen:
            items.append(types.CompletionItem(label=name, kind=types.CompletionItemKind.Function,
                                              detail="built-in function", sort_text=f"2{name}"))
    for word in keywords():
        items.append(types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword, sort_text=f"3{word}"))
    return items
