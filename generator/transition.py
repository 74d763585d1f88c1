"""An action's body -> one next-state expression per modified variable (the relational reading of an action).

Backends that need the transition as formulas (Z3, the differential tests) use this instead of walking statements:
- `next_values(action)`: for every variable in `action.modifies`, an expression over the pre-state and the
  parameters giving its post-state value; lets are substituted, ifs become `Ite`, partial assignments become `Update`
  chains applied in source order (so when two map entries are assigned through indices that turn out equal, the
  later one wins, as in the generated Python);
- `range_obligations(action)`: for every assignment whose value may leave its target's range, the condition under
  which it runs and the value, so that a backend can report a `range` violation;
- `branch_paths(action)`: for every `if` (by branch_id), the path conditions under which its then- and else-branches
  run, for branch coverage.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import ir
from .ir import BOOL


def substitute(e: ir.Expr, uid: int, value: ir.Expr) -> ir.Expr:
    """Replace the occurrences of the local bound by binder `uid` in `e` by `value`. Locals are resolved by binder
    identity, so no capture can happen: a quantifier inside `e` that binds the same name as a local of `value` has
    another uid, and the locals of `value` keep theirs."""
    if isinstance(e, ir.Local):
        return value if e.uid == uid else e
    if isinstance(e, (ir.Lit, ir.Var)):
        return e
    changes = {}
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        if isinstance(v, (ir.Lit, ir.Var, ir.Local, ir.Op, ir.Index, ir.Field, ir.Ite, ir.Let, ir.Quant, ir.MapLit,
                          ir.RecordLit, ir.Call, ir.Update)):
            changes[f.name] = substitute(v, uid, value)
        elif isinstance(v, tuple) and v and not isinstance(v[0], (str, int)):
            changes[f.name] = tuple(substitute(x, uid, value) for x in v)
    return dataclasses.replace(e, **changes) if changes else e


def and_(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    """`a and b`, with a literal true side dropped (path conditions start from true)."""
    if isinstance(a, ir.Lit) and a.value is True:
        return b
    if isinstance(b, ir.Lit) and b.value is True:
        return a
    return ir.Op("and", (a, b), BOOL)


def not_(a: ir.Expr) -> ir.Expr:
    return ir.Op("not", (a,), BOOL)


def update_path(base: ir.Expr, path: tuple[ir.PathStep, ...], value: ir.Expr) -> ir.Expr:
    """`base` with the part at `path` replaced by `value`: the functional reading of a partial assignment."""
    if not path:
        return value
    step, rest = path[0], path[1:]
    if isinstance(step, ir.FieldStep):
        assert isinstance(base.type, ir.RecordType)
        inner = ir.Field(base, step.name, base.type.field_type(step.name))
        return ir.Update(base, None, step.name, update_path(inner, rest, value), base.type)
    if isinstance(base.type, ir.MapType):
        inner = ir.Index(base, step.index, base.type.codomain)
        return ir.Update(base, step.index, None, update_path(inner, rest, value), base.type)
    # a single bit of a bits[N] value: the value is a bool
    return ir.Update(base, step.index, None, value, base.type)


def close(e: ir.Expr, lets: list[tuple[int, ir.Expr]]) -> ir.Expr:
    """`e` with the locals of `lets` (binder uid, value; later ones may read earlier ones) substituted."""
    for uid, value in reversed(lets):
        e = substitute(e, uid, value)
    return e


def merge(state: dict[str, ir.Expr], cond: ir.Expr, then_state: dict[str, ir.Expr], else_state: dict[str, ir.Expr],
          var_types: dict[str, ir.Type]) -> dict[str, ir.Expr]:
    """The values after an `if` on `cond` whose branches left `then_state` and `else_state`, from `state` before it:
    a variable either branch assigned becomes an `Ite` (or stays one value when both agree)."""
    out = dict(state)
    for var in sorted(set(then_state) | set(else_state)):
        pre = state.get(var, ir.Var(var, var_types[var]))
        t, e = then_state.get(var, pre), else_state.get(var, pre)
        out[var] = t if t == e else ir.Ite(cond, t, e, t.type)
    return out


@dataclass(frozen=True)
class RangeObligation:
    var: str
    when: ir.Expr  # the path condition under which the assignment runs (lets substituted)
    value: ir.Expr
    target: ir.IntType
    span: object


@dataclass(frozen=True)
class Effect:
    """One assignment of an action: under `when` (its path condition), the part `before` of the pre-state (the
    variable at the assignment's path) gets `after` (lets substituted)."""

    var: str
    when: ir.Expr
    before: ir.Expr
    after: ir.Expr
    span: object


@dataclass(frozen=True)
class Relation:
    next_values: tuple[tuple[str, ir.Expr], ...]  # (var, next value) for each modified variable, declaration order
    range_obligations: tuple[RangeObligation, ...]
    branch_paths: tuple[tuple[int, ir.Expr, ir.Expr], ...]  # (branch_id, then-path condition, else-path condition)
    effects: tuple[Effect, ...] = ()  # every assignment, in source order


def relation(system: ir.System, action: ir.Action) -> Relation:
    """Turn an action body into next-state expressions, range obligations and branch path conditions."""
    current: dict[str, ir.Expr] = {}
    obligations: list[RangeObligation] = []
    branches: list[tuple[int, ir.Expr, ir.Expr]] = []
    effects: list[Effect] = []

    def run(stmts: tuple[ir.Stmt, ...], cond: ir.Expr, lets: list[tuple[int, ir.Expr]],
            state: dict[str, ir.Expr], system_vars: dict[str, ir.Type]) -> dict[str, ir.Expr]:
        state = dict(state)
        lets = list(lets)
        for st in stmts:
            if isinstance(st, ir.LetStmt):
                lets.append((st.uid, close(st.value, lets)))
            elif isinstance(st, ir.Assign):
                base = state.get(st.var, ir.Var(st.var, system_vars[st.var]))
                path = tuple(ir.IndexStep(close(p.index, lets)) if isinstance(p, ir.IndexStep) else p for p in st.path)
                value = close(st.value, lets)
                state[st.var] = update_path(base, path, value)
                effects.append(Effect(st.var, cond, _part(ir.Var(st.var, system_vars[st.var]), path), value,
                                      st.span))
                if st.range_checked:
                    assert isinstance(st.target_type, ir.IntType)
                    obligations.append(RangeObligation(st.var, cond, value, st.target_type, st.span))
            elif isinstance(st, ir.If):
                c = close(st.cond, lets)
                then_cond, else_cond = and_(cond, c), and_(cond, not_(c))
                branches.append((st.branch_id, then_cond, else_cond))
                then_state = run(st.then, then_cond, lets, state, system_vars)
                else_state = run(st.else_, else_cond, lets, state, system_vars)
                state = merge(state, c, then_state, else_state, system_vars)
        return state

    var_types = {v.name: v.type for v in system.vars}
    final = run(action.body, ir.Lit(True, BOOL), [], current, var_types)
    ordered = tuple((v, final[v]) for v in action.modifies)
    return Relation(ordered, tuple(obligations), tuple(sorted(branches, key=lambda b: b[0])), tuple(effects))


def _part(base: ir.Expr, path: tuple[ir.PathStep, ...]) -> ir.Expr:
    """The part of `base` an assignment's path selects (a field, a map entry, a bit)."""
    for step in path:
        if isinstance(step, ir.FieldStep):
            assert isinstance(base.type, ir.RecordType)
            base = ir.Field(base, step.name, base.type.field_type(step.name))
        elif isinstance(base.type, ir.MapType):
            base = ir.Index(base, step.index, base.type.codomain)
        else:
            base = ir.Index(base, step.index, BOOL)
    return base
