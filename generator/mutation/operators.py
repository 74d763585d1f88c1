"""Spec mutants: the mutation sites of a checked spec, each edit applied to the source text and checked again.

A site is found in the IR (an `Op` of a comparison, an integer `Lit`, a chain of `and`, an `Assign`, a `bit(...)` or
a bit index) and placed in the text by the spans the checker gave it; the edit replaces that region and the whole
spec, with the modules it imports, goes through `irqspec.front.frontend.load` again. So every mutant is a spec someone
could have written, typed by the checker itself (intervals, range checks, frames, binder uids); an edit that no
longer checks (a literal now out of range, a bit index that can be negative) is skipped with the checker's reason.

What is mutated: the transition relation only: the guards and bodies of the actions, and the defs they call
(directly or through other defs), wherever those are written (an imported module too). Not the initial state (every
test asserts it, a mutant there is killed by any test), not the properties (they are the question asked of the
spec, not its behaviour), not constants and types (they size the model; -D changes them).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import ir
from ..front.diagnostics import Span, SpecError
from ..front.frontend import load
from ..front.modules import read_source

# The operators, in the order mutants are listed (and taken, round-robin, when a cap applies).
OPERATORS = ("relational", "off_by_one", "dropped_conjunct", "swapped_update", "dropped_update", "wrong_bit")

# How many mutants a run takes by default: enough for every site of the shipped specs (svm_evtinj has 119),
# small enough that a spec with many more sites does not run for hours. See `enumerate_mutants` for which ones.
DEFAULT_LIMIT = 400

_COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
                "ult": "<", "ule": "<=", "ugt": ">", "uge": ">="}
_ORDERED_SYMBOLS = ("==", "!=", "<", "<=", ">", ">=")
_CMP_TOKEN = re.compile(r"==|!=|<=|>=|<|>")
_INT_TOKEN = re.compile(r"0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*")
_ATOMIC = re.compile(r"[A-Za-z0-9_.\[\]()]+")  # no operator, no space: safe to follow with `+ 1`


@dataclass(frozen=True)
class Edit:
    """Replace the text of `file` between offsets `start` and `end` by `text`."""

    file: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mutant:
    """One mutant: `operator` applied at `span` (of the original spec), and the checked IR of the mutated spec.

    `before` and `after` are the source text of the site and what replaces it; `where` says which part of the spec it
    is in (the guard of an action, an update, a def)."""

    id: str
    operator: str
    where: str
    span: Span
    before: str
    after: str
    system: ir.System = field(repr=False, compare=False)

    @property
    def description(self) -> str:
        return f"{self.span.file}:{self.span.line}:{self.span.column}: {self.operator} in {self.where}: " \
               f"`{self.before}` -> `{self.after}`"


@dataclass(frozen=True)
class Skipped:
    """A candidate edit that gave no mutant: `reason` is the checker's first message, or why it was left out."""

    operator: str
    where: str
    span: Span
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class Enumeration:
    mutants: tuple[Mutant, ...]
    skipped: tuple[Skipped, ...]  # edits that do not check, or change the spec's variables or actions
    duplicates: int  # checked edits whose IR is the spec's own or an earlier mutant's
    left_out: int  # checked, distinct mutants beyond the cap


@dataclass(frozen=True)
class _Candidate:
    operator: str
    where: str
    span: Span
    before: str
    after: str
    edits: tuple[Edit, ...]


# ------------------------------------------------------------------------------------------------------ positions


class _Texts:
    """The source of every file of the spec, with span -> offset conversion (lines end at LF, columns 1-based, the
    end column exclusive, as the lexer counts them)."""

    def __init__(self, sources: Mapping[str, str]):
        self.sources = dict(sources)
        self._starts = {}
        for name, text in self.sources.items():
            starts = [0]
            for i, ch in enumerate(text):
                if ch == "\n":
                    starts.append(i + 1)
            self._starts[name] = starts

    def placed(self, span: Span) -> bool:
        return span.file in self.sources and span.line > 0 and span.end_line > 0

    def region(self, span: Span) -> tuple[int, int]:
        starts = self._starts[span.file]
        return starts[span.line - 1] + span.column - 1, starts[span.end_line - 1] + span.end_column - 1

    def text(self, span: Span) -> str:
        start, end = self.region(span)
        return self.sources[span.file][start:end]

    def widened(self, span: Span) -> tuple[int, int]:
        """The region of `span` with the parentheses that enclose exactly it (a parenthesized operand's span does
        not include its parentheses)."""
        text = self.sources[span.file]
        start, end = self.region(span)
        while True:
            i, j = start - 1, end
            while i >= 0 and text[i] in " \t\n":
                i -= 1
            while j < len(text) and text[j] in " \t\n":
                j += 1
            if i >= 0 and j < len(text) and text[i] == "(" and text[j] == ")":
                start, end = i, j + 1
            else:
                return start, end

    def position(self, file: str, offset: int) -> tuple[int, int]:
        starts = self._starts[file]
        line = max(i for i, s in enumerate(starts) if s <= offset)
        return line + 1, offset - starts[line] + 1


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _plus(text: str, delta: int) -> str:
    inner = text if _ATOMIC.fullmatch(text) else f"({text})"
    return f"{inner} + {delta}" if delta > 0 else f"{inner} - {-delta}"


def _literal(value: int, like: str) -> str:
    """`value` written in the base of the literal `like`."""
    if like.startswith("0x"):
        return hex(value)
    if like.startswith("0b"):
        return bin(value)
    return str(value)


# ------------------------------------------------------------------------------------------------------- the scope


def calls_in(node: object, out: set[str]) -> None:
    """Add to `out` the defs that `node` (an expression, a statement, or a tuple of them) calls directly."""
    if isinstance(node, ir.Call):
        out.add(node.func)
    if isinstance(node, tuple):
        for x in node:
            calls_in(x, out)
    elif isinstance(node, (ir.Assign, ir.LetStmt, ir.If, ir.IndexStep, *_EXPRS)) and not isinstance(node, ir.Lit):
        for name in node.__dataclass_fields__:
            if name != "span":
                calls_in(getattr(node, name), out)


_EXPRS = (ir.Lit, ir.Var, ir.Local, ir.Op, ir.Index, ir.Field, ir.Ite, ir.Let, ir.Quant, ir.MapLit, ir.RecordLit,
          ir.Call, ir.Update)


def transition_functions(system: ir.System) -> list[ir.Function]:
    """The defs the actions call, directly or through other defs, in the system's (dependency) order."""
    used: set[str] = set()
    for a in system.actions:
        calls_in((a.guard, a.body), used)
    for f in reversed(system.functions):
        if f.name in used:
            calls_in(f.body, used)
    return [f for f in system.functions if f.name in used]


def _expressions(e: ir.Expr, in_chain: bool = False) -> Iterator[tuple[ir.Expr, bool]]:
    """Every sub-expression with whether it starts a chain of `and` (an `and` whose parent is not one)."""
    is_and = isinstance(e, ir.Op) and e.op == "and"
    yield e, is_and and not in_chain
    for c in ir.children(e):
        yield from _expressions(c, is_and)


@dataclass
class _Region:
    """Where an expression or a block is: its text is mutated in the context `where`."""

    where: str
    exprs: list[ir.Expr]
    blocks: list[tuple[ir.Stmt, ...]]
    assigns: list[tuple[ir.Assign, ir.Type]]  # with the type of the variable assigned


def _walk(stmts: tuple[ir.Stmt, ...], region: _Region, var_types: dict[str, ir.Type]) -> None:
    region.blocks.append(stmts)
    for st in stmts:
        if isinstance(st, ir.Assign):
            region.exprs += [p.index for p in st.path if isinstance(p, ir.IndexStep)] + [st.value]
            region.assigns.append((st, var_types[st.var]))
        elif isinstance(st, ir.LetStmt):
            region.exprs.append(st.value)
        else:
            region.exprs.append(st.cond)
            _walk(st.then, region, var_types)
            _walk(st.else_, region, var_types)


def _regions(system: ir.System) -> list[_Region]:
    var_types = {v.name: v.type for v in system.vars}
    out = []
    for a in system.actions:
        guard = _Region(f"the guard of {a.name}", [a.guard], [], [])
        body = _Region(f"the body of {a.name}", [], [], [])

        _walk(a.body, body, var_types)
        out += [guard, body]
    for f in transition_functions(system):
        out.append(_Region(f"def {f.name}" + (f" ({f.module})" if f.module != system.module else ""), [f.body], [],
                           []))
    return out


# ------------------------------------------------------------------------------------------------------ the sites


def _candidates(system: ir.System, texts: _Texts) -> dict[str, list[_Candidate]]:
    by_op: dict[str, list[_Candidate]] = {op: [] for op in OPERATORS}

    def add(op: str, where: str, span: Span, before: str, after: str, edits: list[Edit]) -> None:
        by_op[op].append(_Candidate(op, where, span, before, after, tuple(edits)))

    def at(file: str, start: int, end: int) -> Span:
        line, column = texts.position(file, start)
        end_line, end_column = texts.position(file, end)
        return Span(file, line, column, end_line, end_column)

    for region in _regions(system):
        where = region.where
        for root in region.exprs:
            for e, chain in _expressions(root):
                if isinstance(e, ir.Op) and e.op in _COMPARISONS and all(texts.placed(a.span) for a in e.args) \
                        and e.args[0].span.file == e.args[1].span.file:
                    _relational(e, where, texts, add, at)
                if isinstance(e, ir.Lit) and isinstance(e.value, int) and not isinstance(e.value, bool) \
                        and texts.placed(e.span):
                    _off_by_one(e, where, texts, add)
                if chain:
                    _dropped_conjunct(e, where, texts, add, at)
                if isinstance(e, ir.Op) and e.op == "bit" and texts.placed(e.args[0].span):
                    _wrong_bit(e.args[0], where, texts, add, "bit(...)")
                if isinstance(e, ir.Index) and isinstance(e.base.type, ir.BitsType) and texts.placed(e.index.span):
                    _wrong_bit(e.index, where, texts, add, "bit test")
        for block in region.blocks:
            assigns = [st for st in block if isinstance(st, ir.Assign) and texts.placed(st.value.span)]
            for i, x in enumerate(assigns):
                for y in assigns[i + 1:]:
                    tx, ty = texts.text(x.value.span), texts.text(y.value.span)
                    if x.target_type != y.target_type or tx == ty or x.value.span.file != y.value.span.file:
                        continue
                    sx, ex = texts.region(x.value.span)
                    sy, ey = texts.region(y.value.span)
                    add("swapped_update", where, x.span, f"{texts.text(x.span)}; {texts.text(y.span)}",
                        f"{_with_value(texts, x, ty)}; {_with_value(texts, y, tx)}",
                        [Edit(x.span.file, sx, ex, ty), Edit(y.span.file, sy, ey, tx)])
        for st, var_type in region.assigns:
            if not texts.placed(st.span):
                continue
            start, end = texts.region(st.span)
            source = texts.sources[st.span.file]
            rest = end
            while rest < len(source) and source[rest] in " \t":
                rest += 1
            if rest < len(source) and source[rest] == ";":
                end = rest + 1
            add("dropped_update", where, st.span, texts.text(st.span), "(removed)",
                [Edit(st.span.file, start, end, "")])
            _wrong_bit_update(st, var_type, where, texts, add)
    files = list(texts.sources)
    for cands in by_op.values():
        cands.sort(key=lambda c: (files.index(c.span.file), c.span.line, c.span.column))
    return by_op


def _with_value(texts: _Texts, st: ir.Assign, value: str) -> str:
    start, _ = texts.region(st.span)
    vs, ve = texts.region(st.value.span)
    whole = texts.text(st.span)
    return whole[:vs - start] + value + whole[ve - start:]


def _relational(e: ir.Op, where: str, texts: _Texts, add, at) -> None:
    left, right = e.args
    file = left.span.file
    _, left_end = texts.widened(left.span)
    right_start, _ = texts.widened(right.span)
    between = texts.sources[file][left_end:right_start]
    tokens = list(_CMP_TOKEN.finditer(between))
    if len(tokens) != 1:
        return
    token = tokens[0]
    start, end = left_end + token.start(), left_end + token.end()
    ordered = isinstance(left.type, (ir.IntType, ir.BitsType))
    choices = _ORDERED_SYMBOLS if ordered else ("==", "!=")
    whole_start, _ = texts.region(left.span)
    _, whole_end = texts.region(right.span)
    span = at(file, whole_start, whole_end)
    before = texts.sources[file][whole_start:whole_end]
    for symbol in choices:
        if symbol == token.group():
            continue
        after = before[:start - whole_start] + symbol + before[end - whole_start:]
        add("relational", where, span, before, after, [Edit(file, start, end, symbol)])


def _off_by_one(e: ir.Lit, where: str, texts: _Texts, add) -> None:
    text = texts.text(e.span)
    start, end = texts.region(e.span)
    value = int(e.value)  # type: ignore[call-overload]
    for delta in (1, -1):
        if value >= 0 > value + delta:
            continue  # a non-negative literal (a vector, a count) never becomes negative
        new = _literal(value + delta, text) if _INT_TOKEN.fullmatch(text) else f"({_plus(text, delta)})"
        add("off_by_one", where, e.span, text, new, [Edit(e.span.file, start, end, new)])


def _dropped_conjunct(e: ir.Expr, where: str, texts: _Texts, add, at) -> None:
    leaves = ir.conjuncts(e)
    if not all(texts.placed(x.span) for x in leaves) or len({x.span.file for x in leaves}) != 1:
        return
    file = leaves[0].span.file
    widened = [texts.widened(x.span) for x in leaves]
    start, end = widened[0][0], widened[-1][1]
    source = texts.sources[file]
    if not _balanced(source[start:end]):
        return
    parts = [source[s:t] for s, t in widened]
    for i, leaf in enumerate(leaves):
        kept = " and ".join(p if p.startswith("(") else f"({p})" for j, p in enumerate(parts) if j != i)
        add("dropped_conjunct", where, leaf.span, parts[i], "(dropped)", [Edit(file, start, end, kept)])


def _wrong_bit(index: ir.Expr, where: str, texts: _Texts, add, what: str) -> None:
    text = texts.text(index.span)
    start, end = texts.region(index.span)
    for delta in (1, -1):
        new = _plus(text, delta)
        add("wrong_bit", f"{where} ({what})", index.span, text, new, [Edit(index.span.file, start, end, new)])


def _wrong_bit_update(st: ir.Assign, var_type: ir.Type, where: str, texts: _Texts, add) -> None:
    """A single bit assigned (`owed'[c][v] = false`): its index off by one."""
    t = var_type
    for step in st.path:
        if isinstance(step, ir.FieldStep):
            assert isinstance(t, ir.RecordType)
            t = t.field_type(step.name)
        elif isinstance(t, ir.MapType):
            t = t.codomain
        elif isinstance(t, ir.BitsType) and texts.placed(step.index.span):
            _wrong_bit(step.index, where, texts, add, "bit update")


# -------------------------------------------------------------------------------------------------------- loading


def _apply(source: str, edits: Sequence[Edit]) -> str:
    for ed in sorted(edits, key=lambda x: x.start, reverse=True):
        source = source[:ed.start] + ed.text + source[ed.end:]
    return source


def _load_variant(system: ir.System, sources: Mapping[str, str], file: str, text: str,
                  defines: Mapping[str, str] | None, include: tuple[Path, ...]) -> ir.System:
    """The checked spec with `file` holding `text`: the root file through `load(text=...)`, an imported one by a copy
    of every file of the spec in a temporary folder, laid out as they are (imports are found beside the importer,
    in its lib/, then in the include folders)."""
    defs = dict(defines or {})
    if file == system.file:
        return load(system.file, defs, include, text=text).system
    paths = {name: Path(name).resolve() for name in sources}
    root = Path(os.path.commonpath([str(p.parent) for p in paths.values()] + [str(Path(d).resolve()) for d in include]))
    with tempfile.TemporaryDirectory(prefix="irqspec-mutant-") as folder:
        copy = Path(folder)
        for name, path in paths.items():
            target = copy / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text if name == file else sources[name], encoding="utf-8")
        moved = tuple(copy / Path(d).resolve().relative_to(root) for d in include)
        loaded = load(copy / paths[system.file].relative_to(root), defs, moved).system
    return replace(loaded, file=system.file)


def _defines_of(system: ir.System) -> dict[str, str]:
    """The -D overrides that made `system`, as written on the command line."""
    out = {}
    for c in system.constants:
        if not c.overridden:
            continue
        v = c.value
        out[c.name] = f"{v[0]}..{v[1]}" if isinstance(v, tuple) else str(v).lower() if isinstance(v, bool) else str(v)
    return out


def _same_interface(a: ir.System, b: ir.System) -> bool:
    return [(v.name, v.type) for v in a.vars] == [(v.name, v.type) for v in b.vars] and \
        [(x.name, [(p.name, p.type) for p in x.params]) for x in a.actions] == \
        [(x.name, [(p.name, p.type) for p in x.params]) for x in b.actions]


def _spec_files(system: ir.System) -> dict[str, str]:
    names = [system.file] + [f.span.file for f in system.functions if f.span.line > 0]
    return {n: read_source(Path(n)) for n in dict.fromkeys(names)}


def enumerate_mutants(system: ir.System, sources: Mapping[str, str] | None = None,
                      defines: Mapping[str, str] | None = None, include: tuple[Path, ...] = (),
                      operators: Sequence[str] | None = None, limit: int | None = DEFAULT_LIMIT) -> Enumeration:
    """Every mutant of `system` (checked by the front end, deduplicated) and what was skipped.

    `sources`: the text of each file of the spec (`Frontend.sources`; default: read from the spans' files); `defines`:
    the -D values `system` was checked with (default: the overridden constants of `system`). Order: by operator (the
    order of OPERATORS), then by position in the text (the root file first, then the imported ones). With more than
    `limit` mutants, they are taken round-robin over the operators (the first of each, then the second of each, ...)
    so that a cap thins every operator rather than dropping the last ones; `left_out` counts the rest."""
    chosen = tuple(operators) if operators is not None else OPERATORS
    unknown = [op for op in chosen if op not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown mutation operator {unknown[0]!r}: choose from {', '.join(OPERATORS)}")
    texts = _Texts(sources if sources is not None else _spec_files(system))
    if defines is None:
        defines = _defines_of(system)
    seen = {replace(system, file=system.file)}
    skipped: list[Skipped] = []
    duplicates = 0
    found: dict[str, list[tuple[_Candidate, ir.System]]] = {op: [] for op in chosen}
    for op, cands in _candidates(system, texts).items():
        if op not in chosen:
            continue
        for c in cands:
            file = c.edits[0].file
            text = _apply(texts.sources[file], c.edits)
            try:
                mutant = _load_variant(system, texts.sources, file, text, defines, include)
            except SpecError as err:
                reason = err.diagnostics[0].message if err.diagnostics else "does not check"
                skipped.append(Skipped(c.operator, c.where, c.span, c.before, c.after, reason))
                continue
            if not _same_interface(system, mutant):
                skipped.append(Skipped(c.operator, c.where, c.span, c.before, c.after,
                                       "changes the spec's variables or actions"))
                continue
            if mutant in seen:
                duplicates += 1
                continue
            seen.add(mutant)
            found[op].append((c, mutant))
    total = sum(len(v) for v in found.values())
    if limit is not None and total > limit:
        taken: dict[str, int] = {op: 0 for op in chosen}
        n = 0
        while n < limit:
            for op in chosen:
                if taken[op] < len(found[op]) and n < limit:
                    taken[op] += 1
                    n += 1
        found = {op: found[op][:taken[op]] for op in chosen}
    out = []
    for op in chosen:
        for c, mutant in found[op]:
            out.append(Mutant(f"M{len(out) + 1}", c.operator, c.where, c.span, c.before, c.after, mutant))
    return Enumeration(tuple(out), tuple(skipped), duplicates, total - len(out))


def mutants(system: ir.System, sources: Mapping[str, str] | None = None, defines: Mapping[str, str] | None = None,
            include: tuple[Path, ...] = (), operators: Sequence[str] | None = None,
            limit: int | None = DEFAULT_LIMIT) -> list[Mutant]:
    """The mutants of `system` (see `enumerate_mutants`, which also says what was skipped)."""
    return list(enumerate_mutants(system, sources, defines, include, operators, limit).mutants)


__all__ = ["DEFAULT_LIMIT", "OPERATORS", "Enumeration", "Mutant", "Skipped", "calls_in", "enumerate_mutants",
           "mutants", "transition_functions"]
