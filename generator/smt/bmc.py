"""Bounded model checking: the shortest run from an initial state to a bad (or wanted) state.

The transitions are unrolled one step at a time and the goal is tried at each depth in order, so the first answer is
the shortest. A solver
`unknown` or a timeout gives status "unknown", never "holds"; "holds" means no violation up to the depth reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import z3

from irqspec.runtime.trace import Trace

from .. import ir, reduction, transition
from .context import in_fresh_context
from .goals import select_goals
from .state import StateVars, StepVars
from .storage import evaluate
from .system import SymbolicSystem, Violation, first_violated

Progress = Callable[[int, float], None]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of `check`: "violated" with the shortest trace, "holds" up to `depth_reached`, or "unknown"."""

    status: str  # "violated" | "holds" | "unknown"
    depth_reached: int  # violated: the length of the trace; otherwise the deepest depth found clean (-1: none)
    trace: Trace | None = None
    invariant: str | None = None  # the property violated: an invariant or lemma name, or "range:<var>"
    witness: dict[str, object] = field(default_factory=dict)
    reason: str = ""
    elapsed: float = 0.0
    reduction: str = ""  # how the vector domain was reduced (docs/reduction.md), or why it was not


@dataclass(frozen=True)
class ReachResult:
    """The outcome of `reach`: "reached" with the shortest trace, "unreached" up to `depth_reached`, or "unknown"."""

    status: str  # "reached" | "unreached" | "unknown"
    depth_reached: int
    trace: Trace | None = None
    reason: str = ""
    elapsed: float = 0.0


def new_solver() -> z3.Solver:
    """A solver for the quantifier-free bit-vector formulas of the encoding: Z3's QF_BV tactic (simplification,
    elimination of the state-copy equations, bit-blasting, SAT). It is not incremental, but each query through it is
    an order of magnitude faster than through Z3's incremental solvers (measured on svm_virq at 240 vectors: depth 6
    in 2 s against 25 s), so every query gets a fresh one."""
    return z3.Tactic("qfbv").solver()


class Unrolling:
    """The initial state and a chain of steps, extended one step at a time.

    States after the first are terms over the previous state and the step's fresh selector and parameters (see
    `SymbolicSystem.successor`), and the initial state is the init values themselves, so a query holds no state-copy
    equations. Each `check` runs a fresh solver on the steps so far plus the goal."""

    def __init__(self, enc: SymbolicSystem, prefix: str = "", atomic: Mapping[str, tuple[str, ...]] | None = None):
        self.enc = enc
        self.prefix = prefix
        # an implementation's atomic steps (irqspec.runtime.conformance: first action -> the followers it takes at once):
        # with them, every check asks only for runs such an implementation can execute (see `realizable`)
        self.atomic = dict(atomic or {})
        self.states: list[StateVars] = [enc.initial(f"{prefix}0")]
        self.steps: list[z3.BoolRef] = []
        self.solver: z3.Solver | None = None  # the solver of the last check (its model, its reason for unknown)

    @property
    def depth(self) -> int:
        return len(self.states) - 1

    def extend(self) -> StateVars:
        t, enabled = self.enc.successor(self.states[-1], f"{self.prefix}{len(self.states)}")
        self.steps.append(enabled)
        self.states.append(t)
        return t

    def check(self, goal: z3.BoolRef, timeout: float | None) -> z3.CheckSatResult:
        """Is `goal` satisfiable at the current depth?"""
        self.solver = new_solver()
        if timeout is not None:
            self.solver.set("timeout", max(1, int(timeout * 1000)))
        self.solver.add(*self.steps, goal)
        if self.atomic:
            self.solver.add(self.realizable())
        return self.solver.check()

    def realizable(self) -> z3.BoolRef:
        """The run so far is one an implementation with the atomic steps `self.atomic` can execute: after each step
        of a chain's first action, each follower the spec then enables comes next, in order, with the parameters of
        the same names, and the run does not stop inside a chain (irqspec.runtime.conformance.chain_after, in Z3)."""
        system = self.enc.system
        names = [a.name for a in system.actions]
        k = self.depth
        parts = []
        for t in range(1, k + 1):
            step = self.states[t].step
            for first, followers in self.atomic.items():
                head = system.action(first)
                by_name = {p.name: p for p in head.params}
                env = step.env(first)

                def ok(pos: int, j: int) -> z3.BoolRef:
                    if j >= len(followers):
                        return z3.BoolVal(True)
                    f = system.action(followers[j])
                    f_env = {p.uid: env[by_name[p.name].uid] for p in f.params}
                    enabled = self.enc.prop(f.guard, self.states[pos], f_env)
                    if pos == k:
                        return z3.And(z3.Not(enabled), ok(pos, j + 1))
                    nxt = self.states[pos + 1].step
                    same = [nxt.params[f.name][p.name][0] == step.params[first][p.name][0] for p in f.params]
                    return z3.And(z3.Implies(enabled, z3.And(nxt.is_action(names.index(f.name)), *same,
                                                             ok(pos + 1, j + 1))),
                                  z3.Implies(z3.Not(enabled), ok(pos, j + 1)))

                parts.append(z3.Implies(step.is_action(names.index(first)), ok(t, 0)))
        return z3.And(parts) if parts else z3.BoolVal(True)

    def model(self) -> z3.ModelRef:
        assert self.solver is not None
        return self.solver.model()


class _Clock:
    def __init__(self, timeout: float | None):
        self.start = time.monotonic()
        self.timeout = timeout

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float | None:
        return None if self.timeout is None else self.timeout - self.elapsed()


def counterexample(enc: SymbolicSystem, run: "Unrolling",
                   violations: list[Violation]) -> tuple[str, dict[str, object], Trace]:
    """After a sat answer on `run`: which property failed, the witness values, and the trace from init."""
    model = run.model()
    bad = first_violated(model, violations)
    assert bad is not None
    witness = bad.witness(model)
    return bad.name, witness, enc.trace(model, run.states, bad.name, witness)


@in_fresh_context
def check(system: ir.System, invariants: Iterable[str] | None = None, max_depth: int = 20,
          timeout: float | None = None, progress: Progress | None = None, lemmas: bool = False,
          ranges: bool = True, atomic: Mapping[str, tuple[str, ...]] | None = None,
          reduce: bool = True, after_depth: Callable[[int, "_Clock"], bool] | None = None,
          deadlock: bool = False) -> CheckResult:
    """Search for the shortest run (up to `max_depth` steps) that violates one of `invariants` (names of invariants,
    lemmas or "range"; by default every invariant, and every lemma when `lemmas`) or, when `ranges`, the range
    property. `progress(depth, elapsed)` is called after each depth found clean. With `atomic` (an implementation's
    atomic steps), only runs such an implementation can execute (Unrolling.realizable). With `reduce`, when the spec
    meets the conditions of docs/reduction.md, each depth is decided on representative vectors (`Reduced`).
    `after_depth(depth, clock)`, called in this query's Z3 context after each depth found clean, may ask more at that
    depth (check's lasso search); when it returns true the search stops there, "holds" up to that depth. With
    `deadlock`, a state where no action instance is enabled (every parameter value tried) is a violation too, after
    the properties at the same depth; it is searched on the full domain (renaming vectors does not keep a state
    deadlocked: an instance for a vector outside the run may be enabled), so `reduce` is then off."""
    goals = select_goals(system, invariants, lemmas=lemmas, ranges=ranges)
    clock = _Clock(timeout)
    reduce = reduce and not deadlock
    reduced = Reduced(system, goals, max_depth) if reduce else None
    lane = _Lane(system, set(), atomic, reduced, refusals=False)  # the unrolling: over the representatives of each depth, or not
    for depth in range(max_depth + 1):
        lane.advance(depth)
        enc, run = lane.enc, lane.run
        goals_here = goals if enc.system is system else select_goals(enc.system, invariants, lemmas=lemmas,
                                                                     ranges=ranges)
        violations = enc.violations(run.states[-1], goals_here, str(depth))
        if deadlock:
            violations.append(enc.deadlock(run.states[-1]))
        note = reduced.note() if reduced is not None else ""
        if not violations:
            return CheckResult("holds", max_depth, reason="no property to check", elapsed=clock.elapsed())
        answer = _timed_check(run, z3.Or([v.formula for v in violations]), clock)
        if answer == z3.sat:
            name, witness, trace = counterexample(enc, run, violations)
            return CheckResult("violated", depth, trace, name, witness, f"{name} violated at depth {depth}",
                               clock.elapsed(), note)
        if answer != z3.unsat:
            return CheckResult("unknown", depth - 1, reason=_why_unknown(run.solver, clock), elapsed=clock.elapsed(),
                               reduction=note)
        if progress is not None:
            progress(depth, clock.elapsed())
        if after_depth is not None and after_depth(depth, clock):
            return CheckResult("holds", depth, reason=f"no violation in {depth} steps; stopped there",
                               elapsed=clock.elapsed(), reduction=reduced.note() if reduced is not None else "")
    return CheckResult("holds", max_depth, reason=f"no violation in {max_depth} steps", elapsed=clock.elapsed(),
                       reduction=reduced.note() if reduced is not None else "")


class Reduced:
    """The reductions of docs/reduction.md (generator/reduction.py) for one BMC run.

    Vectors: a run of d steps that violates a goal mentions at most n = p*d + w vectors and classes of each sort (the
    range goal looks one step further), so the spec with every vector and class parameter, and the goals' witnesses,
    drawn from `representatives(n)` has a violation at depth d exactly when the spec has one (and so for any larger
    n). Its unrolling is a spec of its own, with narrower parameter types and its bit sets of vectors masked to the
    representatives (which, by the closure argument of docs/reduction.md, are the only members they can get: the
    mask changes no value and lets the bit-blaster drop every other bit); each chunk of depths gets a new one.
    Symmetric vCPUs: a violation at some vCPU is one at the first, by a permutation of the vCPUs, so the witness is
    fixed to it."""

    CHUNK = 4  # depths that share one unrolling: each decided on the representatives of the chunk's last depth
    PER_DEPTH = 8  # from here on each depth gets its own n: its queries cost more than a new unrolling

    def __init__(self, system: ir.System, goals: Sequence | None, max_depth: int,
                 analysis: reduction.Analysis | None = None):
        self.system = system
        self.max_depth = max_depth
        self.analysis = analysis if analysis is not None else reduction.analyse(system)
        self.goals = goals
        self.cache: dict[tuple[int, ...], ir.System] = {}
        self.used = 0  # the most vectors (of the first vector parameter) a decided depth drew from
        self.first = self.analysis.sorts[0].vector_params[0] if self.analysis.sorts else None

    def atoms(self, depth: int) -> tuple[int, ...]:
        """n per sort for `depth`. Below PER_DEPTH, the bound of the deepest depth of its chunk (at most the deepest
        asked for), so that a new unrolling (whose encoding costs more than the queries at small depths) is built
        once per chunk; from PER_DEPTH on, its own bound (measured on svm_evtinj at 240 vectors: depth 8 on n = 11
        took 14.7 s, on n = 8 5.0 s). Fixed, not timed, so that the answers are deterministic."""
        top = depth if depth >= self.PER_DEPTH else min((depth // self.CHUNK + 1) * self.CHUNK - 1,
                                                         max(depth, self.max_depth))
        if self.goals is None:  # reach_all's step goals: the run's steps, and a refused step after them
            return tuple(s.per_step * (top + 1) for s in self.analysis.sorts)
        return tuple(max(s.per_step * (top + (g.kind == "range")) + s.counted(g.name) for g in self.goals)
                     for s in self.analysis.sorts)

    def param_type(self, system: ir.System) -> ir.Type:
        assert self.first is not None
        return next(p.type for p in system.action(self.first[0]).params if p.name == self.first[1])

    def system_at(self, depth: int) -> ir.System | None:
        """The spec whose runs decide `depth` (None: the full one, when no reduction applies or none narrows)."""
        if not self.analysis.applies or self.goals is not None and not self.goals:
            return None
        ns = self.atoms(depth)
        if ns not in self.cache:
            self.cache[ns] = reduction.restrict(self.system, self.analysis, ns)
        at = self.cache[ns]
        if at is self.system:
            return None
        if self.first is not None:
            self.used = max(self.used, _size(self.param_type(at)))
        return at

    def note(self) -> str:
        parts = []
        if not self.analysis.sorts:
            parts.append(f"vectors not reduced: {self.analysis.reason}")
        elif not self.used or self.used >= _size(self.param_type(self.system)):
            parts.append("vectors not reduced: at these depths every vector is a representative")
        else:
            parts.append(f"vectors reduced (docs/reduction.md): each depth decided on at most {self.used} of the "
                         f"{_size(self.param_type(self.system))} vectors")
        if self.analysis.fixed:
            parts.append(f"witnesses over {', '.join(self.analysis.symmetric) or 'a symmetric sort'} fixed to the "
                         f"first by symmetry")
        return "; ".join(parts)


def _size(t: ir.Type | None) -> int:
    assert isinstance(t, ir.IntType)
    return sum(b - a + 1 for a, b in t.spans())


def _timed_check(run: Unrolling, goal: z3.BoolRef, clock: _Clock) -> z3.CheckSatResult:
    remaining = clock.remaining()
    if remaining is not None and remaining <= 0:
        return z3.unknown
    return run.check(goal, remaining)


def _why_unknown(solver: z3.Solver | None, clock: _Clock) -> str:
    remaining = clock.remaining()
    if solver is None or remaining is not None and remaining <= 0.01:
        return f"timeout after {clock.elapsed():.1f}s"
    return f"solver gave up: {solver.reason_unknown()}"


def _search(enc: SymbolicSystem, goal_at: Callable[[Unrolling], z3.BoolRef | None], max_depth: int,
            timeout: float | None, progress: Progress | None,
            atomic: Mapping[str, tuple[str, ...]] | None = None) -> ReachResult:
    clock = _Clock(timeout)
    run = Unrolling(enc, atomic=atomic)
    for depth in range(max_depth + 1):
        if depth > 0:
            run.extend()
        goal = goal_at(run)
        if goal is None:
            continue
        answer = _timed_check(run, goal, clock)
        if answer == z3.sat:
            trace = enc.trace(run.model(), run.states)
            return ReachResult("reached", depth, trace, f"reached in {depth} steps", clock.elapsed())
        if answer != z3.unsat:
            return ReachResult("unknown", depth - 1, reason=_why_unknown(run.solver, clock), elapsed=clock.elapsed())
        if progress is not None:
            progress(depth, clock.elapsed())
    return ReachResult("unreached", max_depth, reason=f"not reached in {max_depth} steps", elapsed=clock.elapsed())


@in_fresh_context
def reach(system: ir.System, goal: ir.Expr | str, max_depth: int = 20, timeout: float | None = None,
          progress: Progress | None = None, atomic: Mapping[str, tuple[str, ...]] | None = None) -> ReachResult:
    """The shortest run to a state where `goal` holds: an expression over the state, or the name of a cover goal."""
    if isinstance(goal, str):
        matches = [c for c in system.covers if c.name == goal]
        if not matches:
            raise KeyError(goal)
        expr = matches[0].expr
    else:
        expr = goal
    enc = SymbolicSystem(system)
    return _search(enc, lambda run: enc.prop(expr, run.states[-1]), max_depth, timeout, progress, atomic)


@in_fresh_context
def reach_step(system: ir.System, action: str, condition: ir.Expr | None = None, max_depth: int = 20,
               timeout: float | None = None, progress: Progress | None = None,
               previous: str | None = None, previous_condition: ir.Expr | None = None,
               atomic: Mapping[str, tuple[str, ...]] | None = None) -> ReachResult:
    """The shortest run whose last step is `action`, taken with `condition` true (an expression over the pre-state
    and the action's parameters, such as a branch path condition), and, with `previous`, whose step before it is
    that action, taken with `previous_condition` true (transition-pair coverage)."""
    enc = SymbolicSystem(system)
    names = [a.name for a in system.actions]
    index = names.index(action)
    before = None if previous is None else names.index(previous)

    def goal_at(run: Unrolling) -> z3.BoolRef | None:
        if run.depth == 0 or before is not None and run.depth < 2:
            return None
        last = run.states[-1]
        parts = [last.step.is_action(index)]
        if before is not None:
            parts.append(run.states[-2].step.is_action(before))
            if previous_condition is not None:
                parts.append(enc.prop(previous_condition, run.states[-3], run.states[-2].step.env(previous)))
        if condition is not None:
            parts.append(enc.prop(condition, run.states[-2], last.step.env(action)))
        return z3.And(parts)

    return _search(enc, goal_at, max_depth, timeout, progress, atomic)


@dataclass(frozen=True)
class StepGoal:
    """A step to reach: `action` taken with `condition` (over its pre-state and parameters) true, and with
    `previous`, right after a step of that action taken with `previous_condition` true. With `refusal`, no step:
    a run whose last state and some parameters of `action` make `condition` true (a refusal test's state, where the
    condition leaves the action disabled)."""

    action: str
    condition: ir.Expr | None = None
    previous: str | None = None
    previous_condition: ir.Expr | None = None
    refusal: bool = False


@in_fresh_context
def reach_all(system: ir.System, goals: Sequence[StepGoal], max_depth: int = 20, timeout: float | None = None,
              also_met: Callable[[Trace, set[int]], set[int]] | None = None,
              atomic: Mapping[str, tuple[str, ...]] | None = None, reduce: bool = True,
              ) -> tuple[list[tuple[Trace, tuple[int, ...], dict[int, dict[str, object]]]], set[int], str]:
    """Runs that meet every goal that can be met within `max_depth` steps, each goal by a shortest run: depth by
    depth, one query asks for a run of that length meeting any goal still open; the model's run meets some of them
    (every goal it meets is read off the model), those close, and the query is asked again until no open goal can be
    met at that depth. So one run serves all the goals it meets, and the goals no run meets cost one query per depth
    together instead of a search each. Returns the runs with the indices of the goals each meets and, for the
    refusal goals among them, the parameters of the refused step; the indices never met; and "" or why the search
    stopped early (a timeout or the solver giving up: the open goals are unknown). `also_met` adds the step goals a
    run meets that the model does not show (it is not asked about refusal goals). With `reduce`, the goals whose
    conditions meet the conditions of docs/reduction.md are asked on representative vectors (their own lane of
    queries, depth by depth beside the others)."""
    names = [a.name for a in system.actions]
    clock = _Clock(timeout)
    open_goals = set(range(len(goals)))
    found: list[tuple[Trace, tuple[int, ...], dict[int, dict[str, object]]]] = []
    lanes = []
    reducible, analysis = _reducible(system, goals) if reduce else (set(), None)
    if reducible:
        lanes.append(_Lane(system, reducible, atomic, Reduced(system, None, max_depth, analysis)))
    if open_goals - reducible:
        lanes.append(_Lane(system, open_goals - reducible, atomic, None))

    def formula(lane: _Lane, g: StepGoal) -> z3.BoolRef | None:
        enc, run = lane.enc, lane.run
        if g.refusal:
            env = lane.refused.env(g.action)
            cond = enc.prop(g.condition, run.states[-1], env) if g.condition is not None else z3.BoolVal(True)
            return z3.And(lane.refused.valid(), cond)
        need = 2 if g.previous is not None else 1
        if run.depth < need:
            return None
        last = run.states[-1]
        parts = [last.step.is_action(names.index(g.action))]
        if g.condition is not None:
            parts.append(enc.prop(g.condition, run.states[-2], last.step.env(g.action)))
        if g.previous is not None:
            parts.append(run.states[-2].step.is_action(names.index(g.previous)))
            if g.previous_condition is not None:
                parts.append(enc.prop(g.previous_condition, run.states[-3], run.states[-2].step.env(g.previous)))
        return z3.And(parts)

    def refused_params(lane: _Lane, model: z3.ModelRef, g: StepGoal) -> dict[str, object]:
        env = lane.refused.env(g.action)
        return {p.name: evaluate(model, env[p.uid], p.type) for p in system.action(g.action).params}

    for depth in range(max_depth + 1):
        for lane in lanes:
            if not lane.goals & open_goals:
                continue
            lane.advance(depth)
            formulas = {i: f for i in sorted(lane.goals & open_goals) if (f := formula(lane, goals[i])) is not None}
            while formulas:
                answer = _timed_check(lane.run, z3.Or(list(formulas.values())), clock)
                if answer == z3.unsat:
                    break
                if answer != z3.sat:
                    return found, open_goals, _why_unknown(lane.run.solver, clock)
                model = lane.run.model()
                met = {i for i, f in formulas.items() if z3.is_true(model.evaluate(f, model_completion=True))}
                trace = lane.enc.trace(model, lane.run.states)
                if also_met is not None:
                    steps_open = {i for i in open_goals - met if not goals[i].refusal}
                    met |= also_met(trace, steps_open)
                found.append((trace, tuple(sorted(met)),
                              {i: refused_params(lane, model, goals[i]) for i in sorted(met) if goals[i].refusal}))
                for i in met:
                    open_goals.discard(i)
                    formulas.pop(i, None)
        if not open_goals:
            break
    return found, open_goals, ""


class _Lane:
    """One unrolling of a search (check's, or one of reach_all's with the goals it asks for): on the spec, or on the
    spec restricted to the representatives of each depth (`reduced`), rebuilt when they change."""

    def __init__(self, system: ir.System, goals: set[int], atomic: Mapping[str, tuple[str, ...]] | None,
                 reduced: "Reduced | None", refusals: bool = True):
        self.system = system
        self.goals = goals
        self.atomic = atomic
        self.reduced = reduced
        self.enc = SymbolicSystem(system)
        self.run = Unrolling(self.enc, atomic=atomic)
        # a refusal goal's step at this depth (none for check: fresh constants would change the solver's models)
        self.refusals = refusals
        self.refused = StepVars(system, "refuse@0", self.enc.instances) if refusals else None

    def advance(self, depth: int) -> None:
        at = self.reduced.system_at(depth) if self.reduced is not None else None
        target = at if at is not None else self.system
        if self.run.enc.system is not target:
            self.enc = SymbolicSystem(target)
            self.run = Unrolling(self.enc, atomic=self.atomic)
        while self.run.depth < depth:
            self.run.extend()
        if self.refusals:
            self.refused = StepVars(target, f"refuse@{depth}", self.enc.instances)


def _reducible(system: ir.System, goals: Sequence[StepGoal]) -> tuple[set[int], "reduction.Analysis | None"]:
    """The goals whose conditions keep the vector reduction of `system` (the same sorts, the conditions of
    docs/reduction.md met by the conditions too), and the analysis with them."""
    base = reduction.analyse(system)
    if not base.sorts:
        return set(), None

    def exprs(g: StepGoal) -> list[tuple[str, ir.Expr]]:
        out = [(g.action, g.condition)] if g.condition is not None else []
        if g.previous is not None and g.previous_condition is not None:
            out.append((g.previous, g.previous_condition))
        return out

    def same(a: reduction.Analysis) -> bool:
        return [(s.vector_params, s.class_params, s.per_step) for s in a.sorts] == \
            [(s.vector_params, s.class_params, s.per_step) for s in base.sorts]

    joint = reduction.analyse(system, [e for g in goals for e in exprs(g)])
    if same(joint):
        return set(range(len(goals))), joint
    return {i for i, g in enumerate(goals) if same(reduction.analyse(system, exprs(g)))}, base


def reach_branch(system: ir.System, action: str, branch_id: int, taken: bool = True, max_depth: int = 20,
                 timeout: float | None = None, progress: Progress | None = None,
                 atomic: Mapping[str, tuple[str, ...]] | None = None) -> ReachResult:
    """The shortest run whose last step is `action` with its `if` number `branch_id` going to the then-branch
    (`taken`) or to the else-branch."""
    rel = transition.relation(system, system.action(action))
    paths = {b: (then, other) for b, then, other in rel.branch_paths}
    if branch_id not in paths:
        raise KeyError(f"{action} has no branch {branch_id}")
    then, other = paths[branch_id]
    return reach_step(system, action, then if taken else other, max_depth, timeout, progress, atomic=atomic)


__all__ = [
    "CheckResult",
    "StepGoal",
    "reach_all",
    "ReachResult",
    "Unrolling",
    "Violation",
    "check",
    "new_solver",
    "reach",
    "reach_branch",
    "reach_step",
]
