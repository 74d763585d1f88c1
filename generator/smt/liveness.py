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

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import z3

from irqspec.runtime.trace import Step, Trace

from .. import ir, reduction
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
    reduction: str = ""  # how the vector domain was reduced for the search, or why not


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


class _Unrolling:
    """The lasso unrolling of one spec (the full one, or one restricted to representatives): states with a stutter
    choice per step, each fair instance's enabling condition and next state at every state, the binders."""

    def __init__(self, system: ir.System, props: list[ir.Liveness]):
        self.system = system
        self.sym = sym = SymbolicSystem(system)
        self.fair = [_FairInstance(sym, a, values, f"{a.name}#{n}")
                     for a in system.fair_actions()
                     for n, values in enumerate(itertools.product(*[ir.domain_values(p.type) for p in a.params]))]
        # the binders of each property: fresh constants (a model names the failing values)
        self.binders: list[tuple[ir.Liveness, dict[int, Value], list[z3.BoolRef], list[tuple[ir.Param, Value]]]] = []
        for lv in props:
            lv = system.live(lv.name)  # its binders as this spec narrows them
            env, valid, read = {}, [], []
            for b in lv.binders:
                sc = Scalar.of(b.type)
                term = sc.const(f":witness:liveness:{lv.name}({b.name}#{b.uid})")
                env[b.uid] = sc.read(term)
                read.append((b, env[b.uid]))
                c = sc.valid(term)
                if c is not None:
                    valid.append(c)
            self.binders.append((lv, env, valid, read))
        self.states: list[StateVars] = [sym.initial("0")]
        self.steps: list[z3.BoolRef] = []
        self.stutters: list[z3.BoolRef] = []
        self.enabled_at: list[list[tuple[z3.BoolRef, list[z3.ExprRef]]]] = []  # per state, per fair instance

    def extend(self, k: int) -> None:
        while len(self.states) <= k:
            s = self.states[-1]
            i = len(self.states)
            self.enabled_at.append([f.at(s) for f in self.fair])
            t, ok = self.sym.successor(s, str(i))
            stutter = z3.Bool(f":stutter@{i}")
            terms = {v.name: [z3.If(stutter, pre, nxt) for (pre, _), (nxt, _) in zip(s.parts[v.name],
                                                                                      t.parts[v.name])]
                     for v in self.system.vars}
            self.states.append(StateVars(self.system, str(i), self.sym.instances, step=t.step, terms=terms))
            self.stutters.append(stutter)
            self.steps.append(z3.Or(stutter, ok))

    def query(self, k: int) -> tuple[list[z3.BoolRef], z3.BitVecRef, list[z3.BoolRef]]:
        """The lasso of k steps: its constraints, its loop start, and each property's violation."""
        self.extend(k)
        states, enabled_at = self.states, self.enabled_at
        width = k.bit_length() + 1  # holds k itself
        loop = z3.BitVec(f":loop@{k}", width)
        in_loop = [z3.ULE(loop, z3.BitVecVal(i, width)) for i in range(k)]
        closes = z3.And(z3.ULT(loop, z3.BitVecVal(k, width)),
                        *[z3.Implies(loop == z3.BitVecVal(i, width), _same(states[k].terms(), states[i].terms()))
                          for i in range(k)])
        fairness = []
        for n, f in enumerate(self.fair):
            taken, off = [], []
            for i in range(k):
                en, nxt = enabled_at[i][n]
                taken.append(z3.And(in_loop[i], en, _same(states[i + 1].terms(), nxt)))
                off.append(z3.And(in_loop[i], z3.Not(en)))
            if f.kind == "weak":
                fairness.append(z3.Or(*taken, *off))
            else:
                fairness.append(z3.Or(*taken, z3.And([z3.Implies(in_loop[i], z3.Not(enabled_at[i][n][0]))
                                                      for i in range(k)])))
        violations = []
        for lv, env, valid, _ in self.binders:
            q_fails = [z3.Not(self.sym.prop(lv.q, states[i], env)) for i in range(k)]
            cases = []
            for j in range(k):
                before = [z3.Implies(in_loop[i], q_fails[i]) for i in range(j)]
                cases.append(z3.And(self.sym.prop(lv.p, states[j], env), *before, *q_fails[j:]))
            violations.append(z3.And(*valid, z3.Or(cases)))
        return [*self.steps[:k], closes, *fairness], loop, violations

    def lasso(self, model: z3.ModelRef, k: int, loop: z3.BitVecRef, which: int) -> tuple[str, dict, Trace, int]:
        lv, _, _, read = self.binders[which]
        witness = {b.name: evaluate(model, value, b.type) for b, value in read}
        start = model.evaluate(loop, model_completion=True).as_long()  # type: ignore[attr-defined]
        steps = [Step(None, {}, self.states[0].decode(model))]
        for i in range(1, k + 1):
            state = self.states[i].decode(model)
            if z3.is_true(model.evaluate(self.stutters[i - 1], model_completion=True)) or state == steps[-1].state:
                steps.append(Step(None, {}, state))  # a step that changes nothing is a stutter, whatever fired
            else:
                action, params = self.states[i].step.decode(model)
                steps.append(Step(action, params, self.states[i].decode(model)))
        return lv.name, witness, Trace(tuple(steps), lv.name, witness, start), start


class LassoSearch:
    """The lasso queries of one spec, depth by depth (`depth(k)`), in the caller's Z3 context. With `reduce`, when the
    spec meets the conditions of docs/reduction.md (and no fair action takes a vector: section "Liveness"), a lasso
    of k steps is asked on representative vectors only, and the witness vCPU is fixed by symmetry."""

    def __init__(self, system: ir.System, names: Iterable[str] | None = None, reduce: bool = True):
        self.system = system
        self.props = [system.live(n) for n in names] if names is not None else list(system.liveness)
        self.analysis = reduction.analyse(system, liveness=True) if reduce and self.props else None
        self.runs: dict[tuple[int, ...], _Unrolling] = {}
        self.solver: z3.Solver | None = None

    def _run(self, k: int) -> _Unrolling:
        ns: tuple[int, ...] = ()
        at = self.system
        if self.analysis is not None and self.analysis.applies:
            ns = tuple(max(s.per_step * k + s.counted(lv.name) for lv in self.props) for s in self.analysis.sorts)
            at = reduction.restrict(self.system, self.analysis, ns)
            if at is self.system:
                ns = ()
        if ns not in self.runs:
            self.runs = {ns: _Unrolling(at, self.props)}  # the shallower ones are not asked again
        return self.runs[ns]

    def note(self) -> str:
        a = self.analysis
        if a is None:
            return ""
        parts = [f"vectors not reduced: {a.reason}" if not a.sorts else
                 "vectors reduced for the lasso search (docs/reduction.md, Liveness): each depth decided on "
                 "representative vectors"]
        if a.fixed:
            parts.append(f"witnesses over {', '.join(a.symmetric) or 'a symmetric sort'} fixed to the first by "
                         "symmetry")
        return "; ".join(parts)

    def depth(self, k: int, clock: _Clock) -> "LassoResult | None":
        """Is there a fair lasso of exactly k steps? None when there is none; else the violation, or unknown."""
        run = self._run(k)
        constraints, loop, violations = run.query(k)
        self.solver = solver = new_solver()
        remaining = clock.remaining()
        if remaining is not None:
            if remaining <= 0:
                return LassoResult("unknown", k - 1, reason=f"timed out after {clock.elapsed():.1f} s",
                                   elapsed=clock.elapsed())
            solver.set("timeout", max(1, int(remaining * 1000)))
        solver.add(*constraints, z3.Or(violations))
        answer = solver.check()
        if answer == z3.unsat:
            return None
        if answer != z3.sat:
            return LassoResult("unknown", k - 1, reason=_why_unknown(solver, clock), elapsed=clock.elapsed())
        model = solver.model()
        which = next(i for i, v in enumerate(violations) if z3.is_true(model.evaluate(v, model_completion=True)))
        name, witness, trace, start = run.lasso(model, k, loop, which)
        return LassoResult("violated", k, name, witness, trace, start, f"{name} violated: a lasso of {k} steps",
                           clock.elapsed())


@in_fresh_context
def check_liveness(system: ir.System, names: Iterable[str] | None = None, max_depth: int = 20,
                   timeout: float | None = None, progress: Progress | None = None,
                   reduce: bool = True) -> LassoResult:
    """The shortest fair lasso (up to `max_depth` steps) that violates one of the liveness properties `names` (all
    by default): at each depth, every property is asked at once, and the first violated in declaration order is
    reported."""
    clock = _Clock(timeout)
    search = LassoSearch(system, names, reduce)
    if not search.props:
        return LassoResult("holds", max_depth, reason="no liveness property to check", elapsed=clock.elapsed())
    for k in range(1, max_depth + 1):
        found = search.depth(k, clock)
        if found is not None:
            return dataclasses.replace(found, elapsed=clock.elapsed(), reduction=search.note())
        if progress is not None:
            progress(k, clock.elapsed())
    return LassoResult("holds", max_depth, reason=f"no fair lasso of up to {max_depth} steps violates a liveness "
                       "property", elapsed=clock.elapsed(), reduction=search.note())
