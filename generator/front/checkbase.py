"""What the checker's parts share: the checking state and diagnostics (`CheckerBase`), scopes, constants, and
helpers over types and syntax trees."""

from __future__ import annotations

import collections
import difflib
import itertools
from dataclasses import dataclass, field
from typing import Callable, Mapping, Union

from .. import ir
from ..ir import BitsType, BoolType, EnumType, IntType, MapType, RecordType
from ..semantics import BUILTINS
from . import narrowing
from . import syntax as s
from .diagnostics import Diagnostic, Span
from .lalr import shadowing_keywords
from .nesting import MAX_NESTING, TOO_DEEP, nest_less_hint

MAX_BITS_WIDTH = 4096
MAX_DOMAIN = 1 << 16

ConstValue = Union[int, bool, IntType]  # IntType: the values of a set constant (a range or runs), named by it


POISONED = ir.BitsType(0)  # the type of a let whose value failed to check; never seen outside the checker

# Names that other languages spell differently, with what irqspec writes: the hint of an unknown name.
OTHER_LANGUAGES = {
    "True": "booleans are written 'true' and 'false' in irqspec",
    "False": "booleans are written 'true' and 'false' in irqspec",
    "TRUE": "booleans are written 'true' and 'false' in irqspec (TLA+'s TRUE)",
    "FALSE": "booleans are written 'true' and 'false' in irqspec (TLA+'s FALSE)",
}


class Abort(Exception):
    """Stops checking the current statement or declaration after its error was recorded."""


@dataclass
class Const:
    value: ConstValue
    type: ir.Type | None  # declared type, if any
    span: Span
    overridden: bool = False


@dataclass
class Scope:
    """Local names (parameters, lets, quantified variables) and what the context allows. Each name maps to its type
    and the uid of its binder: a binder of a name already in scope shadows it (the inner one is meant)."""

    names: dict[str, tuple[ir.Type, int]]
    context: str  # "action", "guard", "init", "property", "def", "type"
    # what the conditions that hold here say about integer expressions (`narrowing`): where a guard, an `if` or the
    # left operand of `and` keeps a value inside a smaller range
    facts: Mapping[ir.Expr, tuple[int, int]] = field(default_factory=dict)

    def child(self, name: str, typ: ir.Type, uid: int) -> "Scope":
        return Scope({**self.names, name: (typ, uid)}, self.context, self.facts)

    def knowing(self, cond: ir.Expr, holds: bool = True) -> "Scope":
        """This scope where `cond` is known to be `holds`."""
        more = narrowing.facts_of(cond, holds, self.facts)
        return Scope(self.names, self.context, narrowing.both(self.facts, more)) if more else self

    def values(self, e: ir.Expr) -> ir.IntType | None:
        """The values integer expression `e` can take here (None: the facts here contradict, the place is never
        reached)."""
        return narrowing.narrowed(e, self.facts)


def kind_name(t: ir.Type) -> str:
    if isinstance(t, BoolType):
        return "bool"
    if isinstance(t, IntType):
        return "int"
    if isinstance(t, BitsType):
        return "bits"
    if isinstance(t, EnumType):
        return "enum"
    if isinstance(t, RecordType):
        return "record"
    return "map"


def describe(t: ir.Type) -> str:
    if isinstance(t, IntType):
        if t.name:
            return f"{t.name} ({t.values_text()})"
        return f"an integer in {t.values_text()}" if t.lo != t.hi else f"the integer {t.lo}"
    if isinstance(t, EnumType):
        return f"enum {t.name}"
    return str(t)


def same_shape(a: ir.Type, b: ir.Type) -> bool:
    """Types whose values can be compared and assigned (integers of any intervals count as one shape)."""
    if isinstance(a, IntType) and isinstance(b, IntType):
        return True
    if isinstance(a, MapType) and isinstance(b, MapType):
        return a.domain == b.domain and same_shape(a.codomain, b.codomain)
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        return len(a.fields) == len(b.fields) and all(
            na == nb and same_shape(ta, tb) for (na, ta), (nb, tb) in zip(a.fields, b.fields))
    return a == b


def width_free(e: s.SExpr) -> bool:
    """An expression whose bit width can only come from its context: a number literal or bit(...) and their mixes."""
    if isinstance(e, s.IntLit):
        return True
    if isinstance(e, s.CallExpr) and e.func == "bit":
        return True
    if isinstance(e, s.Binary) and e.op in ("&", "|", "^", "+", "-"):
        return width_free(e.left) and width_free(e.right) and not (
            isinstance(e.left, s.IntLit) and isinstance(e.right, s.IntLit))
    if isinstance(e, s.Unary) and e.op == "~":
        return True
    return False


def needs_context(e: s.SExpr) -> bool:
    """An expression whose type only its context can tell: a width-free bits expression or a record literal."""
    return width_free(e) or isinstance(e, s.RecordExpr)



class CheckerBase:
    """The state of one check of a spec (declarations seen, types, constants, diagnostics) and the means to
    report; the declaration, statement and expression checkers add their parts of the language."""

    def __init__(self, modules: list[s.ModuleAst], overrides: dict[str, str] | None = None):
        self.modules = modules
        self.root = modules[-1]
        self.overrides = dict(overrides or {})
        self.diags: list[Diagnostic] = []
        self.consts: dict[str, Const] = {}
        self.types: dict[str, ir.Type] = {}
        self.enum_members: dict[str, EnumType] = {}
        self.vars: dict[str, ir.StateVar] = {}
        self.functions: dict[str, ir.Function] = {}
        self.def_decls: dict[str, s.DefDecl] = {}
        self.declared: dict[str, tuple[str, Span]] = {}  # every global name -> (what it is, where)
        self.failed: set[str] = set()  # names whose declaration had an error
        self._uids = itertools.count(1)  # binder identities, in checking order (deterministic)
        # per checked def: the levels its body expands into where it is called, and the defs on its deepest path
        self.def_levels: dict[str, int] = {}
        self.def_chain: dict[str, tuple[str, ...]] = {}

    def uid(self) -> int:
        """A fresh binder identity."""
        return next(self._uids)

    # ------------------------------------------------------------------------------------------------ diagnostics
    def error(self, span: Span, message: str, hint: str = "") -> Abort:
        self.diags.append(Diagnostic(span, message, hint))
        return Abort()

    def unknown(self, name: str, span: Span, what: str, candidates: list[str], of: str = "") -> Abort:
        if name in self.failed:
            return Abort()  # its declaration failed and was reported
        close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else OTHER_LANGUAGES.get(name, "") if not of else ""
        return self.error(span, f"unknown {what} '{name}'" + (f" of {of}" if of else ""), hint)

    def declare(self, name: str, what: str, span: Span) -> bool:
        value_words, type_words = shadowing_keywords()  # where the lexer reads them as keywords (front/lalr.py)
        shadowed = type_words if what == "type" else value_words | type_words if what == "constant" else value_words
        if name in shadowed:
            self.error(span, f"'{name}' is a keyword of irqspec and cannot name a {what}", "choose another name")
            self.failed.add(name)  # its uses are not each an unknown name
            return False
        if name in BUILTINS:
            self.error(span, f"'{name}' is a built-in function and cannot be redeclared")
            return False
        if name in self.declared:
            first_what, first = self.declared[name]
            article = "an" if first_what[0] in "aeiou" else "a"
            self.error(span, f"'{name}' is already declared as {article} {first_what} at {first}")
            return False
        self.declared[name] = (what, span)
        return True

    def guarded(self, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Abort:
            return None

    def nesting(self, node: object) -> dict[int, int] | None:
        """The levels under each node of a declaration's syntax tree (see `tree_levels`), or None after reporting where it
        nests more than MAX_NESTING levels: the checker's recursion and every backend's stay far inside Python's stack.
        A call of a def counts as the levels of the def's body, which the backends expand in place."""
        levels = tree_levels(node, self.def_levels)
        if levels[id(node)] <= MAX_NESTING:
            return levels
        level = 1
        ops: collections.Counter[str] = collections.Counter()  # the binary operators on the way down
        while True:  # down a deepest path, to where it passes the limit
            if isinstance(node, s.CallExpr) and node.func in self.def_levels \
                    and level + self.def_levels[node.func] > MAX_NESTING:
                chain = self.def_chain[node.func]
                shown = chain if len(chain) <= 5 else chain[:3] + ("...",) + chain[-1:]
                self.error(node.span, f"nesting too deep: this call of '{node.func}' nests "
                           f"{level + self.def_levels[node.func]} levels deep once defs are expanded in place "
                           f"({' -> '.join(shown)}); at most {MAX_NESTING}",
                           "the backends expand every def where it is called, so defs calling defs nest as deep as "
                           "all their bodies together: call fewer defs within each other")
                return None
            if level > MAX_NESTING:
                op, count = ops.most_common(1)[0] if ops else ("", 0)
                self.error(node.span, TOO_DEEP, nest_less_hint(op if count > MAX_NESTING // 2 else ""))
                return None
            if isinstance(node, s.Binary):
                ops[node.op] += 1
            node = max(child_nodes(node), key=lambda child: levels[id(child)])
            level += 1

    # ------------------------------------------------------------------------------------------------------- entry
    def _suggest(self, name: str, candidates: list[str]) -> str:
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
        return f"did you mean '{close[0]}'?" if close else ""

# -------------------------------------------------------------------------------------------------------- helpers


def child_nodes(node: object) -> list[object]:
    """The syntax nodes directly inside `node`, in source order (positions and names left out)."""
    out: list[object] = []
    pending = [getattr(node, f) for f in reversed(node.__dataclass_fields__)]  # type: ignore[attr-defined]
    while pending:
        x = pending.pop()
        if isinstance(x, tuple):
            pending.extend(reversed(x))
        elif hasattr(x, "__dataclass_fields__") and not isinstance(x, Span):
            out.append(x)
    return out


def tree_levels(root: object, def_levels: dict[str, int]) -> dict[int, int]:
    """The levels of the syntax tree under each node, by the node's id: 1 for a leaf, one more than its deepest child
    otherwise, and for a call of a def at least one more than the def's body (`def_levels`). Without recursion: what
    it measures may be deeper than Python's stack."""
    levels: dict[int, int] = {}
    pending: list[tuple[object, list[object] | None]] = [(root, None)]
    while pending:
        node, children = pending.pop()
        if children is None:
            children = child_nodes(node)
            pending.append((node, children))
            pending.extend((child, None) for child in children)
            continue
        n = 1 + max((levels[id(child)] for child in children), default=0)
        if isinstance(node, s.CallExpr) and node.func in def_levels:
            n = max(n, 1 + def_levels[node.func])
        levels[id(node)] = n
    return levels


def called_functions(e: s.SExpr) -> list[str]:
    """Names of every function called in a syntax expression (for the call graph of defs)."""
    out: list[str] = []
    pending: list[object] = [e]
    while pending:
        node = pending.pop()
        if isinstance(node, s.CallExpr):
            out.append(node.func)
        pending.extend(child_nodes(node))
    return out


def show_const(v: ConstValue) -> str:
    if isinstance(v, IntType):
        return v.values_text()
    return str(v).lower() if isinstance(v, bool) else str(v)


def set_kind(t: IntType) -> str:
    """What the spec calls a set constant's value: a range when it is contiguous."""
    return "range" if t.runs is None else "set"


def first_outside(lo: int, hi: int, t: IntType) -> int | None:
    """The least integer of lo..hi that is not a value of `t`, or None."""
    v = lo
    for a, b in t.spans():
        if b < v:
            continue
        if a > v:
            break
        v = b + 1  # the runs are not adjacent: the next one starts past b + 1
    return v if v <= hi else None


def constant_value(v: ConstValue) -> object:
    """A constant's value as `ir.Constant` holds it: a range as (lo, hi), any other set as its tuple of runs."""
    if isinstance(v, IntType):
        return (v.lo, v.hi) if v.runs is None else v.runs
    return v


def modified_vars(body: tuple[ir.Stmt, ...]) -> set[str]:
    out: set[str] = set()
    for st in body:
        if isinstance(st, ir.Assign):
            out.add(st.var)
        elif isinstance(st, ir.If):
            out |= modified_vars(st.then) | modified_vars(st.else_)
    return out


def locations_overlap(a: tuple, b: tuple) -> bool:
    """Two assigned locations overlap when one path is a prefix of the other, step by step equal or possibly equal.

    Index steps given by two different literals never meet; steps given by two different expressions may meet at run
    time but are allowed (the later assignment wins), so only syntactically equal steps count as the same."""
    if a[0] != b[0]:
        return False
    for x, y in zip(a[1], b[1]):
        if x != y:
            return False
    return True


def show_location(loc: tuple) -> str:
    out = loc[0] + "'"
    for step in loc[1]:
        if step[0] == "field":
            out += "." + step[1]
        elif step[0] == "index":
            out += f"[{step[1]}]"
        else:
            out += "[...]"
    return out


