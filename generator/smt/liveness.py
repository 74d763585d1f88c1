"""Bounded model checking of liveness: the shortest fair lasso that violates `p ~> q`.

A lasso of k steps is states s_0 .. s_k from the initial state, each step an action instance or a stutter, with
s_k = s_l for some loop start l < k: the behaviour s_0 .. s_{l-1} (s_l .. s_{k-1})^omega. It violates `p ~> q` for
binder values b (fresh constants, so the model names them) when p(b) holds in some s_j and q(b) fails in every state
from s_j on: s_j .. s_{k-1} and, when j > l, the loop states before j too. It is fair (generator/ir.py, Liveness)
when for each instance of a fair action, with parameters fixed, over the loop states s_l .. s_{k-1} (enabled and
taken counting only where the action's `when` clause holds):
- weak: some loop step takes it (s_i -> s_{i+1} is a step of the instance and s_{i+1} != s_i), or some loop state
  does not enable it (for a step that changes the state);
- strong: some loop step takes it, or no loop state enables it.
Every ultimately periodic behaviour is such a lasso, and a fair violating behaviour exists iff a fair violating
lasso does (finite state space), so deciding k = 1, 2, ... in turn finds the shortest; "holds" only up to a bound.

Each depth is one fresh query (the QF_BV tactic, as bmc does) over the unrolling of the step template with a stutter
choice per step, the loop start as a bit-vector, and each fair instance as a template of its own (its enabling
condition and next state over a state of constants, put in at each state by substitution).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import z3

from irqspec.runtime.trace import Step, Trace

from .. import ir
from .bmc import _Clock, _why_unknown, new_solver
from .context import in_fresh_context
from .state import StateVars
from .storage import Scalar, evaluate, flatten
from .system import SymbolicSystem
from .values import Value, in_range, literal

Progress = Callable[[int, float], None]


@dataclass(frozen=True)
class LassoResult:
    """The outcome of `check_liveness`: "violated" with the shortest lasso (`trace.steps[-1]` repeats
    `trace.steps[loop]`; a step with action None after the first is a stutter), "holds" up to `depth_reached` steps,
    or "unknown"."""

    status: str  # "violated" | "holds" | "unknown"
    depth_reached: int
    prop: str | None = None
    witness: dict[str, object] = field(default_factory=dict)
    trace: Trace | None = None
    loop: int | None = None
    reason: str = ""
    elapsed: float = 0.0


class _FairInstance:
    """One instance of a fair action (its parameters fixed): when it is enabled for a change, and its next state, as
    a template over a state of constants."""

    def __init__(self, sym: SymbolicSystem, action: ir.Action, values: tuple, tag: str):
        self.action, self.values, self.kind = action.name, values, action.fairness
        system = sym.system
        pre = sym.state(f":live:{tag}")
        enc = sym.encoder(pre)
        env: dict[int, Value] = {p.uid: literal(v, p.type) for p, v in zip(action.params, values)}
        rel = sym.relations[action.name]
        cond = [enc.boolean(action.guard, env)]
        if action.fair_when is not None:
            cond.append(enc.boolean(action.fair_when, env))
        for ob in rel.range_obligations:
            value = enc.encode(ob.value, env)
            cond.append(z3.Implies(enc.boolean(ob.when, env), in_range(value, ob.target)))  # type: ignore[arg-type]
        changed = dict(rel.next_values)
        nexts: list[z3.ExprRef] = []
        for v in system.vars:
            if v.name in changed:
                parts = flatten(v.type, enc.encode(changed[v.name], env))
                nexts.extend(sc.write(x) for (_, sc), x in zip(pre.parts[v.name], parts))
            else:
                nexts.extend(term for term, _ in pre.parts[v.name])
        self.pre = pre.terms()
        pack = z3.Function(f":live:pack:{tag}", z3.BoolSort(), *[n.sort() for n in nexts], z3.BoolSort())
        self.packed = pack(z3.And(cond), *nexts)
        self.count = len(nexts)

    def at(self, s: StateVars) -> tuple[z3.BoolRef, list[z3.ExprRef]]:
        """In state s: enabled for a step that changes the state, and the state after the step."""
        out = z3.substitute(self.packed, *zip(self.pre, s.terms()))
        nexts = [out.arg(i + 1) for i in range(self.count)]
        change = z3.Or([a != b for a, b in zip(nexts, s.terms())]) if nexts else z3.BoolVal(False)
        return z3.And(out.arg(0), change), nexts


def _same(a: list[z3.ExprRef], b: list[z3.ExprRef]) -> z3.BoolRef:
    return z3.And([x == y for x, y in zip(a, b)]) if a else z3.BoolVal(True)


@in_fresh_context
def check_liveness(system: ir.System, names: Iterable[str] | None = None, max_depth: int = 20,
                   timeout: float | None = None, progress: Progress | None = None) -> LassoResult:
    """The shortest fair lasso (up to `max_depth` steps) that violates one of the liveness properties `names` (all
    by default): at each depth, every property is asked at once, and the first violated in declaration order is
    reported."""
    clock = _Clock(timeout)
    props = [system.live(n) for n in names] if names is not None else list(system.liveness)
    if not props:
        return LassoResult("holds", max_depth, reason="no liveness property to check", elapsed=clock.elapsed())
    sym = SymbolicSystem(system)
    fair = [_FairInstance(sym, a, values, f"{a.name}#{n}")
            for a in system.fair_actions()
            for n, values in enumerate(itertools.product(*[ir.domain_values(p.type) for p in a.params]))]
    # the binders of each property: fresh constants (a model names the failing values)
    binders: list[tuple[ir.Liveness, dict[int, Value], list[z3.BoolRef], list[tuple[ir.Param, Value]]]] = []
    for lv in props:
        env, valid, read = {}, [], []
        for b in lv.binders:
            sc = Scalar.of(b.type)
            term = sc.const(f":witness:liveness:{lv.name}({b.name}#{b.uid})")
            env[b.uid] = sc.read(term)
            read.append((b, env[b.uid]))
            c = sc.valid(term)
            if c is not None:
                valid.append(c)
        binders.append((lv, env, valid, read))
    states: list[StateVars] = [sym.initial("0")]
    steps: list[z3.BoolRef] = []
    stutters: list[z3.BoolRef] = []
    enabled_at: list[list[tuple[z3.BoolRef, list[z3.ExprRef]]]] = []  # per state, per fair instance
    for k in range(1, max_depth + 1):
        s = states[-1]
        enabled_at.append([f.at(s) for f in fair])
        t, ok = sym.successor(s, str(k))
        stutter = z3.Bool(f":stutter@{k}")
        terms = {v.name: [z3.If(stutter, pre, nxt) for (pre, _), (nxt, _) in zip(s.parts[v.name], t.parts[v.name])]
                 for v in system.vars}
        states.append(StateVars(system, str(k), sym.instances, step=t.step, terms=terms))
        stutters.append(stutter)
        steps.append(z3.Or(stutter, ok))
        # the lasso s_0 .. s_k with s_k = s_l
        width = k.bit_length() + 1  # holds k itself
        loop = z3.BitVec(f":loop@{k}", width)
        in_loop = [z3.ULE(loop, z3.BitVecVal(i, width)) for i in range(k)]
        closes = z3.And(z3.ULT(loop, z3.BitVecVal(k, width)),
                        *[z3.Implies(loop == z3.BitVecVal(i, width), _same(states[k].terms(), states[i].terms()))
                          for i in range(k)])
        fairness = []
        for n, f in enumerate(fair):
            taken, off = [], []
            for i in range(k):
                en, nxt = enabled_at[i][n]
                post = states[i + 1].terms()
                taken.append(z3.And(in_loop[i], en, _same(post, nxt)))
                off.append(z3.And(in_loop[i], z3.Not(en)))
            if f.kind == "weak":
                fairness.append(z3.Or(*taken, *off))
            else:
                fairness.append(z3.Or(*taken, z3.And([z3.Implies(in_loop[i], z3.Not(enabled_at[i][n][0]))
                                                      for i in range(k)])))
        violations = []
        for lv, env, valid, _ in binders:
            q_fails = [z3.Not(sym.prop(lv.q, states[i], env)) for i in range(k)]
            cases = []
            for j in range(k):
                before = [z3.Implies(in_loop[i], q_fails[i]) for i in range(j)]
                cases.append(z3.And(sym.prop(lv.p, states[j], env), *before, *q_fails[j:]))
            violations.append(z3.And(*valid, z3.Or(cases)))
        solver = new_solver()
        remaining = clock.remaining()
        if remaining is not None:
            if remaining <= 0:
                return LassoResult("unknown", k - 1, reason=f"timed out after {clock.elapsed():.1f} s",
                                   elapsed=clock.elapsed())
            solver.set("timeout", max(1, int(remaining * 1000)))
        solver.add(*steps, closes, *fairness, z3.Or(violations))
        answer = solver.check()
        if answer == z3.sat:
            model = solver.model()
            which = next(i for i, v in enumerate(violations)
                         if z3.is_true(model.evaluate(v, model_completion=True)))
            lv, _, _, read = binders[which]
            witness = {b.name: evaluate(model, value, b.type) for b, value in read}
            start = model.evaluate(loop, model_completion=True).as_long()  # type: ignore[attr-defined]
            trace_steps = [Step(None, {}, states[0].decode(model))]
            for i in range(1, k + 1):
                if z3.is_true(model.evaluate(stutters[i - 1], model_completion=True)):
                    trace_steps.append(Step(None, {}, states[i].decode(model)))
                else:
                    action, params = states[i].step.decode(model)
                    trace_steps.append(Step(action, params, states[i].decode(model)))
            trace = Trace(tuple(trace_steps), lv.name, witness, start)
            return LassoResult("violated", k, lv.name, witness, trace, start,
                               f"{lv.name} violated: a lasso of {k} steps", clock.elapsed())
        if answer != z3.unsat:
            return LassoResult("unknown", k - 1, reason=_why_unknown(solver, clock), elapsed=clock.elapsed())
        if progress is not None:
            progress(k, clock.elapsed())
    return LassoResult("holds", max_depth, reason=f"no fair lasso of up to {max_depth} steps violates a liveness "
                       "property", elapsed=clock.elapsed())
