"""Names in the syntax tree, for the language server: every declaration (global or local) as a `Symbol`, every use
of a name resolved to the symbol it means, and the region where each local is visible.

A use is resolved as the checker resolves it (`expressions.e_Name`): the innermost local binder of the name first
(an action's or def's parameter, a let, a quantified or comprehension variable), then the one global namespace of
every module (constants, types, variables, enum members, defs). Each binder is its own `Symbol` object (compared by
identity), so two lets of one name are two symbols. Actions, properties and modules are symbols too, though no
expression names them. Record fields are not resolved: that needs the types the checker computes.

The syntax tree keeps the span of each node, not of each name inside it (`let v = ...`, `action a(...)`): those are
found among the lexer's tokens from the node's start. The lexer also gives the doc comments of locals and enum
members (the parser attaches doc comments to declarations only), by the same rule: `---` lines directly above the
name's line, or one after code on that line.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from lark import Token
from lark.exceptions import LarkError

from .. import ir
from . import syntax as s
from .checkbase import child_nodes
from .diagnostics import Span
from .lalr import lark_parser

# What a symbol is (`Symbol.kind`)
VARIABLE, GHOST_VARIABLE, CONSTANT, TYPE, ENUM_MEMBER, DEF, ACTION = (
    "variable", "ghost variable", "constant", "type", "enum member", "def", "action")
PARAMETER, LET, BOUND, PROPERTY, MODULE = "parameter", "let", "bound variable", "property", "module"
LOCAL_KINDS = frozenset((PARAMETER, LET, BOUND))


@dataclass(frozen=True, eq=False)
class Symbol:
    """A declared name. `decl` is the syntax node that declares it (a VarDecl, a ParamDecl, a LetStmtS or LetExpr,
    a Binder, a MapComp, an EnumTypeExpr for a member, ...), `span` the name itself there."""

    name: str
    kind: str
    span: Span
    decl: object
    doc: str = ""
    scope: Span | None = None  # where a local is visible; None for a global
    owner: str = ""  # the declaration a parameter belongs to, the type an enum member belongs to


@dataclass(frozen=True)
class Reference:
    """A name written in a spec (a use, or the name in its own declaration) and the symbol it means."""

    span: Span
    symbol: Symbol


@dataclass(frozen=True)
class SymbolTable:
    """The symbols of a spec and its imports, and every reference to them, in source order per file."""

    symbols: tuple[Symbol, ...]
    references: tuple[Reference, ...]
    _by_file: dict[str, tuple[list[tuple[int, int]], list[Reference]]] = field(
        default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Reference]] = {}
        for ref in self.references:
            grouped.setdefault(ref.span.file, []).append(ref)
        for file, refs in grouped.items():
            refs.sort(key=lambda r: (r.span.line, r.span.column))
            self._by_file[file] = ([(r.span.line, r.span.column) for r in refs], refs)

    def at(self, file: str, line: int, column: int) -> Reference | None:
        """The reference whose name covers the 1-based position, or ends just before it (the cursor after a name)."""
        keys, refs = self._by_file.get(file, ([], []))
        i = bisect.bisect_right(keys, (line, column))
        if i == 0:
            return None
        sp = refs[i - 1].span
        return refs[i - 1] if sp.line == line and column <= sp.end_column else None

    def globals(self) -> list[Symbol]:
        return [sym for sym in self.symbols if sym.scope is None]

    def visible(self, file: str, line: int, column: int) -> list[Symbol]:
        """The locals visible at a position, innermost first (a shadowed one left out), then every global."""
        here = (line, column)
        inner: dict[str, Symbol] = {}
        locals_ = [sym for sym in self.symbols if sym.scope is not None and sym.scope.file == file
                   and (sym.scope.line, sym.scope.column) <= here <= (sym.scope.end_line, sym.scope.end_column)]
        # the binder that starts last is the innermost: scopes nest
        for sym in sorted(locals_, key=lambda x: (x.scope.line, x.scope.column), reverse=True):  # type: ignore[union-attr]
            inner.setdefault(sym.name, sym)
        return list(inner.values()) + self.globals()


def symbol_table(modules: Iterable[s.ModuleAst], sources: dict[str, str]) -> SymbolTable:
    """Resolve the names of parsed modules (dependency order, the root last, as `modules.load_modules` gives them);
    `sources` holds the text of each module's file, by the file name its spans carry."""
    return _Resolver(list(modules), sources).run()


def let_types(system: ir.System) -> dict[tuple[str, int, int], ir.Type]:
    """The type the checker gave each let, by the (file, line, column) where the let starts."""
    out: dict[tuple[str, int, int], ir.Type] = {}
    pending: list[object] = [e for _, e in system.init]
    pending += [f.body for f in system.functions]
    for a in system.actions:
        pending += [a.guard, *a.body] + ([a.fair_when] if a.fair_when is not None else [])
    pending += [p.expr for p in system.invariants + system.lemmas + system.covers]
    pending += [e for live in system.liveness for e in (live.p, live.q)]
    while pending:
        node = pending.pop()
        if isinstance(node, ir.LetStmt):
            out[(node.span.file, node.span.line, node.span.column)] = node.value.type
            pending.append(node.value)
        elif isinstance(node, ir.Assign):
            pending.append(node.value)
            pending += [step.index for step in node.path if isinstance(step, ir.IndexStep)]
        elif isinstance(node, ir.If):
            pending += [node.cond, *node.then, *node.else_]
        else:
            if isinstance(node, ir.Let):
                out[(node.span.file, node.span.line, node.span.column)] = node.value.type
            pending.extend(ir.children(node))  # type: ignore[arg-type]
    return out


# ------------------------------------------------------------------------------------------------------ the resolver

Scope = dict[str, Symbol]


def _name_span(file: str, line: int, column: int, name: str) -> Span:
    return Span(file, line, column, line, column + len(name))


class _Tokens:
    """The tokens of one file, for the position of a name inside a node and for doc comments."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.names: list[Token] = []
        self.standalone: dict[int, str] = {}  # doc comments alone on their line
        self.trailing: dict[int, str] = {}  # doc comments after code on their line
        lines = text.split("\n")
        try:
            tokens = list(lark_parser().lex(text, dont_ignore=True))
        except LarkError:  # the text parsed, so its tokens lex; this is only a guard
            tokens = []
        for tok in tokens:
            if tok.type == "DOC_COMMENT":
                doc = str(tok)[3:]
                doc = doc.removeprefix(" ")
                before = lines[tok.line - 1][:tok.column - 1]
                (self.trailing if before.strip() else self.standalone)[tok.line] = doc
            elif tok.type not in ("WS", "COMMENT"):
                self.names.append(tok)
        self._keys = [(t.line, t.column) for t in self.names]

    def name_after(self, line: int, column: int, name: str) -> Span:
        """The first token spelled `name` at or after the position (a name may be spelled like a keyword where the
        grammar allows it, so the spelling decides, not the token type); the position itself if there is none."""
        for tok in self.names[bisect.bisect_left(self._keys, (line, column)):]:
            if str(tok) == name:
                return Span(self.file, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column)
        return _name_span(self.file, line, column, name)

    def doc(self, line: int) -> str:
        """The doc comment of a name declared on `line`, as the parser gives a declaration its doc."""
        lines = []
        k = line - 1
        while k in self.standalone:
            lines.append(self.standalone[k])
            k -= 1
        lines.reverse()
        if line in self.trailing:
            lines.append(self.trailing[line])
        return "\n".join(lines).strip()


class _Resolver:
    def __init__(self, modules: list[s.ModuleAst], sources: dict[str, str]):
        self.modules = modules
        self.tokens = {m.file: _Tokens(m.file, sources.get(m.file, "")) for m in modules}
        self.symbols: list[Symbol] = []
        self.references: list[Reference] = []
        self.values: Scope = {}  # the global namespace: constants, types, variables, enum members, defs
        self.module_symbols: dict[str, Symbol] = {}
        self.decl_line = 0  # the first line of the declaration being walked (its trailing doc is its own)
        self.file = ""

    def run(self) -> SymbolTable:
        for module in self.modules:
            self.file = module.file
            self.declare_globals(module)
        for module in self.modules:
            self.file = module.file
            for decl in module.decls:
                self.decl_line = decl.span.line
                try:
                    self.declaration(decl)
                except RecursionError:  # a tree nested deeper than the checker accepts: its names stay unresolved
                    continue
        return SymbolTable(tuple(self.symbols), tuple(self.references))

    # ---------------------------------------------------------------------------------------------- declaring
    def new(self, name: str, kind: str, span: Span, decl: object, doc: str = "", scope: Span | None = None,
            owner: str = "") -> Symbol:
        sym = Symbol(name, kind, span, decl, doc, scope, owner)
        self.symbols.append(sym)
        self.references.append(Reference(span, sym))
        return sym

    def global_(self, name: str, kind: str, span: Span, decl: object, doc: str, owner: str = "") -> Symbol:
        sym = self.new(name, kind, span, decl, doc, owner=owner)
        if kind not in (ACTION, PROPERTY, MODULE):  # names no expression can use
            self.values.setdefault(name, sym)  # the first declaration is the one the checker keeps
        return sym

    def named(self, node: object, name: str) -> Span:
        """The span of `name` written in `node`, at or after the node's start."""
        sp = node.span  # type: ignore[attr-defined]
        return self.tokens[self.file].name_after(sp.line, sp.column, name)

    def local_doc(self, span: Span) -> str:
        return "" if span.line == self.decl_line else self.tokens[self.file].doc(span.line)

    def declare_globals(self, module: s.ModuleAst) -> None:
        sym = self.new(module.name, MODULE, self.named(module, module.name), module, module.doc)
        self.module_symbols.setdefault(module.name, sym)
        for decl in module.decls:
            self.decl_line = decl.span.line
            if isinstance(decl, s.ConstDecl):
                self.global_(decl.name, CONSTANT, self.named(decl, decl.name), decl, decl.doc)
            elif isinstance(decl, s.TypeDecl):
                self.global_(decl.name, TYPE, self.named(decl, decl.name), decl, decl.doc)
            elif isinstance(decl, s.VarDecl):
                for name, span in decl.names:
                    self.global_(name, GHOST_VARIABLE if decl.ghost else VARIABLE, span, decl, decl.doc)
            elif isinstance(decl, s.DefDecl):
                self.global_(decl.name, DEF, self.named(decl, decl.name), decl, decl.doc)
            elif isinstance(decl, s.ActionDecl):
                self.global_(decl.name, ACTION, self.named(decl, decl.name), decl, decl.doc)
            elif isinstance(decl, s.PropDecl):
                self.global_(decl.name, PROPERTY, self.named(decl, decl.name), decl, decl.doc)
            if isinstance(decl, (s.ConstDecl, s.TypeDecl, s.VarDecl)):
                owner = decl.name if isinstance(decl, s.TypeDecl) else ""
                for enum in _enums(decl):
                    for name, span in enum.members:
                        self.global_(name, ENUM_MEMBER, span, enum, self.local_doc(span) or decl.doc, owner)

    # ------------------------------------------------------------------------------------------------ resolving
    def use(self, name: str, span: Span, scope: Scope) -> None:
        sym = scope.get(name) or self.values.get(name)
        if sym is not None:
            self.references.append(Reference(span, sym))

    def at_start(self, node: object, name: str, scope: Scope) -> None:
        """A use of `name` that starts `node` (a call's function, an assignment's variable)."""
        sp = node.span  # type: ignore[attr-defined]
        self.use(name, _name_span(sp.file, sp.line, sp.column, name), scope)

    def declaration(self, d: object) -> None:
        if isinstance(d, s.ImportDecl):
            if d.name in self.module_symbols:
                self.references.append(Reference(self.named(d, d.name), self.module_symbols[d.name]))
        elif isinstance(d, s.ConstDecl):
            if d.type is not None:
                self.type(d.type)
            for item in d.items:
                self.expr(item.lo, {})
                if item.hi is not None:
                    self.expr(item.hi, {})
        elif isinstance(d, (s.TypeDecl, s.VarDecl)):
            self.type(d.type)
        elif isinstance(d, s.InitDecl):
            for a in d.assigns:
                self.at_start(a, a.var, {})
                self.expr(a.value, {})
        elif isinstance(d, s.ActionDecl):
            scope = self.params(d.params, d)
            for e in d.requires + ((d.fair_when,) if d.fair_when is not None else ()):
                self.expr(e, scope)
            self.block(d.body, scope, d.span)
        elif isinstance(d, s.DefDecl):
            scope = self.params(d.params, d)
            self.type(d.result)
            self.expr(d.body, scope)
        elif isinstance(d, s.PropDecl):
            self.expr(d.expr, {})

    def params(self, params: tuple[s.ParamDecl, ...], owner: s.ActionDecl | s.DefDecl) -> Scope:
        scope: Scope = {}
        for p in params:
            self.type(p.type)
            span = _name_span(p.span.file, p.span.line, p.span.column, p.name)  # a parameter starts with its name
            scope[p.name] = self.new(p.name, PARAMETER, span, p, self.local_doc(span), owner.span, owner.name)
        return scope

    def block(self, stmts: tuple[s.SStmt, ...], scope: Scope, region: Span) -> None:
        """Statements in order; a let is visible from itself to the end of `region` (its block, as near as the
        syntax tree tells: blocks have no span of their own)."""
        for st in stmts:
            if isinstance(st, s.AssignStmt):
                self.at_start(st, st.var, scope)
                for sel in st.selectors:
                    if isinstance(sel, s.SelectIndex):
                        self.expr(sel.index, scope)
                self.expr(st.value, scope)
            elif isinstance(st, s.LetStmtS):
                self.expr(st.value, scope)
                span = self.named(st, st.name)
                visible = Span(span.file, st.span.line, st.span.column, region.end_line, region.end_column)
                scope = {**scope, st.name: self.new(st.name, LET, span, st, self.local_doc(span), visible)}
            elif isinstance(st, s.IfStmt):
                self.expr(st.cond, scope)
                then_end = st.else_[0].span if st.else_ else st.span
                self.block(st.then, scope, Span(st.span.file, st.span.line, st.span.column,
                                                then_end.line if st.else_ else then_end.end_line,
                                                then_end.column if st.else_ else then_end.end_column))
                self.block(st.else_, scope, st.span)
            elif isinstance(st, s.MatchStmt):
                self.expr(st.subject, scope)
                for arm in st.arms:
                    self.arm_members(arm)
                    self.block(arm.body, scope, arm.span)  # type: ignore[arg-type]

    def arm_members(self, arm: s.MatchArm) -> None:
        line, column = arm.span.line, arm.span.column
        for member in arm.members:
            span = self.tokens[self.file].name_after(line, column, member)
            self.use(member, span, {})
            line, column = span.end_line, span.end_column

    def type(self, t: object) -> None:
        if isinstance(t, s.NamedType):
            self.use(t.name, t.span, {})
        elif isinstance(t, s.RangeTypeExpr):
            self.expr(t.lo, {})
            self.expr(t.hi, {})
        elif isinstance(t, s.BitsTypeExpr):
            self.expr(t.width, {})
        elif isinstance(t, s.RecordTypeExpr):
            for _, ft, _ in t.fields:
                self.type(ft)
        elif isinstance(t, s.MapTypeExpr):
            self.type(t.domain)
            self.type(t.codomain)

    def expr(self, e: object, scope: Scope) -> None:
        if isinstance(e, s.Name):
            self.use(e.name, e.span, scope)
        elif isinstance(e, s.Primed):
            self.at_start(e, e.name, scope)
        elif isinstance(e, s.CallExpr):
            self.at_start(e, e.func, scope)
            for a in e.args:
                self.expr(a, scope)
        elif isinstance(e, s.LetExpr):
            self.expr(e.value, scope)
            span = self.named(e, e.name)
            sym = self.new(e.name, LET, span, e, self.local_doc(span), e.span)
            self.expr(e.body, {**scope, e.name: sym})
        elif isinstance(e, s.QuantExpr):
            inner = dict(scope)
            for b in e.binders:
                self.type(b.domain)
                span = _name_span(b.span.file, b.span.line, b.span.column, b.name)  # a binder starts with its name
                inner[b.name] = self.new(b.name, BOUND, span, b, self.local_doc(span), e.span)
            self.expr(e.body, inner)
        elif isinstance(e, s.MapComp):
            self.type(e.domain)
            span = self.named(e, e.name)
            sym = self.new(e.name, BOUND, span, e, self.local_doc(span), e.span)
            self.expr(e.body, {**scope, e.name: sym})
        elif isinstance(e, s.MatchExpr):
            self.expr(e.subject, scope)
            for arm in e.arms:
                self.arm_members(arm)
                self.expr(arm.body, scope)
        else:  # literals, operators, indexing, fields, ifs, records: their sub-expressions
            for child in child_nodes(e):
                self.expr(child, scope)


def _enums(decl: object) -> list[s.EnumTypeExpr]:
    """The enum types written in a declaration (a type's, a variable's or a constant's)."""
    out: list[s.EnumTypeExpr] = []
    pending = [decl]
    while pending:
        node = pending.pop()
        if isinstance(node, s.EnumTypeExpr):
            out.append(node)
        pending.extend(child_nodes(node))
    return out
