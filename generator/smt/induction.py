"""Proof engines by induction: plain induction over the spec's invariants and lemmas, and k-induction.

- `induction`: C = the invariants and lemmas; the three queries of `generator.smt.inductive`. A failure of the
  step query is reported as a counterexample to induction (CTI): add a lemma that excludes its pre-state.
- `k_induction`: for k = 1, 2, ...: the base case by BMC (no violation within k - 1 steps) and the step case over
  simple paths (k consecutive distinct states satisfying the properties, then a step, imply the properties).
  `recheck_k` re-runs both cases in fresh solvers.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from pathlib import Path

import z3

from irqspec.runtime.trace import Step, Trace

from .. import ir
from .bmc import Progress, Unrolling, counterexample, new_solver
from .certificate import Certificate, to_smt2
from .goals import Goal
from ..front.modules import source_text as source_text_of
from .inductive import CTI, check_inductive, goal_conjuncts
from .outcome import ProofResult
from .system import SymbolicSystem, first_violated


def source_text(system: ir.System, goals: Sequence[Goal]) -> str:
    """The goals as written in the spec (from their source spans), falling back to their names."""
    by_name = {p.name: p for p in (*system.invariants, *system.lemmas)}
    try:
        # the front end's reading of the file (BOM dropped, CR and CRLF as LF), split where the lexer counts lines
        lines = source_text_of(Path(system.file).read_text(encoding="utf-8")).split("\n")
    except (OSError, UnicodeDecodeError):
        lines = []
    out = []
    for g in goals:
        p = by_name.get(g.name)
        span = getattr(p, "span", None)
        if p is not None and lines and span is not None and span.line > 0:
            end = max(span.end_line, span.line)
            out.append("\n".join(lines[span.line - 1:end]).strip())
        elif g.kind == "range":
            out.append("range: every range-checked assignment stays inside its target's range")
        else:
            out.append(f"{g.kind} {g.name}")
    return "\n".join(out)


def induction(system: ir.System, goals: Sequence[Goal], timeout: float | None = None) -> ProofResult:
    """Prove `goals` with their invariants and lemmas as the inductive invariant (not yet re-checked)."""
    start = time.monotonic()
    enc = SymbolicSystem(system)
    conjuncts = goal_conjuncts(enc, goals)
    out = check_inductive(enc, conjuncts, goals, timeout)
    elapsed = time.monotonic() - start
    if out.status == "inductive":
        canonical = enc.state("")
        formula = z3.And([c.holds(canonical) for c in conjuncts])
        cert = Certificate("induction", 1, source_text(system, goals), to_smt2(formula), tuple(g.name for g in goals))
        return ProofResult("proved", "induction", certificate=cert, reason="inductive", elapsed=elapsed)
    if out.status == "init":
        assert out.init_state is not None
        trace = Trace((Step(None, {}, out.init_state),), out.broken, out.witness)
        return ProofResult("refuted", "induction", trace=trace, invariant=out.broken, reason=out.reason,
                           elapsed=elapsed)
    return ProofResult("unknown", "induction", cti=out.cti, reason=out.reason, elapsed=elapsed)


def _assumable(goals: Sequence[Goal]) -> list[Goal]:
    """The goals with a positive form (not `range`), assumed on the states before the last in a step case."""
    return [g for g in goals if g.kind != "range"]


def k_induction(system: ir.System, goals: Sequence[Goal], max_k: int = 10, timeout: float | None = None,
                progress: Progress | None = None) -> ProofResult:
    """Prove or refute `goals` by k-induction with simple-path constraints, k = 1..max_k."""
    start = time.monotonic()
    enc = SymbolicSystem(system)
    assumed = _assumable(goals)
    base = Unrolling(enc, prefix="b")
    states = [enc.state("k0")]
    path: list[z3.BoolRef] = [states[0].valid()]  # the step case's simple path so far

    def left() -> float | None:
        return None if timeout is None else timeout - (time.monotonic() - start)

    def unknown(solver: z3.Solver | None, what: str) -> ProofResult:
        remaining = left()
        why = "timeout" if solver is None or remaining is not None and remaining <= 0.01 else solver.reason_unknown()
        return ProofResult("unknown", "kind", reason=f"{what}: {why}", elapsed=time.monotonic() - start)

    step_solver: z3.Solver | None = None
    bad: list = []
    base_time = step_time = 0.0

    def base_case(depth: int) -> ProofResult | None:
        """Check the base case at `depth`; a violation refutes (depths go in order, so the trace is the shortest)."""
        while base.depth < depth:
            base.extend()
        violations = enc.violations(base.states[-1], goals, f"b{base.depth}")
        remaining = left()
        if remaining is not None and remaining <= 0:
            return unknown(None, f"base case {base.depth}")
        r = base.check(z3.Or([v.formula for v in violations]), remaining) if violations else z3.unsat
        if r == z3.sat:
            name, _, trace = counterexample(enc, base, violations)
            return ProofResult("refuted", "kind", trace=trace, invariant=name,
                               reason=f"{name} violated at depth {base.depth}", elapsed=time.monotonic() - start)
        if r != z3.unsat:
            return unknown(base.solver, f"base case {base.depth}")
        return None

    checked = -1  # the deepest base case found clean
    for k in range(1, max_k + 1):
        # base case: no violation up to depth k - 1; beyond that, run ahead while the base cases have cost less
        # than the step cases (a refutation is then found by the cheap BMC rather than after many step cases)
        while checked < k - 1 or (base_time < step_time and checked < max_k - 1):
            t0 = time.monotonic()
            outcome = base_case(checked + 1)
            base_time += time.monotonic() - t0
            if outcome is not None:
                return outcome
            checked += 1
        # step case: the properties on k distinct consecutive states imply them on the next one
        prev = states[-1]
        path.extend(enc.holds(g, prev) for g in assumed)
        t, enabled = enc.successor(prev, f"k{k}")  # terms over the free first state: no state-copy equations
        path.append(enabled)
        path.extend(z3.Not(t.same(s)) for s in states)
        states.append(t)
        bad = enc.violations(t, goals, f"k{k}")
        remaining = left()
        if remaining is not None and remaining <= 0:
            return unknown(None, f"step case {k}")
        step_solver = new_solver()
        if remaining is not None:
            step_solver.set("timeout", max(1, int(remaining * 1000)))
        step_solver.add(*path, z3.Or([v.formula for v in bad]) if bad else z3.BoolVal(False))
        t0 = time.monotonic()
        r = step_solver.check()
        step_time += time.monotonic() - t0
        if r == z3.unsat:
            text = f"k-induction with k = {k} over simple paths, of:\n{source_text(system, goals)}"
            cert = Certificate("kind", k, text, "", tuple(g.name for g in goals))
            return ProofResult("proved", "kind", certificate=cert, reason=f"{k}-inductive",
                               elapsed=time.monotonic() - start)
        if r != z3.sat:
            return unknown(step_solver, f"step case {k}")
        if progress is not None:
            progress(k, time.monotonic() - start)
    assert step_solver is not None
    m = step_solver.model()
    hit = first_violated(m, bad)
    cti = None
    if hit is not None:
        action, params = states[-1].step.decode(m)
        cti = CTI(states[-2].decode(m), action, params, states[-1].decode(m), hit.name, hit.witness(m))
    return ProofResult("unknown", "kind", cti=cti, reason=f"not {max_k}-inductive", elapsed=time.monotonic() - start)


def recheck_k(system: ir.System, goals: Sequence[Goal], k: int, timeout: float | None = None) -> str | None:
    """Re-run the base cases (depths 0..k-1) and the step case of a k-induction proof in fresh solvers.
    None when both hold; otherwise why not."""
    start = time.monotonic()
    enc = SymbolicSystem(system)

    def solver() -> z3.Solver:
        s = new_solver()
        if timeout is not None:
            s.set("timeout", max(1, int((timeout - (time.monotonic() - start)) * 1000)))
        return s

    for depth in range(k):
        q = solver()
        states = [enc.state(f"r{i}") for i in range(depth + 1)]  # relational, unlike the engine's unrolling
        q.add(enc.init(states[0]), *[enc.trans(a, b) for a, b in itertools.pairwise(states)])
        bad = enc.violations(states[-1], goals, f"r{depth}")
        if bad:
            q.add(z3.Or([v.formula for v in bad]))
            r = q.check()
            if r != z3.unsat:
                return f"base case at depth {depth}: {r}"
    q = solver()
    states = [enc.state(f"s{i}") for i in range(k + 1)]
    q.add(states[0].valid())
    for i, s in enumerate(states[:-1]):
        q.add(*[enc.holds(g, s) for g in _assumable(goals)], enc.trans(s, states[i + 1]))
    for i in range(k + 1):
        for j in range(i):
            q.add(z3.Not(states[i].same(states[j])))
    bad = enc.violations(states[-1], goals, f"s{k}")
    if bad:
        q.add(z3.Or([v.formula for v in bad]))
        r = q.check()
        if r != z3.unsat:
            return f"step case with k = {k}: {r}"
    return None
