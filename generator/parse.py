"""Text -> syntax tree, with positions.

The grammar is grammar/irqspec.lark (LALR). A Lark Transformer builds `generator.syntax` nodes, one method per rule.
Doc comments (`--- text`) are collected by a lexer callback and attached to the declaration that follows them.
After a syntax error the file is cut at every line that starts with a declaration keyword and each piece is parsed on
its own, so that every broken declaration is reported, in source order. A syntax error gets a hint when it looks like a
habit from TLA+ or Python (`_HABITS`), a misspelled keyword, or a common mistake (`_MISTAKES`). Before the parse, a
cheap scan refuses text that certainly nests deeper than MAX_NESTING (check.py measures the exact depth).

Lines end at LF only, as the lexer counts them: callers pass text through `modules.source_text` first.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import syntax as s
from .diagnostics import Diagnostic, Span, SpecError
from .semantics import MAX_INT_BITS

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


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("grammar").joinpath("irqspec.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                start=["start", "decl_chunk", "override_value"], cache=True)


def _span(file: str, meta_or_token: Any) -> Span:
    return Span(file, meta_or_token.line, meta_or_token.column,
                getattr(meta_or_token, "end_line", meta_or_token.line) or meta_or_token.line,
                getattr(meta_or_token, "end_column", meta_or_token.column) or meta_or_token.column)


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


def _matches_examples(err: UnexpectedInput, start: str, examples: dict[str, list[str]]) -> str:
    """The label of the examples whose error happens in the same parser state as `err` ("" when none does).

    Lark compares parser states by stack depth, so the examples are parsed from the same start symbol as the text that
    failed: whole files for "start", and, for a declaration parsed on its own, the examples without their module header.
    """
    parser = _parser()
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
def _keyword_terminals() -> dict[str, str]:
    """Terminal name -> keyword, for every keyword of the grammar (INVARIANT -> invariant)."""
    out = {}
    for terminal in _parser().terminals:
        if terminal.pattern.type == "str" and terminal.pattern.value.isalpha():
            out[terminal.name] = terminal.pattern.value
    return out


def _keyword_hint(err: UnexpectedInput, text: str) -> str:
    """'did you mean' for a misspelled keyword: the unexpected name itself, when a keyword close to it could stand there
    (`invarient i: ...`, `requries`), or the name just before it, when that name is close to a keyword that a name
    follows (`foral c in ...` is read as the name `foral`, and the parser stops at `c`)."""
    if not isinstance(err, UnexpectedToken) or err.token.type != "NAME" or err.token.start_pos is None:
        return ""
    keywords = _keyword_terminals()
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


def _hint(err: UnexpectedInput, text: str, start: str) -> str:
    """The most specific hint for a syntax error: a habit from another language, a misspelled keyword, then a common
    mistake recognised by its parser state alone."""
    return _habit_hint(err, text, start) or _keyword_hint(err, text) or _matches_examples(err, start, _MISTAKES)


def _shown_char(char: str) -> str:
    """A character as the user wrote it, in quotes; one that does not print (a control character, a byte-order mark)
    by its code point."""
    return f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"


def _syntax_diagnostic(err: UnexpectedInput, text: str, file: str, line_offset: int, start: str = "start",
                       cut: tuple[int, int, str] | None = None) -> Diagnostic:
    """`text` is what was parsed (the whole file or one piece of it). `cut` is (line, column, word) of the declaration
    that follows a piece parsed on its own: an end of input there is reported as that word, which is what the whole
    file has at that point."""
    line = (err.line if err.line > 0 else 1) + line_offset
    column = err.column if err.column > 0 else 1
    hint = _hint(err, text, start)
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
    parser = _parser()
    _refuse_deep_nesting(text, file)
    try:
        tree = parser.parse(text, start="start")
    except UnexpectedInput as err:
        raise SpecError(_recover_errors(text, file, err)) from None
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
        raise SpecError([_too_deep(text, file)]) from None
    except VisitError as err:  # a transformer bug, not a user error: keep the original exception
        if isinstance(err.orig_exc, SpecError):  # a literal the transformer rejects
            raise err.orig_exc from None
        if isinstance(err.orig_exc, RecursionError):
            raise SpecError([_too_deep(text, file)]) from None
        raise err.orig_exc from None


# ------------------------------------------------------------------------------------------------------- nesting

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
    keywords = frozenset(_keyword_terminals().values())
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


def _refuse_deep_nesting(text: str, file: str) -> None:
    found = _certainly_too_deep(text)
    if found is None:
        return
    offset, op = found
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    width = max(1, len(op))
    raise SpecError([Diagnostic(Span(file, line, column, line, column + width), TOO_DEEP, nest_less_hint(op))])


def _too_deep(text: str, file: str) -> Diagnostic:
    """The error for a spec nested deeper than the syntax tree can be built on Python's stack, where the scan before
    the parse did not see it: placed at the most deeply nested opening bracket or `if`."""
    depth = deepest = 0
    where: Token | None = None
    for tok in _parser().lex(text):
        if tok in ("(", "[", "{", "if"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, tok
        elif tok in (")", "]", "}"):
            depth -= 1
    span = _span(file, where) if where is not None else Span(file, 1, 1)
    return Diagnostic(span, TOO_DEEP, nest_less_hint())


# ----------------------------------------------------------------------------------------------- error recovery


def _recover_errors(text: str, file: str, first: UnexpectedInput) -> list[Diagnostic]:
    """After a syntax error, parse each top-level declaration on its own and report every one that fails."""
    starts = [m.start() for m in _DECL_START.finditer(text)]
    if not starts or len(starts) == 1:
        return [_syntax_diagnostic(first, text, file, 0)]
    diagnostics: list[Diagnostic] = []
    pieces = [(0, starts[1])] + [(a, b) for a, b in zip(starts[1:], starts[2:] + [len(text)])]
    parser = _parser()
    for index, (a, b) in enumerate(pieces):
        chunk = text[a:b]
        line_offset = text.count("\n", 0, a)  # lines end at LF, as the lexer counts them
        start = "start" if index == 0 else "decl_chunk"
        cut = None
        if b < len(text):
            cut = (text.count("\n", 0, b) + 1, 1, _DECL_START.match(text, b).group(0))  # type: ignore[union-attr]
        try:
            parser.parse(chunk, start=start)
        except UnexpectedInput as err:
            diagnostics.append(_syntax_diagnostic(err, chunk, file, line_offset, start, cut))
    return diagnostics or [_syntax_diagnostic(first, text, file, 0)]


def parse_override(text: str, name: str) -> tuple[s.ConstItem, ...]:
    """Parse the value of `-D NAME=VALUE` as a constant's items: an expression, a range `lo..hi`, or a
    comma-separated list of values and ranges (a set: `0x20,0x28,0x30..0x31`)."""
    file = f"-D {name}"
    _refuse_deep_nesting(text, file)
    try:
        tree = _parser().parse(text, start="override_value")
    except UnexpectedInput as err:
        raise SpecError([_syntax_diagnostic(err, text, file, 0, "override_value")]) from None
    return _transform(tree, text, file)
