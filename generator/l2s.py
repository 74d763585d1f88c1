"""Liveness to safety (Biere, Artho, Schuppan 2002): a liveness property of a spec as an invariant of a bigger spec,
which the safety engines (induction, k-induction, Spacer) then prove or refute. docs/liveness.md gives the argument.

`lasso_system(system, name)` is an ordinary IR system (every backend reads it, the generated model included) with
the spec's variables and actions, and a monitor beside them (ghost variables, named under a prefix no spec name in
the system takes):
- `arm(b...)`: in a state where p(b) and not q(b), before the save, choose the binders' values b and remember them
  (a step from a state where q(b) holds disarms it; after the save it cannot be armed again);
- `save()`: once armed, copy the whole state (once): the state where the loop is to start;
- `stutter()`: a step that changes no spec variable (TLA+'s stuttering);
- every spec action and stutter, after the save, records for each instance of a fair action whether this step takes
  it, and whether it is enabled in the step's pre-state (each loop state is the pre-state of one loop step); every
  step from a state where q(b) holds disarms the monitor.
The invariant `no_fair_lasso` says: never armed, saved, moved since the save, back in the saved state, with every
fair instance treated fairly on the way (weak: taken, or disabled in some state; strong: taken, or enabled in none).
A state breaking it is a fair lasso that violates `p ~> q`; an inductive invariant that implies it is a proof that
none exists. The spec's range obligations are kept, and `range` is proved with it: the enabledness the monitor
records reads guards and `when` clauses only, which is the enabledness of docs/language.md exactly when no step
leaves a range.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from irqspec.runtime.trace import Step, Trace

from . import ir, transition
from .ir import BOOL

INVARIANT = "no_fair_lasso"


@dataclass(frozen=True)
class Monitor:
    """The names of the monitor's parts in a lasso system, to read its traces back as lassos."""

    prop: str  # the liveness property
    prefix: str
    saved_copy: dict[str, str]  # spec variable -> its saved copy
    binders: dict[str, str]  # binder name -> the variable holding its value
    arm: str
    save: str
    stutter: str


def _prefix(system: ir.System) -> str:
    names = {v.name for v in system.vars} | {a.name for a in system.actions} | {f.name for f in system.functions}
    prefix = "l2s_"
    while any(n.startswith(prefix) for n in names):
        prefix = "_" + prefix
    return prefix


def _lit(value: object, t: ir.Type) -> ir.Lit:
    return ir.Lit(value, t)


def _and(parts: list[ir.Expr]) -> ir.Expr:
    out: ir.Expr = ir.Lit(True, BOOL)
    for p in parts:
        out = transition.and_(out, p)
    return out


def _or(parts: list[ir.Expr]) -> ir.Expr:
    if not parts:
        return ir.Lit(False, BOOL)
    out = parts[0]
    for p in parts[1:]:
        out = ir.Op("or", (out, p), BOOL)
    return out


def _eq(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    return ir.Op("eq", (a, b), BOOL)


def _assign(var: str, t: ir.Type, value: ir.Expr) -> ir.Assign:
    return ir.Assign(var, (), value, t)


def lasso_system(system: ir.System, name: str) -> tuple[ir.System, Monitor]:
    """The spec with the monitor of liveness property `name` (module docstring) and its one invariant."""
    lv = system.live(name)
    pre = _prefix(system)
    var = {v.name: ir.Var(v.name, v.type) for v in system.vars}
    relations = {a.name: transition.relation(system, a) for a in system.actions}

    def nexts(action: ir.Action, env: dict[int, ir.Expr]) -> dict[str, ir.Expr]:
        out = {}
        for v, e in relations[action.name].next_values:
            for uid, value in env.items():
                e = transition.substitute(e, uid, value)
            out[v] = e
        return out

    def closed(e: ir.Expr, env: dict[int, ir.Expr]) -> ir.Expr:
        for uid, value in env.items():
            e = transition.substitute(e, uid, value)
        return e

    # the fair instances: enabled (for a change) in the pre-state, and their next values
    fair: list[tuple[str, str, ir.Expr, dict[str, ir.Expr]]] = []  # (flag stem, kind, enabled, next values)
    for a in system.fair_actions():
        for n, values in enumerate(itertools.product(*[ir.domain_values(p.type) for p in a.params])):
            env = {p.uid: _lit(v, p.type) for p, v in zip(a.params, values)}
            nx = nexts(a, env)
            enabled = [closed(a.guard, env)]
            if a.fair_when is not None:
                enabled.append(closed(a.fair_when, env))
            enabled.append(_or([ir.Op("ne", (e, var[v]), BOOL) for v, e in nx.items()]))
            fair.append((f"{pre}{a.name}_{n}", a.fairness, _and(enabled), nx))

    b_vars = {b.name: f"{pre}b_{b.name}" for b in lv.binders}
    b_env = {b.uid: ir.Var(b_vars[b.name], b.type) for b in lv.binders}
    q_now = closed(lv.q, b_env)
    copy = {v.name: f"{pre}saved_{v.name}" for v in system.vars}
    armed, saved, moved = f"{pre}armed", f"{pre}saved", f"{pre}moved"
    monitor_vars = ([ir.StateVar(armed, BOOL, True, "the monitor chose the binders: p held, q did not"),
                     ir.StateVar(saved, BOOL, True, "the loop's first state is saved"),
                     ir.StateVar(moved, BOOL, True, "a step was taken since the save")]
                    + [ir.StateVar(b_vars[b.name], b.type, True, f"the value of binder {b.name}")
                       for b in lv.binders]
                    + [ir.StateVar(copy[v.name], v.type, True, f"{v.name} in the saved state") for v in system.vars])
    for stem, kind, _, _ in fair:
        monitor_vars.append(ir.StateVar(f"{stem}_taken", BOOL, True, "taken since the save"))
        monitor_vars.append(ir.StateVar(f"{stem}_{'off' if kind == 'weak' else 'on'}", BOOL, True,
                                        "disabled in some state since the save" if kind == "weak"
                                        else "enabled in some state since the save"))
    mvar = {v.name: ir.Var(v.name, v.type) for v in monitor_vars}
    is_saved = mvar[saved]

    def monitor_updates(step_next: dict[str, ir.Expr]) -> list[ir.Assign]:
        """What a behaviour step (an action, or the stutter with no next values) records, read in its pre-state."""
        out = [_assign(armed, BOOL, ir.Op("and", (mvar[armed], transition.not_(q_now)), BOOL)),
               _assign(moved, BOOL, ir.Op("or", (mvar[moved], is_saved), BOOL))]
        for stem, kind, enabled, nx in fair:
            same = _and([_eq(step_next.get(v, var[v]), nx.get(v, var[v]))
                         for v in sorted(set(step_next) | set(nx))])
            taken = ir.Op("and", (enabled, same), BOOL)
            out.append(_assign(f"{stem}_taken", BOOL, _or([mvar[f"{stem}_taken"],
                                                            ir.Op("and", (is_saved, taken), BOOL)])))
            if kind == "weak":
                out.append(_assign(f"{stem}_off", BOOL, _or([mvar[f"{stem}_off"],
                                                              ir.Op("and", (is_saved, transition.not_(enabled)), BOOL)])))
            else:
                out.append(_assign(f"{stem}_on", BOOL, _or([mvar[f"{stem}_on"],
                                                             ir.Op("and", (is_saved, enabled), BOOL)])))
        return out

    actions = []
    for a in system.actions:
        extra = monitor_updates(nexts(a, {}))
        actions.append(replace(a, body=a.body + tuple(extra), fairness="", fair_when=None,
                               modifies=a.modifies + tuple(st.var for st in extra)))
    stutter = ir.Action(f"{pre}stutter", (), ir.Lit(True, BOOL), tuple(monitor_updates({})),
                        tuple(st.var for st in monitor_updates({})), "A step that changes no variable of the spec.")
    arm = ir.Action(f"{pre}arm", lv.binders, _and([transition.not_(mvar[armed]), transition.not_(is_saved), lv.p, transition.not_(lv.q)]),
                    tuple([_assign(armed, BOOL, ir.Lit(True, BOOL))]
                          + [_assign(b_vars[b.name], b.type, ir.Local(b.name, b.type, uid=b.uid))
                             for b in lv.binders]),
                    (armed, *b_vars.values()), f"The monitor: {lv.name}'s left side holds and its right side not.")
    save = ir.Action(f"{pre}save", (), _and([mvar[armed], transition.not_(is_saved)]),
                     tuple([_assign(saved, BOOL, ir.Lit(True, BOOL))]
                           + [_assign(copy[v.name], v.type, var[v.name]) for v in system.vars]),
                     (saved, *copy.values()), "The monitor: the loop starts in this state.")
    fair_ok = []
    for stem, kind, _, _ in fair:
        other = mvar[f"{stem}_off"] if kind == "weak" else transition.not_(mvar[f"{stem}_on"])
        fair_ok.append(ir.Op("or", (mvar[f"{stem}_taken"], other), BOOL))
    back = _and([_eq(var[v.name], mvar[copy[v.name]]) for v in system.vars])
    bad = _and([mvar[armed], is_saved, mvar[moved], back, *fair_ok])
    invariant = ir.Property("invariant", INVARIANT, transition.not_(bad),
                            f"no fair lasso violates {lv.name} (liveness to safety)", lv.span)

    def init_value(v: ir.StateVar) -> ir.Expr:
        if v.type == BOOL:
            return ir.Lit(False, BOOL)
        if v.name in copy.values():
            original = next(n for n, c in copy.items() if c == v.name)
            return dict(system.init)[original]
        return _lit(ir.domain_values(v.type)[0], v.type)  # a binder's value before arming: any

    all_vars = system.vars + tuple(monitor_vars)
    order = [v.name for v in all_vars]

    def ordered(a: ir.Action) -> ir.Action:
        return replace(a, modifies=tuple(sorted(set(a.modifies), key=order.index)))

    init = system.init + tuple((v.name, init_value(v)) for v in monitor_vars)
    out = replace(system, vars=all_vars, init=init,
                  actions=tuple(ordered(a) for a in (*actions, stutter, arm, save)),
                  invariants=(invariant,), lemmas=(), covers=(), liveness=())
    return out, Monitor(lv.name, pre, copy, b_vars, arm.name, save.name, stutter.name)


def to_lasso(trace: Trace, monitor: Monitor, system: ir.System) -> Trace:
    """A run of the lasso system that breaks `no_fair_lasso`, as the fair lasso of `system` it stands for: the
    monitor's own steps dropped, its stutter a stutter, its variables left out; the loop starts where it saved."""
    names = [v.name for v in system.vars]
    steps: list[Step] = []
    loop = None
    witness: dict[str, object] = {}
    for i, st in enumerate(trace.steps):
        state = {n: st.state[n] for n in names}
        if i == 0:
            steps.append(Step(None, {}, state))
        elif st.action == monitor.save:
            loop = len(steps) - 1
        elif st.action == monitor.arm:
            witness = dict(st.params)
        elif st.action == monitor.stutter:
            steps.append(Step(None, {}, state))
        else:
            steps.append(Step(st.action, dict(st.params), state))
    assert loop is not None, "a run that breaks no_fair_lasso has saved its loop's first state"
    return Trace(tuple(steps), monitor.prop, witness, loop)
