"""IR expressions -> Python expression text, and the naming rules that keep spec identifiers harmless in Python.

Every operator is rendered from its row of `generator.semantics.OPERATORS` (the `python` column), so the generated
model means what the table says. The text produced here is fully parenthesized where precedence could matter.

Naming: a spec identifier becomes a Python identifier through `mangle`, which is deterministic and injective and never
yields a Python keyword, a builtin, a name the generated module or the runtime defines, or a name that starts with an
underscore. Names the generator invents for itself start with an underscore (and, for module-level ones, are checked
against everything taken), so a spec cannot shadow them and they cannot shadow the spec.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field

from .. import ir
from ..semantics import OPERATORS

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Names the generated module binds besides the spec's: runtime imports and the public API of a model.
RUNTIME_NAMES = frozenset({
    "bit", "test_bit", "set_bit", "highest", "lowest", "popcount", "shl", "vector_set", "RangeViolation",
    "ActionInfo", "format_state", "value_to_itf", "value_from_itf", "trace_to_itf", "trace_from_itf", "Step", "Trace",
})
API_NAMES = frozenset({
    "State", "initial_state", "ACTIONS", "INVARIANTS", "LEMMAS", "COVERS", "CONSTANTS", "VAR_NAMES", "VAR_TYPES", "PARAM_TYPES", "SPEC",
    "FUNCTIONS",
    "enabled_actions", "violated_invariants", "check_covers", "step", "to_itf", "from_itf", "state_to_dict",
    "state_from_dict", "trace_to_itf", "trace_from_itf", "invariant_fails_at",
})
# Parameter names of the generated functions.
FIXED_PARAMS = frozenset({"s", "cls", "self", "other", "raw", "values", "action", "params"})
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | RUNTIME_NAMES \
    | API_NAMES | FIXED_PARAMS


class UnsafeName(ValueError):
    """An identifier in the IR that is not a plain ASCII identifier (the parser never produces one)."""


def mangle(name: str) -> str:
    """The Python identifier of a spec identifier.

    Unchanged unless it is reserved (see RESERVED), ends with '_' or starts with '_'; then '_' is appended, and a
    leading underscore is also prefixed with 'u' (so '_x' -> 'u_x_', '__init__' -> 'u__init___'). Injective: a name
    that is changed always ends with '_', one that is kept never does; the spec name is recovered by dropping the
    suffix (and the 'u' prefix when what remains starts with '_').
    """
    if not _IDENT.match(name):
        raise UnsafeName(f"not an identifier: {name!r}")
    if name.startswith("_"):
        return "u" + name + "_"
    if name in RESERVED or name.endswith("_"):
        return name + "_"
    return name


@dataclass
class Namer:
    """Allocates module-level names: those the spec asks for first, then the generator's own."""

    scope_names: set[str] = field(default_factory=set)  # mangled names of state variables and locals
    module_names: set[str] = field(default_factory=set)

    def module(self, base: str, avoid_scope: bool = True) -> str:
        """A fresh module-level name close to `base` (digits are appended on a clash)."""
        taken = self.module_names | (self.scope_names if avoid_scope else set()) | RESERVED
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        self.module_names.add(name)
        return name


# ---------------------------------------------------------------------------------------------------------- literals


def str_literal(text: str) -> str:
    """A Python string literal for any text, pure ASCII (quotes, backslashes, control and non-ASCII escaped)."""
    return ascii(text)


def doc_literal(text: str, indent: str) -> str:
    """A readable triple-quoted docstring literal for `text`, safe whatever the text holds."""
    out = []
    for i, ch in enumerate(text):
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"' and (i == len(text) - 1 or text[i + 1] == '"' or (i > 0 and text[i - 1] == '"')):
            out.append('\\"')
        elif ch == "\n":
            out.append("\n" + indent)
        elif o < 32 or o == 127:
            out.append(f"\\x{o:02x}")
        elif o > 126:
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
        else:
            out.append(ch)
    return '"""' + "".join(out) + '"""'


def comment_text(text: str) -> str:
    """Text that is safe on one comment line (no line breaks, ASCII)."""
    return ascii(text)[1:-1]


def value_literal(value: object, t: ir.Type) -> str:
    """The Python literal of an IR value of type `t`."""
    if isinstance(t, ir.BoolType):
        return "True" if value else "False"
    if isinstance(t, ir.IntType):
        n = int(value)  # type: ignore[call-overload]
        return f"({n})" if n < 0 else str(n)
    if isinstance(t, ir.BitsType):
        n = int(value)  # type: ignore[call-overload]
        return hex(n) if n > 9 else str(n)
    if isinstance(t, ir.EnumType):
        return str_literal(str(value))
    if isinstance(t, ir.RecordType):
        return tuple_text([value_literal(v, ft) for v, (_, ft) in zip(value, t.fields)])  # type: ignore[call-overload]
    if isinstance(t, ir.MapType):
        items = [value_literal(v, t.codomain) for v in value]  # type: ignore[attr-defined]
        if items and all(x == items[0] for x in items):
            return f"({items[0]},) * {len(items)}"
        return tuple_text(items)
    raise TypeError(f"no literal for {t}")


def tuple_text(items: list[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def plain_literal(value: object) -> str:
    """The Python literal of a value whose IR type is not at hand (a constant, a witness): a bool, an int, an enum
    member's name, or a tuple of these."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return str_literal(value)
    if isinstance(value, tuple):
        return tuple_text([plain_literal(v) for v in value])
    raise TypeError(f"no literal for {value!r}")


def domain_text(t: ir.Type) -> str:
    """The Python iterable of a finite domain, in domain order: a set of integers as a tuple of its members, a run
    of three or more written as a starred range (`(32, 40, *range(48, 51))`)."""
    if isinstance(t, ir.IntType):
        if t.runs is None:
            return f"range({t.lo}, {t.hi + 1})"
        items: list[str] = []
        for lo, hi in t.runs:
            items += [value_literal(v, t) for v in range(lo, hi + 1)] if hi - lo < 2 else [f"*range({lo}, {hi + 1})"]
        return tuple_text(items)
    if isinstance(t, ir.EnumType):
        return tuple_text([str_literal(m) for m in t.members])
    if isinstance(t, ir.BoolType):
        return "(False, True)"
    raise TypeError(f"not a finite domain: {t}")


def in_type_text(text: str, t: ir.IntType) -> str:
    """The Python condition that the integer `text` (a name) is a value of `t`: in lo..hi, or in a run of a set."""
    if t.runs is None:
        return f"{t.lo} <= {text} <= {t.hi}"
    return "(" + " or ".join(f"{text} == {value_literal(lo, t)}" if lo == hi else
                             f"{value_literal(lo, t)} <= {text} <= {value_literal(hi, t)}" for lo, hi in t.runs) + ")"


def is_simple(text: str) -> bool:
    """A name or a number: cheap to repeat, no need for a temporary."""
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|\(?-?[0-9]+\)?|0x[0-9a-f]+", text))


# ------------------------------------------------------------------------------------------------------- expressions


def free_locals(e: ir.Expr) -> set[int]:
    """The binder uids of the locals `e` reads that it does not bind itself."""
    if isinstance(e, ir.Local):
        return {e.uid}
    if isinstance(e, (ir.Lit, ir.Var)):
        return set()
    if isinstance(e, ir.Let):
        return free_locals(e.value) | (free_locals(e.body) - {e.uid})
    if isinstance(e, (ir.Quant, ir.MapLit)):
        return free_locals(e.body) - {e.uid}
    out: set[int] = set()
    for child in ir.children(e):
        out |= free_locals(child)
    return out


@dataclass
class ExprCompiler:
    """Renders IR expressions as Python text. `var_names` maps state variables to the Python locals holding their
    pre-state values; `function_names` maps spec functions to module-level names; `enum_positions` gives, for an enum
    type (by its members) or a set of integers (by its runs), the module-level dict from element to position (for
    maps over such domains); `local_names` maps each binder uid to its Python name (see `local_names`)."""

    var_names: dict[str, str]
    function_names: dict[str, str]
    enum_positions: dict[tuple, str]
    local_names: dict[int, str]

    def local(self, uid: int) -> str:
        return self.local_names[uid]

    def expr(self, e: ir.Expr) -> str:
        method = getattr(self, "_" + type(e).__name__.lower())
        return method(e)

    def _lit(self, e: ir.Lit) -> str:
        return value_literal(e.value, e.type)

    def _var(self, e: ir.Var) -> str:
        return self.var_names[e.name]

    def _local(self, e: ir.Local) -> str:
        return self.local(e.uid)

    def _op(self, e: ir.Op) -> str:
        spec = OPERATORS[e.op]
        args = [self.expr(a) for a in e.args]
        width = e.type.width if isinstance(e.type, ir.BitsType) else next(
            (a.type.width for a in e.args if isinstance(a.type, ir.BitsType)), None)
        extra = {} if width is None else {"w": width, "mask": hex((1 << width) - 1)}
        return spec.python.format(*args, **extra)

    def position(self, index: ir.Expr, domain: ir.Type) -> str:
        """The tuple position of map key `index` (a map over lo..hi is indexed with [i - lo], one over a set of
        integers through its position table)."""
        if isinstance(domain, ir.IntType):
            if isinstance(index, ir.Lit):
                return str(ir.domain_position(domain, index.value))
            text = self.expr(index)
            if domain.runs is not None:
                return f"{self.enum_positions[domain.runs]}[{text}]"
            return text if domain.lo == 0 else f"{text} - {domain.lo}" if domain.lo > 0 else f"{text} + {-domain.lo}"
        if isinstance(domain, ir.EnumType):
            if isinstance(index, ir.Lit):
                return str(domain.members.index(str(index.value)))
            return f"{self.enum_positions[domain.members]}[{self.expr(index)}]"
        raise TypeError(f"not a map domain: {domain}")

    def _index(self, e: ir.Index) -> str:
        base = self.expr(e.base)
        t = e.base.type
        if isinstance(t, ir.MapType):
            return f"{base}[{self.position(e.index, t.domain)}]"
        assert isinstance(t, ir.BitsType)
        idx = self.expr(e.index)
        it = e.index.type
        if isinstance(it, ir.IntType) and 0 <= it.lo and it.hi < t.width:
            return f"(({base} >> {idx}) & 1 == 1)"
        return f"test_bit({base}, {idx}, {t.width})"

    def _field(self, e: ir.Field) -> str:
        assert isinstance(e.base.type, ir.RecordType)
        return f"{self.expr(e.base)}[{e.base.type.field_index(e.name)}]"

    def _ite(self, e: ir.Ite) -> str:
        return f"({self.expr(e.then)} if {self.expr(e.cond)} else {self.expr(e.else_)})"

    def _let(self, e: ir.Let) -> str:
        return f"(lambda {self.local(e.uid)}: {self.expr(e.body)})({self.expr(e.value)})"

    def _quant(self, e: ir.Quant) -> str:
        loops = []
        body: ir.Expr = e
        while isinstance(body, ir.Quant) and body.kind == e.kind:
            loops.append(f"for {self.local(body.uid)} in {domain_text(body.domain)}")
            body = body.body
        fn = "all" if e.kind == "forall" else "any"
        return f"{fn}({self.expr(body)} {' '.join(loops)})"

    def _maplit(self, e: ir.MapLit) -> str:
        n = ir.domain_size(e.domain)
        if e.uid not in free_locals(e.body):
            return f"({self.expr(e.body)},) * {n}"
        return f"tuple([{self.expr(e.body)} for {self.local(e.uid)} in {domain_text(e.domain)}])"

    def _recordlit(self, e: ir.RecordLit) -> str:
        return tuple_text([self.expr(v) for v in e.values])

    def _call(self, e: ir.Call) -> str:
        return f"{self.function_names[e.func]}({', '.join(self.expr(a) for a in e.args)})"

    def _update(self, e: ir.Update) -> str:
        """A functional update (built by generator.transition, not by the checker: the relational reading of a partial
        assignment, which the liveness-to-safety monitor of generator/l2s.py compares): the base with one map entry,
        record field or bit replaced."""
        base, value = self.expr(e.base), self.expr(e.value)
        t = e.base.type
        if isinstance(t, ir.BitsType):
            assert e.index is not None
            return f"set_bit({base}, {self.expr(e.index)}, {value}, {t.width})"
        if isinstance(t, ir.RecordType):
            assert e.field_name is not None
            pos = str(t.field_index(e.field_name))
        else:
            assert isinstance(t, ir.MapType) and e.index is not None
            pos = self.position(e.index, t.domain)
        return f"(lambda _b, _i: _b[:_i] + ({value},) + _b[_i + 1:])({base}, {pos})"

    def hoisted(self, e: ir.Expr) -> tuple[list[str], str]:
        """`e` as statements binding its outermost lets (as locals) and the expression that remains."""
        lines = []
        while isinstance(e, ir.Let):
            lines.append(f"{self.local(e.uid)} = {self.expr(e.value)}")
            e = e.body
        return lines, self.expr(e)


# ------------------------------------------------------------------------------------------------------ local names


def expr_binders(e: ir.Expr, out: list[tuple[int, str]]) -> None:
    """Append the (uid, name) of every binder in `e` (lets, quantifiers, map comprehensions), outermost first."""
    if isinstance(e, (ir.Let, ir.Quant, ir.MapLit)):
        out.append((e.uid, e.name))
    for child in ir.children(e):
        expr_binders(child, out)


def local_names(roots: list[tuple[set[str], list[tuple[int, str]]]], spec_names: set[str]) -> dict[int, str]:
    """The Python name of every binder: within one root (a def, an action with its guard and body, a property, an
    init expression) distinct binders get distinct names, so neither a hoisted let nor a parameter named like a
    state variable (whose pre-state value is a local of the same function) can be captured by another.

    Each root comes with the names its generated functions already bind (the state variables' locals in actions
    and properties; nothing in a def). A binder keeps `mangle(name)` when that is free in its root; otherwise it gets `mangle(name)` with the first number
    from 2 that is taken neither there nor by any name of the spec (`spec_names`, every mangled spec identifier), so
    a renamed binder never meets another spec name. Deterministic: roots and binders in the order given."""
    out: dict[int, str] = {}
    for taken, binders in roots:
        used = set(taken)
        for uid, name in binders:
            if uid in out:  # a binder met twice (a let substituted into two places) keeps its name
                used.add(out[uid])
                continue
            base = mangle(name)
            py, n = base, 2
            while py in used or (py != base and py in spec_names):
                py, n = f"{base}{n}", n + 1
            used.add(py)
            out[uid] = py
    return out
