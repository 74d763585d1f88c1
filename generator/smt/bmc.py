"""Bounded model checking: the shortest run from an initial state to a bad (or wanted) state.

One incremental solver holds the initial condition and the transitions unrolled so far; at each depth the goal is
tried under an assumption literal, so depths are tried in order and the first answer is the shortest. A solver
`unknown` or a timeout gives status "unknown", never "holds"; "holds" means no violation up to the depth reached.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import z3

from .. import ir, transition
from runtime.trace import Trace
from .system import StateVars, SymbolicSystem, Violation, first_violated, select_goals

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


@dataclass(frozen=True)
class ReachResult:
    """The outcome of `reach`: "reached" with the shortest trace, "unreached" up to `depth_reached`, or "unknown"."""

    status: str  # "reached" | "unreached" | "unknown"
    depth_reached: int
    trace: Trace | None = None
    reason: str = ""
    elapsed: float = 0.0


def new_solver() -> z3.Solver:
    """A solver for the bit-vector formulas of the encoding, used incrementally with assumptions."""
    return z3.SolverFor("QF_BV")


class Unrolling:
    """Init and a chain of transitions in one solver, extended one step at a time."""

    def __init__(self, enc: SymbolicSystem, solver: z3.Solver | None = None, prefix: str = ""):
        self.enc = enc
        self.solver = solver if solver is not None else new_solver()
        self.prefix = prefix
        self.states: list[StateVars] = [enc.state(f"{prefix}0")]
        self.solver.add(enc.init(self.states[0]))

    @property
    def depth(self) -> int:
        return len(self.states) - 1

    def extend(self) -> StateVars:
        t = self.enc.state(f"{self.prefix}{len(self.states)}")
        self.solver.add(self.enc.trans(self.states[-1], t))
        self.states.append(t)
        return t

    def check(self, goal: z3.BoolRef, timeout: float | None) -> z3.CheckSatResult:
        """Is `goal` satisfiable at the current depth? (The goal is added under a fresh assumption literal.)"""
        lit = z3.Bool(f"goal!{self.prefix}{self.depth}!{id(goal)}")
        self.solver.add(z3.Implies(lit, goal))
        if timeout is not None:
            self.solver.set("timeout", max(1, int(timeout * 1000)))
        return self.solver.check(lit)


class _Clock:
    def __init__(self, timeout: float | None):
        self.start = time.monotonic()
        self.timeout = timeout

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float | None:
        return None if self.timeout is None else self.timeout - self.elapsed()


def check(system: ir.System, invariants: Iterable[str] | None = None, max_depth: int = 20,
          timeout: float | None = None, progress: Progress | None = None, lemmas: bool = False,
          ranges: bool = True) -> CheckResult:
    """Search for the shortest run (up to `max_depth` steps) that violates one of `invariants` (names of invariants,
    lemmas or "range"; by default every invariant, every lemma when `lemmas`, and the range property when
    `ranges`). `progress(depth, elapsed)` is called after each depth found clean."""
    enc = SymbolicSystem(system)
    goals = select_goals(system, invariants, lemmas=lemmas, ranges=ranges)
    clock = _Clock(timeout)
    run = Unrolling(enc)
    for depth in range(max_depth + 1):
        if depth > 0:
            run.extend()
        violations = enc.violations(run.states[-1], goals, str(depth))
        if not violations:
            return CheckResult("holds", max_depth, reason="no property to check", elapsed=clock.elapsed())
        answer = _timed_check(run, z3.Or([v.formula for v in violations]), clock)
        if answer == z3.sat:
            model = run.solver.model()
            bad = first_violated(model, violations)
            assert bad is not None
            witness = bad.witness(model)
            trace = enc.trace(model, run.states, bad.name, witness)
            return CheckResult("violated", depth, trace, bad.name, witness, f"{bad.name} violated at depth "
                               f"{depth}", clock.elapsed())
        if answer != z3.unsat:
            return CheckResult("unknown", depth - 1, reason=_why_unknown(run.solver, clock), elapsed=clock.elapsed())
        if progress is not None:
            progress(depth, clock.elapsed())
    return CheckResult("holds", max_depth, reason=f"no violation in {max_depth} steps", elapsed=clock.elapsed())


def _timed_check(run: Unrolling, goal: z3.BoolRef, clock: _Clock) -> z3.CheckSatResult:
    remaining = clock.remaining()
    if remaining is not None and remaining <= 0:
        return z3.unknown
    return run.check(goal, remaining)


def _why_unknown(solver: z3.Solver, clock: _Clock) -> str:
    remaining = clock.remaining()
    if remaining is not None and remaining <= 0.01:
        return f"timeout after {clock.elapsed():.1f}s"
    return f"solver gave up: {solver.reason_unknown()}"


def _search(enc: SymbolicSystem, goal_at: Callable[[Unrolling], z3.BoolRef | None], max_depth: int,
            timeout: float | None, progress: Progress | None) -> ReachResult:
    clock = _Clock(timeout)
    run = Unrolling(enc)
    for depth in range(max_depth + 1):
        if depth > 0:
            run.extend()
        goal = goal_at(run)
        if goal is None:
            continue
        answer = _timed_check(run, goal, clock)
        if answer == z3.sat:
            trace = enc.trace(run.solver.model(), run.states)
            return ReachResult("reached", depth, trace, f"reached in {depth} steps", clock.elapsed())
        if answer != z3.unsat:
            return ReachResult("unknown", depth - 1, reason=_why_unknown(run.solver, clock), elapsed=clock.elapsed())
        if progress is not None:
            progress(depth, clock.elapsed())
    return ReachResult("unreached", max_depth, reason=f"not reached in {max_depth} steps", elapsed=clock.elapsed())


def reach(system: ir.System, goal: ir.Expr | str, max_depth: int = 20, timeout: float | None = None,
          progress: Progress | None = None) -> ReachResult:
    """The shortest run to a state where `goal` holds: an expression over the state, or the name of a cover goal."""
    if isinstance(goal, str):
        matches = [c for c in system.covers if c.name == goal]
        if not matches:
            raise KeyError(goal)
        expr = matches[0].expr
    else:
        expr = goal
    enc = SymbolicSystem(system)
    return _search(enc, lambda run: enc.prop(expr, run.states[-1]), max_depth, timeout, progress)


def reach_step(system: ir.System, action: str, condition: ir.Expr | None = None, max_depth: int = 20,
               timeout: float | None = None, progress: Progress | None = None) -> ReachResult:
    """The shortest run whose last step is `action`, taken with `condition` true (an expression over the pre-state
    and the action's parameters, such as a branch path condition)."""
    enc = SymbolicSystem(system)
    index = [a.name for a in system.actions].index(action)

    def goal_at(run: Unrolling) -> z3.BoolRef | None:
        if run.depth == 0:
            return None
        last = run.states[-1]
        parts = [last.step.is_action(index)]
        if condition is not None:
            parts.append(enc.prop(condition, run.states[-2], last.step.env(action)))
        return z3.And(parts)

    return _search(enc, goal_at, max_depth, timeout, progress)


def reach_branch(system: ir.System, action: str, branch_id: int, taken: bool = True, max_depth: int = 20,
                 timeout: float | None = None, progress: Progress | None = None) -> ReachResult:
    """The shortest run whose last step is `action` with its `if` number `branch_id` going to the then-branch
    (`taken`) or to the else-branch."""
    rel = transition.relation(system, system.action(action))
    paths = {b: (then, other) for b, then, other in rel.branch_paths}
    if branch_id not in paths:
        raise KeyError(f"{action} has no branch {branch_id}")
    then, other = paths[branch_id]
    return reach_step(system, action, then if taken else other, max_depth, timeout, progress)


__all__ = ["check", "reach", "reach_step", "reach_branch", "CheckResult", "ReachResult", "Unrolling", "new_solver",
           "Violation"]
