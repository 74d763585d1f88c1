"""Text -> syntax tree, with positions.

The grammar is grammar/irqspec.lark (LALR). A Lark Transformer builds `syntax` nodes, one method per rule.
Doc comments (`--- text`) are collected by a lexer callback and attached to the declaration that follows them.
After a syntax error the file is cut at every line that starts with a declaration keyword and each piece is parsed on
its own, so that every broken declaration is reported, in source order; a syntax error gets a hint when it looks like
a habit from TLA+ or Python, a misspelled keyword, or a common mistake (syntax_errors.py). Before the parse, a cheap
scan refuses text that certainly nests deeper than MAX_NESTING (nesting.py; check.py measures the exact depth).

Lines end at LF only, as the lexer counts them: callers pass text through `modules.source_text` first.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedInput, VisitError

from ..semantics import MAX_INT_BITS
from . import syntax as s
from .diagnostics import Diagnostic, Span, SpecError
from .lalr import lark_parser, token_span
from .nesting import MAX_NESTING, TOO_DEEP, nest_less_hint, refuse_deep_nesting, too_deep
from .syntax_errors import recover_errors, syntax_diagnostic

__all__ = ["MAX_NESTING", "TOO_DEEP", "nest_less_hint", "parse_int", "parse_override", "parse_text"]

MAX_LITERAL_BITS = MAX_INT_BITS


def parse_int(text: str) -> int:
    t = text.replace("_", "")
    if t.startswith(("0x", "0X")):
        return int(t, 16)
    if t.startswith(("0b", "0B")):
        return int(t, 2)
    return int(t, 10)


@v_args(meta=True)
class _ToSyntax(Transformer):
    """One method per grammar rule; each returns the `irqspec.front.syntax` node for it."""

    def __init__(self, file: str):
        super().__init__(visit_tokens=False)
        self.file = file

    def _sp(self, meta) -> Span:
        return token_span(self.file, meta)

    def _tsp(self, token: Token) -> Span:
        return Span(self.file, token.line, token.column, token.end_line or token.line,
                    token.end_column or token.column)

    # ---- module and declarations
    def start(self, meta, children):
        header, *decls = children
        return s.ModuleAst(header[0], tuple(decls), self.file, header[1])

    def module_decl(self, meta, children):
        return (str(children[0]), self._sp(meta))

    def decl_chunk(self, meta, children):
        return children[0]

    def override_value(self, meta, children):
        return children[0]

    def import_decl(self, meta, children):
        return s.ImportDecl(str(children[0]), self._sp(meta))

    def const_decl(self, meta, children):
        name, typ, items = children
        return s.ConstDecl(str(name), typ, items, self._sp(meta))

    def const_value(self, meta, children):
        return tuple(children)

    def const_item(self, meta, children):
        return s.ConstItem(children[0], children[1], self._sp(meta))

    def type_decl(self, meta, children):
        return s.TypeDecl(str(children[0]), children[1], self._sp(meta))

    def var_decl(self, meta, children):
        ghost = isinstance(children[0], Token) and children[0].type == "GHOST"
        names = [c for c in children[1 if ghost else 0:-1]]
        return s.VarDecl(tuple((str(n), self._tsp(n)) for n in names), children[-1], ghost, self._sp(meta))

    def init_decl(self, meta, children):
        return s.InitDecl(tuple(children), self._sp(meta))

    def init_assign(self, meta, children):
        return s.InitAssign(str(children[0]), children[1], self._sp(meta))

    def action_decl(self, meta, children):
        fairness, name, params, *requires, when, body = children
        return s.ActionDecl(str(name), params or (), tuple(requires), body, self._sp(meta), fairness=fairness or "",
                            fair_when=when)

    def fair_when(self, meta, children):
        return children[0]

    def fairness(self, meta, children):
        return "strong" if len(children) == 2 else "weak"

    def requires(self, meta, children):
        return children[0]

    def params(self, meta, children):
        return tuple(children)

    def param(self, meta, children):
        return s.ParamDecl(str(children[0]), children[1], self._sp(meta))

    def block(self, meta, children):
        return tuple(children)

    def assign_stmt(self, meta, children):
        name, _prime, *selectors, value = children
        return s.AssignStmt(str(name), tuple(selectors), value, self._sp(meta))

    def select_index(self, meta, children):
        return s.SelectIndex(children[0], self._sp(meta))

    def select_field(self, meta, children):
        return s.SelectField(str(children[0]), self._sp(meta))

    def let_stmt(self, meta, children):
        return s.LetStmtS(str(children[0]), children[1], self._sp(meta))

    def if_stmt(self, meta, children):
        cond, then, other = children
        if other is None:
            other = ()
        elif isinstance(other, s.IfStmt):
            other = (other,)
        return s.IfStmt(cond, then, other, self._sp(meta))

    def match_stmt(self, meta, children):
        subject, *arms = children
        return s.MatchStmt(subject, tuple(arms), self._sp(meta))

    def match_stmt_arm(self, meta, children):
        return s.MatchArm(children[0], children[1], self._sp(meta))

    def match_pattern(self, meta, children):
        return tuple(str(t) for t in children if t.type == "NAME")

    def else_pattern(self, meta, children):
        return ()

    def def_decl(self, meta, children):
        name, params, result, body = children
        return s.DefDecl(str(name), params or (), result, body, self._sp(meta))

    def prop_decl(self, meta, children):
        kind, name, expr = children
        return s.PropDecl(kind, str(name), expr, self._sp(meta))

    def prop_kind(self, meta, children):
        return str(children[0])

    # ---- types
    def named_type(self, meta, children):
        return s.NamedType(str(children[0]), self._sp(meta))

    def bool_type(self, meta, children):
        return s.BoolTypeExpr(self._sp(meta))

    def int_type(self, meta, children):
        return s.IntTypeExpr(self._sp(meta))

    def range_type(self, meta, children):
        return s.RangeTypeExpr(children[0], children[1], self._sp(meta))

    def bits_type(self, meta, children):
        return s.BitsTypeExpr(children[0], self._sp(meta))

    def enum_type(self, meta, children):
        return s.EnumTypeExpr(tuple((str(t), self._tsp(t)) for t in children), self._sp(meta))

    def record_type(self, meta, children):
        return s.RecordTypeExpr(tuple(children), self._sp(meta))

    def field_decl(self, meta, children):
        return (str(children[0]), children[1], self._sp(meta))

    def map_type(self, meta, children):
        return s.MapTypeExpr(children[0], children[1], self._sp(meta))

    # ---- expressions
    def quant(self, meta, children):
        kind, *binders, body = children
        return s.QuantExpr(kind, tuple(binders), body, self._sp(meta))

    def quantifier(self, meta, children):
        return str(children[0])

    def binder(self, meta, children):
        return s.Binder(str(children[0]), children[1], self._sp(meta))

    def let_expr(self, meta, children):
        return s.LetExpr(str(children[0]), children[1], children[2], self._sp(meta))

    def ite(self, meta, children):
        return s.IteExpr(children[0], children[1], children[2], self._sp(meta))

    def match_expr(self, meta, children):
        subject, *arms = children
        return s.MatchExpr(subject, tuple(arms), self._sp(meta))

    def match_expr_arm(self, meta, children):
        return s.MatchArm(children[0], children[1], self._sp(meta))

    def leads_to(self, meta, children):
        return s.Binary("~>", children[0], children[1], self._sp(meta))

    def implies(self, meta, children):
        return s.Binary("implies", children[0], children[1], self._sp(meta))

    def or_(self, meta, children):
        return s.Binary("or", children[0], children[1], self._sp(meta))

    def and_(self, meta, children):
        return s.Binary("and", children[0], children[1], self._sp(meta))

    def not_(self, meta, children):
        return s.Unary("not", children[0], self._sp(meta))

    def compare(self, meta, children):
        return s.Binary(str(children[1]), children[0], children[2], self._sp(meta))

    def binop(self, meta, children):
        return s.Binary(str(children[1]), children[0], children[2], self._sp(meta))

    def unop(self, meta, children):
        return s.Unary(str(children[0]), children[1], self._sp(meta))

    def index(self, meta, children):
        return s.IndexExpr(children[0], children[1], self._sp(meta))

    def field(self, meta, children):
        return s.FieldExpr(children[0], str(children[1]), self._sp(meta))

    def int_lit(self, meta, children):
        # Python refuses to convert decimal strings (either way) of more than sys.get_int_max_str_digits() digits, so
        # a literal far beyond any width or range a spec can use is an error here, not a crash in a later message.
        try:
            value = parse_int(str(children[0]))
        except ValueError:
            value = None
        if value is None or value.bit_length() > MAX_LITERAL_BITS:
            raise SpecError([Diagnostic(self._sp(meta), f"integer literal too large ({len(children[0])} characters;"
                                        f" at most {MAX_LITERAL_BITS} bits)")])
        return s.IntLit(value, self._sp(meta))

    def true_lit(self, meta, children):
        return s.BoolLit(True, self._sp(meta))

    def false_lit(self, meta, children):
        return s.BoolLit(False, self._sp(meta))

    def name(self, meta, children):
        return s.Name(str(children[0]), self._sp(meta))

    def primed_name(self, meta, children):
        return s.Primed(str(children[0]), self._sp(meta))

    def call(self, meta, children):
        return s.CallExpr(str(children[0]), children[1] or (), self._sp(meta))

    def args(self, meta, children):
        return tuple(children)

    def map_comp(self, meta, children):
        return s.MapComp(str(children[0]), children[1], children[2], self._sp(meta))

    def record_lit(self, meta, children):
        return s.RecordExpr(tuple(children), self._sp(meta))

    def field_init(self, meta, children):
        return (str(children[0]), children[1])


def _attach_docs(module: s.ModuleAst, docs: list[Token], source_lines: list[str]) -> s.ModuleAst:
    """Give each declaration the text of the doc comments on the lines just above it (or trailing its first line)."""
    standalone: dict[int, str] = {}  # doc comments alone on their line
    trailing: dict[int, str] = {}  # doc comments after code on the same line
    for tok in docs:
        text = str(tok)[3:]
        text = text[1:] if text.startswith(" ") else text
        line_start = source_lines[tok.line - 1][: tok.column - 1]
        (standalone if not line_start.strip() else trailing)[tok.line] = text
    if not docs:
        return module

    def doc_for(line: int) -> str:
        lines = []
        k = line - 1
        while k in standalone:
            lines.append(standalone[k])
            k -= 1
        lines.reverse()
        if line in trailing:
            lines.append(trailing[line])
        return "\n".join(lines).strip()

    from dataclasses import replace

    decls = tuple(replace(d, doc=doc_for(d.span.line)) for d in module.decls)
    return replace(module, decls=decls, doc=doc_for(module.span.line))


def parse_text(text: str, file: str) -> s.ModuleAst:
    """Parse one .irq source (its lines ended by LF: `modules.source_text`); raise SpecError with every syntax error
    found."""
    docs: list[Token] = []
    parser = lark_parser()
    refuse_deep_nesting(text, file)
    try:
        tree = parser.parse(text, start="start")
    except UnexpectedInput as err:
        raise SpecError(recover_errors(text, file, err)) from None
    # The lexer callbacks of a cached parser cannot be swapped per call, so doc comments are found by re-lexing; the
    # lexer is fast and this keeps the parse itself free of per-file state.
    for tok in parser.lex(text, dont_ignore=True):
        if tok.type == "DOC_COMMENT":
            docs.append(tok)
    module = _transform(tree, text, file)
    return _attach_docs(module, docs, text.split("\n"))


def _transform(tree: Any, text: str, file: str) -> Any:
    """The syntax tree of a parse tree; the errors the transformer finds (a literal too large, a tree too deep for
    Python's stack) raised as SpecError."""
    try:
        return _ToSyntax(file).transform(tree)
    except RecursionError:
        raise SpecError([too_deep(text, file)]) from None
    except VisitError as err:  # a transformer bug, not a user error: keep the original exception
        if isinstance(err.orig_exc, SpecError):  # a literal the transformer rejects
            raise err.orig_exc from None
        if isinstance(err.orig_exc, RecursionError):
            raise SpecError([too_deep(text, file)]) from None
        raise err.orig_exc from None


def parse_override(text: str, name: str) -> tuple[s.ConstItem, ...]:
    """Parse the value of `-D NAME=VALUE` as a constant's items: an expression, a range `lo..hi`, or a
    comma-separated list of values and ranges (a set: `0x20,0x28,0x30..0x31`)."""
    file = f"-D {name}"
    refuse_deep_nesting(text, file)
    try:
        tree = lark_parser().parse(text, start="override_value")
    except UnexpectedInput as err:
        raise SpecError([syntax_diagnostic(err, text, file, 0, "override_value")]) from None
    return _transform(tree, text, file)
