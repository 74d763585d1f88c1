"""What a symbol is, in the spec's own words: its declaration's head as written (`var irr: Cpu -> bits[256]`,
`def prio_class(v: Vector): 0..15`), for hovers and completion details, and the hover's text with the doc comment."""

from __future__ import annotations

from .. import ir
from ..front import symbols as sym
from ..front import syntax as s
from ..front.diagnostics import Span


def source_of(span: Span, sources: dict[str, str]) -> str:
    """The text a span covers (its first line when it has no end)."""
    lines = sources.get(span.file, "").split("\n")
    if not 0 < span.line <= len(lines):
        return ""
    if span.end_line < span.line:
        return lines[span.line - 1][span.column - 1:]
    if span.end_line == span.line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    middle = lines[span.line:span.end_line - 1]
    return "\n".join([lines[span.line - 1][span.column - 1:], *middle,
                      lines[span.end_line - 1][:span.end_column - 1] if span.end_line <= len(lines) else ""])


def signature(symbol: sym.Symbol, sources: dict[str, str],
              lets: dict[tuple[str, int, int], ir.Type] | None = None) -> str:
    """The head of the symbol's declaration, as the spec writes it."""
    d = symbol.decl
    name = symbol.name

    def text(node: object) -> str:
        return source_of(node.span, sources)  # type: ignore[attr-defined]

    def params(ps: tuple[s.ParamDecl, ...]) -> str:
        return ", ".join(f"{p.name}: {text(p.type)}" for p in ps)

    if isinstance(d, s.VarDecl):
        return f"{'ghost var' if d.ghost else 'var'} {name}: {text(d.type)}"
    if isinstance(d, (s.ConstDecl, s.TypeDecl)):
        return text(d)
    if isinstance(d, s.EnumTypeExpr):
        return f"{name}: {symbol.owner or text(d)}"
    if isinstance(d, s.DefDecl):
        return f"def {name}({params(d.params)}): {text(d.result)}"
    if isinstance(d, s.ActionDecl):
        fair = {"weak": "fair ", "strong": "strong fair "}.get(d.fairness, "")
        return f"{fair}action {name}({params(d.params)})"
    if isinstance(d, s.ParamDecl):
        return f"{name}: {text(d.type)}"
    if isinstance(d, (s.LetStmtS, s.LetExpr)):
        typ = (lets or {}).get((d.span.file, d.span.line, d.span.column))
        return f"let {name}{f': {typ}' if typ is not None else ''} = {text(d.value)}"
    if isinstance(d, (s.Binder, s.MapComp)):
        return f"{name} in {text(d.domain)}"
    if isinstance(d, s.PropDecl):
        return f"{d.kind} {name}"
    if isinstance(d, s.ModuleAst):
        return f"module {name}"
    return name


def _where(symbol: sym.Symbol, here: str, modules: dict[str, str]) -> str:
    """A line saying what the symbol belongs to, when that is not plain from the signature."""
    if symbol.kind == sym.PARAMETER:
        return f"parameter of `{symbol.owner}`"
    if symbol.kind == sym.ENUM_MEMBER and symbol.owner:
        return f"member of enum `{symbol.owner}`"
    if symbol.kind == sym.MODULE:
        return f"`{symbol.span.file}`"
    if symbol.scope is None and symbol.span.file != here and symbol.span.file in modules:
        return f"from module `{modules[symbol.span.file]}`"
    return ""


def hover_markdown(symbol: sym.Symbol, here: str, sources: dict[str, str], modules: dict[str, str],
                   lets: dict[tuple[str, int, int], ir.Type] | None = None) -> str:
    """The hover of a symbol used in file `here`: its signature as a code block, where it comes from, its doc."""
    parts = [f"```irqspec\n{signature(symbol, sources, lets)}\n```"]
    where = _where(symbol, here, modules)
    if where:
        parts.append(f"*{symbol.kind}*, {where}")
    else:
        parts.append(f"*{symbol.kind}*")
    if symbol.doc:
        parts.append(symbol.doc)
    return "\n\n".join(parts)
