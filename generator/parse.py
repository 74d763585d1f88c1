"""Text -> syntax tree, with positions.

The grammar is grammar/irqspec.lark (LALR). A Lark Transformer builds `generator.syntax` nodes, one method per rule.
Doc comments (`--- text`) are collected by a lexer callback and attached to the declaration that follows them.
After a syntax error the file is cut at every line that starts with a declaration keyword and each piece is parsed on
its own, so that every broken declaration is reported, in source order.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import syntax as s
from .diagnostics import Diagnostic, Span, SpecError

DECL_KEYWORDS = ("module", "import", "const", "type", "var", "ghost", "init", "action", "def", "invariant", "lemma",
                 "cover")
_DECL_START = re.compile(r"^(?:%s)\b" % "|".join(DECL_KEYWORDS), re.MULTILINE)

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


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("grammar").joinpath("irqspec.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                start=["start", "decl_chunk", "override_value"], cache=True)


def _span(file: str, meta_or_token: Any) -> Span:
    return Span(file, meta_or_token.line, meta_or_token.column,
                getattr(meta_or_token, "end_line", meta_or_token.line) or meta_or_token.line,
                getattr(meta_or_token, "end_column", meta_or_token.column) or meta_or_token.column)


MAX_LITERAL_BITS = 4096


def parse_int(text: str) -> int:
    t = text.replace("_", "")
    if t.startswith(("0x", "0X")):
        return int(t, 16)
    if t.startswith(("0b", "0B")):
        return int(t, 2)
    return int(t, 10)


@v_args(meta=True)
class _ToSyntax(Transformer):
    """One method per grammar rule; each returns the `generator.syntax` node for it."""

    def __init__(self, file: str):
        super().__init__(visit_tokens=False)
        self.file = file

    def _sp(self, meta) -> Span:
        return _span(self.file, meta)

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
        name, typ, (value, hi) = children
        return s.ConstDecl(str(name), typ, value, hi, self._sp(meta))

    def const_value(self, meta, children):
        return (children[0], children[1])

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
        name, params, *requires, body = children
        return s.ActionDecl(str(name), params or (), tuple(requires), body, self._sp(meta))

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


def _describe_expected(expected: set[str]) -> str:
    parser = _parser()
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


def _mistake_hint(err: UnexpectedInput, start: str) -> str:
    """The hint of the common mistake whose example fails in the same parser state as `err`.

    Lark compares parser states by stack depth, so the examples are parsed from the same start symbol as the text that
    failed: whole files for "start", and, for a declaration parsed on its own, the examples without their module header.
    """
    parser = _parser()
    examples = _MISTAKES
    if start != "start":
        examples = {label: [e.removeprefix("module m ") for e in texts] for label, texts in _MISTAKES.items()}
    try:
        label = err.match_examples(lambda text: parser.parse(text, start=start), examples, use_accepts=True)
    except Exception:  # match_examples re-parses the examples; a failure there must not hide the real error
        return ""
    return label or ""


def _syntax_diagnostic(err: UnexpectedInput, file: str, line_offset: int, start: str = "start",
                       cut: tuple[int, int, str] | None = None) -> Diagnostic:
    """`cut` is (line, column, word) of the declaration that follows a piece parsed on its own: an end of input there
    is reported as that word, which is what the whole file has at that point."""
    line = (err.line if err.line > 0 else 1) + line_offset
    column = err.column if err.column > 0 else 1
    hint = _mistake_hint(err, start)
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
        message = f"unexpected character {err.char!r}"
        if err.allowed:
            message += f"; expected {_describe_expected(set(err.allowed))}"
        return Diagnostic(Span(file, line, column, line, column + 1), message, hint)
    if isinstance(err, UnexpectedEOF):
        return Diagnostic(Span(file, line, column), f"unexpected end of file; expected "
                          f"{_describe_expected(set(err.expected))}", hint)
    return Diagnostic(Span(file, line, column), str(err).splitlines()[0], hint)


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
    """Parse one .irq source; raise SpecError with every syntax error found."""
    docs: list[Token] = []
    parser = _parser()
    try:
        tree = parser.parse(text, start="start")
    except UnexpectedInput as err:
        raise SpecError(_recover_errors(text, file, err)) from None
    # The lexer callbacks of a cached parser cannot be swapped per call, so doc comments are found by re-lexing; the
    # lexer is fast and this keeps the parse itself free of per-file state.
    for tok in parser.lex(text, dont_ignore=True):
        if tok.type == "DOC_COMMENT":
            docs.append(tok)
    try:
        module = _ToSyntax(file).transform(tree)
    except RecursionError:
        raise SpecError([_too_deep(parser, text, file)]) from None
    except VisitError as err:  # a transformer bug, not a user error: keep the original exception
        if isinstance(err.orig_exc, SpecError):  # a literal the transformer rejects
            raise err.orig_exc from None
        if isinstance(err.orig_exc, RecursionError):
            raise SpecError([_too_deep(parser, text, file)]) from None
        raise err.orig_exc from None
    return _attach_docs(module, docs, text.splitlines())


def _too_deep(parser: Lark, text: str, file: str) -> Diagnostic:
    """The error for a spec nested deeper than the syntax tree can be built on Python's stack, placed at the most
    deeply nested opening bracket or `if`."""
    depth = deepest = 0
    where: Token | None = None
    for tok in parser.lex(text):
        if tok in ("(", "[", "{", "if"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, tok
        elif tok in (")", "]", "}"):
            depth -= 1
    span = _span(file, where) if where is not None else Span(file, 1, 1)
    return Diagnostic(span, "nesting too deep", "split the expression or the statement into smaller pieces (a def, "
                      "a let) so that it nests less")


def _recover_errors(text: str, file: str, first: UnexpectedInput) -> list[Diagnostic]:
    """After a syntax error, parse each top-level declaration on its own and report every one that fails."""
    starts = [m.start() for m in _DECL_START.finditer(text)]
    if not starts or len(starts) == 1:
        return [_syntax_diagnostic(first, file, 0)]
    diagnostics: list[Diagnostic] = []
    pieces = [(0, starts[1])] + [(a, b) for a, b in zip(starts[1:], starts[2:] + [len(text)])]
    parser = _parser()
    for index, (a, b) in enumerate(pieces):
        chunk = text[a:b]
        line_offset = text.count("\n", 0, a)
        start = "start" if index == 0 else "decl_chunk"
        cut = None
        if b < len(text):
            cut = (text.count("\n", 0, b) + 1, 1, _DECL_START.match(text, b).group(0))  # type: ignore[union-attr]
        try:
            parser.parse(chunk, start=start)
        except UnexpectedInput as err:
            diagnostics.append(_syntax_diagnostic(err, file, line_offset, start, cut))
    return diagnostics or [_syntax_diagnostic(first, file, 0)]


def parse_override(text: str, name: str) -> tuple[s.SExpr, s.SExpr | None]:
    """Parse the value of `-D NAME=VALUE`: an expression or a range `lo..hi`."""
    try:
        tree = _parser().parse(text, start="override_value")
    except UnexpectedInput as err:
        diag = _syntax_diagnostic(err, f"-D {name}", 0, "override_value")
        raise SpecError([diag]) from None
    return _ToSyntax(f"-D {name}").transform(tree)
