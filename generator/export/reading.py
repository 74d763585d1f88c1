"""What every export reads off the IR beside its expressions: the named types in dependency order, every
expression of the spec, and an action as one next-state expression per variable it assigns with its lets kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import ir
from ..transition import update_path


def type_key(t: ir.Type) -> tuple:
    """A type with its display name: IR types compare without their names, but the module defines one operator per
    named type (`Vector == 0..255` and `TPR_WRITES == 0..255` both)."""
    return (t, getattr(t, "name", ""))


def properties(system: ir.System) -> tuple[ir.Property, ...]:
    return system.invariants + system.lemmas + system.covers


def constant_type(value: object) -> ir.Type:
    return ir.BOOL if isinstance(value, bool) else ir.IntType(int(value), int(value))  # type: ignore[call-overload]


def named_types(system: ir.System) -> list[ir.Type]:
    """Every named type the spec's variables, parameters, defs, binders and properties use, each after the named
    types it is built from."""
    out: list[ir.Type] = []
    seen: set[tuple] = set()

    def visit(t: ir.Type) -> None:
        if isinstance(t, ir.RecordType):
            for _, ft in t.fields:
                visit(ft)
        elif isinstance(t, ir.MapType):
            visit(t.domain)
            visit(t.codomain)
        if getattr(t, "name", "") and type_key(t) not in seen:
            seen.add(type_key(t))
            out.append(t)

    for v in system.vars:
        visit(v.type)
    for a in system.actions:
        for p in a.params:
            visit(p.type)
    for f in system.functions:
        for p in f.params:
            visit(p.type)
    for p in system.liveness:
        for b in p.binders:
            visit(b.type)
    binders: list[ir.Expr] = []
    for e in all_exprs(system):
        _collect_binders(e, binders)
    for b in binders:
        visit(b.domain)  # type: ignore[union-attr]
    return out


def _collect_binders(e: ir.Expr, out: list[ir.Expr]) -> None:
    if isinstance(e, (ir.Quant, ir.MapLit)):
        out.append(e)
    for child in ir.children(e):
        _collect_binders(child, out)


def all_exprs(system: ir.System):
    for _, e in system.init:
        yield e
    for f in system.functions:
        yield f.body
    for a in system.actions:
        yield a.guard
        if a.fair_when is not None:
            yield a.fair_when
        yield from _stmt_exprs(a.body)
    for p in properties(system):
        yield p.expr
    for p in system.liveness:
        yield p.p
        yield p.q


def _stmt_exprs(stmts: tuple[ir.Stmt, ...]):
    for st in stmts:
        if isinstance(st, ir.Assign):
            yield st.value
            yield from (p.index for p in st.path if isinstance(p, ir.IndexStep))
        elif isinstance(st, ir.LetStmt):
            yield st.value
        else:
            yield st.cond
            yield from _stmt_exprs(st.then)
            yield from _stmt_exprs(st.else_)


def next_values(system: ir.System, action: ir.Action) -> tuple[list[ir.LetStmt], dict[str, ir.Expr]]:
    """The action's lets (all of them, in source order: each is defined in the whole body, and TLA+ evaluates a LET
    definition only where it is used) and each modified variable's next value over the pre-state, the parameters and
    the lets: generator.transition's reading without substituting the lets, so an export keeps their names."""
    var_types = {v.name: v.type for v in system.vars}
    lets: list[ir.LetStmt] = []

    def run(stmts: tuple[ir.Stmt, ...], state: dict[str, ir.Expr]) -> dict[str, ir.Expr]:
        state = dict(state)
        for st in stmts:
            if isinstance(st, ir.LetStmt):
                lets.append(st)
            elif isinstance(st, ir.Assign):
                base = state.get(st.var, ir.Var(st.var, var_types[st.var]))
                state[st.var] = update_path(base, st.path, st.value)
            else:
                then_state, else_state = run(st.then, state), run(st.else_, state)
                for var in sorted(set(then_state) | set(else_state)):
                    pre = state.get(var, ir.Var(var, var_types[var]))
                    t, e = then_state.get(var, pre), else_state.get(var, pre)
                    state[var] = t if t == e else ir.Ite(st.cond, t, e, t.type)
        return state

    final = run(action.body, {})
    return lets, {v: final[v] for v in action.modifies}


def bits_runs(value: int) -> list[tuple[int, int]]:
    """The runs (first, last) of set bits of a bits[N] value, lowest first."""
    runs: list[tuple[int, int]] = []
    i = 0
    while value >> i:
        if (value >> i) & 1:
            j = i
            while (value >> (j + 1)) & 1:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def flatten(e: ir.Expr, op: str, out: list[ir.Expr]) -> None:
    """The operands of a chain of `op` (and, or), left to right."""
    if isinstance(e, ir.Op) and e.op == op:
        for a in e.args:
            flatten(a, op, out)
    else:
        out.append(e)


def bits_width(e: ir.Op) -> int | None:
    """The width of the bits[N] operand or result of an operator, None when it has none."""
    if isinstance(e.type, ir.BitsType):
        return e.type.width
    return next((a.type.width for a in e.args if isinstance(a.type, ir.BitsType)), None)


def within(t: ir.Type, width: int) -> bool:
    """Whether every value of the integer type `t` is a bit index of bits[width]."""
    return isinstance(t, ir.IntType) and 0 <= t.lo and t.hi < width


@dataclass
class Scope:
    """The names of bound variables (parameters, lets, quantified and comprehension variables) in the definition
    being written. TLA+ and Quint both refuse a bound name that a module-level name (`taken`) or a binder around it
    already has, so `bind` gives `name`, or `name_`, `name_2`, ... until it is free; binders that are not nested
    may share a name. `legal` spells a spec name in the target language."""

    taken: set[str]
    legal: Callable[[str], str]
    names: dict[int, str] = field(default_factory=dict)  # binder uid -> its name
    around: list[str] = field(default_factory=list)  # the names bound around the text being written

    def start(self) -> None:
        """A new definition: nothing bound."""
        self.names = {}
        self.around = []

    def bind(self, uid: int, name: str) -> str:
        """Name the binder `uid` and put it in scope, until `unbind`."""
        base = self.legal(name)
        candidate, n = base, 2
        if candidate in self.taken or candidate in self.around:
            candidate = base + "_"
        while candidate in self.taken or candidate in self.around:
            candidate, n = f"{base}_{n}", n + 1
        self.names[uid] = candidate
        self.around.append(candidate)
        return candidate

    def unbind(self, count: int = 1) -> None:
        del self.around[len(self.around) - count:]

    def fresh(self, name: str) -> str:
        """A bound name for the exporter's own comprehensions (`{i \\in 0..255 : ...}`), in scope until `unbind`."""
        return self.bind(-1 - len(self.around), name)


@dataclass
class ModuleNames:
    """A module's names. `claim` gives a spec name its own spelling (`legal`) where that is free; `fresh` gives the
    exporter's own definitions (Init, Next, helpers) a name that no spec name takes. `spec_names` holds every name
    the spec declares, claimed or not yet, so that a renamed one never lands on another."""

    spec_names: set[str]
    legal: Callable[[str], str]
    reserved: frozenset[str]
    taken: set[str] = field(default_factory=set)

    def claim(self, name: str) -> str:
        base = self.legal(name)
        out, n = base, 2
        while out in self.taken or (out != name and out in self.spec_names):
            out, n = f"{base}_{n}", n + 1
        self.taken.add(out)
        return out

    def fresh(self, base: str) -> str:
        out, n = base, 2
        while out in self.taken or out in self.spec_names or out in self.reserved:
            out, n = f"{base}_{n}", n + 1
        self.taken.add(out)
        return out
