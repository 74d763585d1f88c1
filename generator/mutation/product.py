"""The product of a spec and a mutant: both in lockstep, and the properties that say they cannot be told apart.

The product's state is the spec's variables and a renamed copy of them for the mutant (`m__irr`); each action of
the product is the spec's action and the mutant's taken together with the same parameters, when both can take it.
Its invariants, the *agreement*, are what a test can observe:
- `agree:var:X`: the two copies of each observed variable are equal (a test compares every variable of every state);
- `agree:action:A`: for every instance of action A, the spec's and the mutant's guards agree, and so do whether the
  step stays inside the declared ranges (a test replays a step only when its guard holds, and the generated model
  raises RangeViolation on a step that leaves a range).
A run that breaks the agreement is a distinguishing trace (BMC gives the shortest); an agreement proved inductive
(by the prove engines, unbounded) proves the mutant equivalent: no test of the spec's variables and actions can tell
it from the spec.

Binder identities stay unique: the mutant's binders are renumbered above the spec's, except its action parameters,
which become the spec's (one parameter drives both copies). Defs the mutant changed (and the defs that call them)
are copied under the prefix too; the others are shared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .. import ir, transition
from ..ir import BOOL
from .operators import calls_in

VAR_PREFIX = "agree:var:"
ACTION_PREFIX = "agree:action:"


@dataclass(frozen=True)
class Product:
    system: ir.System
    prefix: str  # of the mutant's copy of each variable and changed def
    observed: tuple[str, ...]  # the variables the agreement compares
    properties: tuple[str, ...]  # the agreement invariants, by name


_NODES = (ir.Lit, ir.Var, ir.Local, ir.Op, ir.Index, ir.Field, ir.Ite, ir.Let, ir.Quant, ir.MapLit, ir.RecordLit,
          ir.Call, ir.Update, ir.IndexStep, ir.FieldStep, ir.Assign, ir.LetStmt, ir.If, ir.Param)


def _uids(node: object, out: list[int]) -> None:
    if isinstance(node, tuple):
        for x in node:
            _uids(x, out)
        return
    if not isinstance(node, _NODES) or isinstance(node, ir.Lit):
        return
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if f.name == "uid":
            out.append(v)
        elif f.name != "span":
            _uids(v, out)


def max_uid(system: ir.System) -> int:
    found: list[int] = [0]
    _uids((tuple(e for _, e in system.init), tuple(f.params for f in system.functions),
           tuple(f.body for f in system.functions), tuple(a.params for a in system.actions),
           tuple(a.guard for a in system.actions), tuple(a.body for a in system.actions),
           tuple(p.expr for p in (*system.invariants, *system.lemmas, *system.covers))), found)
    return max(found)


class _Renamer:
    """The mutant's IR as the product's copy: variables and changed defs prefixed, binders renumbered."""

    def __init__(self, prefix: str, uid_map: dict[int, int], offset: int, renamed: set[str], branch_offset: int = 0):
        self.prefix = prefix
        self.uid_map = uid_map
        self.offset = offset
        self.renamed = renamed
        self.branch_offset = branch_offset

    def uid(self, u: int) -> int:
        return self.uid_map.get(u, u + self.offset)

    def __call__(self, node):
        if isinstance(node, tuple):
            return tuple(self(x) for x in node)
        if not isinstance(node, _NODES) or isinstance(node, ir.Lit):
            return node
        changes = {}
        for f in dataclasses.fields(node):
            if f.name == "span":
                continue
            v = getattr(node, f.name)
            if f.name == "uid":
                changes["uid"] = self.uid(v)
            elif isinstance(v, (tuple, *_NODES)):
                changes[f.name] = self(v)
        if isinstance(node, ir.Var):
            changes["name"] = self.prefix + node.name
        elif isinstance(node, ir.Assign):
            changes["var"] = self.prefix + node.var
        elif isinstance(node, ir.Call) and node.func in self.renamed:
            changes["func"] = self.prefix + node.func
        elif isinstance(node, ir.If):
            changes["branch_id"] = node.branch_id + self.branch_offset
        return dataclasses.replace(node, **changes)


def _and(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    if isinstance(a, ir.Lit) and a.value is True:
        return b
    if isinstance(b, ir.Lit) and b.value is True:
        return a
    return ir.Op("and", (a, b), BOOL)


def _in_range(system: ir.System, action: ir.Action, fresh) -> ir.Expr:
    """The condition that the action's step leaves no declared range (over the pre-state and the parameters)."""
    out: ir.Expr = ir.Lit(True, BOOL)
    for ob in transition.relation(system, action).range_obligations:
        # inside one of the target's runs (a set type) or its lo..hi; every occurrence of the value after the first
        # gets fresh binders, so that no binder uid is bound twice in one expression
        inside: ir.Expr | None = None
        first = True
        for lo, hi in (ob.target.runs or ((ob.target.lo, ob.target.hi),)):
            low = ob.value if first else _fresh_binders(ob.value, fresh)
            first = False
            run = ir.Op("and", (ir.Op("le", (ir.Lit(lo, ir.IntType(lo, lo)), low), BOOL),
                                ir.Op("le", (_fresh_binders(ob.value, fresh), ir.Lit(hi, ir.IntType(hi, hi))), BOOL)),
                        BOOL)
            inside = run if inside is None else ir.Op("or", (inside, run), BOOL)
        assert inside is not None
        out = _and(out, ir.Op("or", (ir.Op("not", (ob.when,), BOOL), inside), BOOL))
    return out


def _branches(stmts: tuple[ir.Stmt, ...]) -> int:
    """One more than the highest branch_id in `stmts` (0 when there is no `if`)."""
    n = 0
    for st in stmts:
        if isinstance(st, ir.If):
            n = max(n, st.branch_id + 1, _branches(st.then), _branches(st.else_))
    return n


def _prefix(spec: ir.System, mutant: ir.System) -> str:
    names = {v.name for v in spec.vars} | {f.name for f in (*spec.functions, *mutant.functions)}
    prefix = "m__"
    while any(n.startswith(prefix) for n in names):
        prefix = "m" + prefix
    return prefix


def build_product(spec: ir.System, mutant: ir.System, observed: Sequence[str] | None = None,
                  assume_invariants: bool = False) -> Product:
    """The product of `spec` and `mutant` (same variables and actions, as `generator.mutation.operators` makes them)
    with the agreement over `observed` (default: every variable, ghosts too: the generated tests compare them all).

    `assume_invariants`: the spec's invariants join its lemmas in the product, as lemmas of the spec's copy. Pass it
    only when the spec's invariants are proved: the spec copy of a product state reached is a state of the spec
    reached (the product takes a step only when the spec can), so they hold there, and an equivalence proof may lean
    on them (svm_evtinj's lemma exitintinfo_not_in_shadow is inductive only together with no_delivery_in_shadow)."""
    prefix = _prefix(spec, mutant)
    obs = tuple(observed) if observed is not None else tuple(v.name for v in spec.vars)
    spec_top = max_uid(spec)
    offset = spec_top + 1
    fresh = iter(range(offset + max_uid(mutant) + 1, 1 << 62))
    uid_map = {mp.uid: sp.uid for sa, ma in zip(spec.actions, mutant.actions) for sp, mp in zip(sa.params, ma.params)}

    spec_functions = {f.name: f for f in spec.functions}
    renamed: set[str] = set()
    for f in mutant.functions:
        used: set[str] = set()
        calls_in(f.body, used)
        if spec_functions.get(f.name) != f or used & renamed:
            renamed.add(f.name)
    rename = _Renamer(prefix, uid_map, offset, renamed)
    copies = tuple(dataclasses.replace(f, name=prefix + f.name, params=rename(f.params), body=rename(f.body))
                   for f in mutant.functions if f.name in renamed)

    actions, agreement = [], []
    var_types = {v.name: v.type for v in spec.vars}
    for v in obs:
        t = var_types[v]
        agreement.append(ir.Property("invariant", VAR_PREFIX + v,
                                     ir.Op("eq", (ir.Var(v, t), ir.Var(prefix + v, t)), BOOL),
                                     f"the spec's and the mutant's {v} are equal"))
    for sa, ma in zip(spec.actions, mutant.actions):
        body_rename = _Renamer(prefix, uid_map, offset, renamed, _branches(sa.body))
        s_ok = _fresh_binders(_in_range(spec, sa, fresh), fresh)
        m_ok = _fresh_binders(rename(_in_range(mutant, ma, fresh)), fresh)
        m_guard = rename(ma.guard)
        guard = _and(_and(sa.guard, s_ok), _and(m_guard, m_ok))
        body = sa.body + body_rename(ma.body)
        modifies = sa.modifies + tuple(prefix + v for v in ma.modifies)
        actions.append(dataclasses.replace(sa, guard=guard, body=body, modifies=modifies))
        same: ir.Expr = ir.Op("eq", (sa.guard, m_guard), BOOL)
        if not (isinstance(s_ok, ir.Lit) and isinstance(m_ok, ir.Lit)):
            same = ir.Op("and", (same, ir.Op("eq", (_and(sa.guard, s_ok), _and(m_guard, m_ok)), BOOL)), BOOL)
        agreement.append(ir.Property("invariant", ACTION_PREFIX + sa.name,
                                     _fresh_binders(_forall(sa.params, same, fresh), fresh),
                                     f"the spec and the mutant can take the same steps of {sa.name}"))
    system = ir.System(
        module=spec.module, file=spec.file, doc=f"{spec.module} and a mutant in lockstep", constants=spec.constants,
        vars=spec.vars + tuple(dataclasses.replace(v, name=prefix + v.name) for v in mutant.vars),
        init=spec.init + tuple((prefix + n, rename(e)) for n, e in mutant.init),
        functions=spec.functions + copies, actions=tuple(actions), invariants=tuple(agreement),
        lemmas=spec.lemmas + (tuple(dataclasses.replace(p, kind="lemma") for p in spec.invariants)
                              if assume_invariants else ()), covers=(), imports=spec.imports)
    return Product(system, prefix, obs, tuple(p.name for p in agreement))


def _fresh_binders(e: ir.Expr, fresh, env: dict[int, int] | None = None) -> ir.Expr:
    """`e` with every binder node inside it (let, quantifier, map comprehension) given a new uid, and the uses in its
    scope with it: for expressions that also stand elsewhere (a guard in both the product's action and the
    agreement; a let's value substituted into a range condition, twice), so that no two binders share a uid. Locals
    bound outside `e` (the action's parameters) keep theirs."""
    env = env or {}
    if isinstance(e, ir.Local):
        return dataclasses.replace(e, uid=env[e.uid]) if e.uid in env else e
    if isinstance(e, (ir.Lit, ir.Var)):
        return e
    if isinstance(e, ir.Let):
        uid = next(fresh)
        return dataclasses.replace(e, value=_fresh_binders(e.value, fresh, env),
                                   body=_fresh_binders(e.body, fresh, {**env, e.uid: uid}), uid=uid)
    if isinstance(e, (ir.Quant, ir.MapLit)):
        uid = next(fresh)
        return dataclasses.replace(e, body=_fresh_binders(e.body, fresh, {**env, e.uid: uid}), uid=uid)
    changes = {}
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        if isinstance(v, _NODES):
            changes[f.name] = _fresh_binders(v, fresh, env)
        elif isinstance(v, tuple) and v and isinstance(v[0], _NODES):
            changes[f.name] = tuple(_fresh_binders(x, fresh, env) for x in v)
    return dataclasses.replace(e, **changes) if changes else e


def _forall(params: tuple[ir.Param, ...], body: ir.Expr, fresh) -> ir.Expr:
    """`forall p1 in D1: ... body` over the action's parameters, each bound by a new binder."""
    binders = []
    for p in params:
        uid = next(fresh)
        body = transition.substitute(body, p.uid, ir.Local(p.name, p.type, uid=uid))
        binders.append((p, uid))
    for p, uid in reversed(binders):
        assert isinstance(p.type, (ir.IntType, ir.EnumType, ir.BoolType))
        body = ir.Quant("forall", p.name, p.type, body, uid=uid)
    return body


def split_state(product: Product, state: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """A product state as (the spec's state, the mutant's state)."""
    n = len(product.system.vars) // 2
    names = [v.name for v in product.system.vars[:n]]
    return {k: state[k] for k in names}, {k: state[product.prefix + k] for k in names}


__all__ = ["ACTION_PREFIX", "VAR_PREFIX", "Product", "build_product", "max_uid", "split_state"]
