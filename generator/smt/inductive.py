"""Is a candidate invariant C inductive and strong enough? The three queries, each in a fresh solver:

    init => C            (a model: an initial state outside C)
    C and trans => C'    (a model: a counterexample to induction, CTI: pre-state, action, post-state)
    C => P               (a model: a state of C where a property fails)

C is a list of conjuncts: the spec's invariants and lemmas (the induction engine), or one opaque formula (an invariant
found by Spacer, re-checked). The induction engine, and the re-check of every 1-inductive certificate, are this.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import z3

from .bmc import new_solver
from .goals import Goal
from .state import StateVars
from .system import SymbolicSystem, Violation, first_violated


@dataclass(frozen=True)
class CTI:
    """A counterexample to induction: a state satisfying the candidate, a step from it, and the conjunct (with the
    values of its quantified variables) that the post-state breaks. For a failure of `C => P` there is no step:
    `action` is the action that would leave a range, or None, and `post` is None."""

    pre: dict[str, object]
    action: str | None
    params: dict[str, object]
    post: dict[str, object] | None
    broken: str
    witness: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Conjunct:
    """One part of a candidate invariant: its positive form on a state, and the condition that it fails."""

    name: str
    holds: Callable[[StateVars], z3.BoolRef]
    violated: Callable[[StateVars, str], Violation]


def goal_conjuncts(enc: SymbolicSystem, goals: Sequence[Goal]) -> list[Conjunct]:
    """The invariants and lemmas among `goals` as conjuncts (the range property has no positive form)."""
    return [Conjunct(g.name, lambda s, g=g: enc.holds(g, s), lambda s, tag, g=g: enc.violations(s, [g], tag)[0])
            for g in goals if g.kind != "range"]


def formula_conjunct(name: str, formula: z3.BoolRef, canonical: StateVars) -> Conjunct:
    """An opaque formula over the parts of `canonical` as a conjunct (read in another state by substitution)."""

    def holds(s: StateVars) -> z3.BoolRef:
        return z3.substitute(formula, *zip(canonical.terms(), s.terms()))

    def violated(s: StateVars, tag: str) -> Violation:
        return Violation(name, z3.Not(holds(s)), lambda m: {})

    return Conjunct(name, holds, violated)


@dataclass(frozen=True)
class InductiveOutcome:
    """"inductive", or which query failed ("init", "step", "property") with what it found, or "unknown"."""

    status: str
    broken: str | None = None
    cti: CTI | None = None
    init_state: dict[str, object] | None = None  # status "init": the initial state outside C
    witness: dict[str, object] = field(default_factory=dict)
    reason: str = ""


def check_inductive(enc: SymbolicSystem, conjuncts: Sequence[Conjunct], goals: Sequence[Goal],
                    timeout: float | None = None) -> InductiveOutcome:
    """Run the three queries (see the module docstring) for C = the conjunction of `conjuncts` and P = `goals`."""
    start = time.monotonic()

    def solver() -> z3.Solver | None:
        s = new_solver()
        if timeout is not None:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return None
            s.set("timeout", max(1, int(left * 1000)))
        return s

    def unknown(s: z3.Solver | None, what: str) -> InductiveOutcome:
        why = "timeout" if s is None or timeout is not None and time.monotonic() - start >= timeout - 0.01 \
            else s.reason_unknown()
        return InductiveOutcome("unknown", reason=f"{what}: {why}")

    # 1. init => C
    s0 = enc.state("i0")
    q = solver()
    if q is None:
        return unknown(q, "init => C")
    bad = [c.violated(s0, "i0") for c in conjuncts]
    if bad:
        q.add(enc.init(s0), z3.Or([b.formula for b in bad]))
        r = q.check()
        if r == z3.sat:
            m = q.model()
            hit = first_violated(m, bad)
            assert hit is not None
            return InductiveOutcome("init", hit.name, init_state=s0.decode(m), witness=hit.witness(m),
                                    reason=f"{hit.name} fails in an initial state")
        if r != z3.unsat:
            return unknown(q, "init => C")

    # 2. C and trans => C'
    pre, post = enc.state("p"), enc.state("q")
    q = solver()
    if q is None:
        return unknown(q, "C and trans => C'")
    bad = [c.violated(post, "q") for c in conjuncts]
    if bad:
        q.add(pre.valid(), *[c.holds(pre) for c in conjuncts], enc.trans(pre, post), z3.Or([b.formula for b in bad]))
        r = q.check()
        if r == z3.sat:
            m = q.model()
            hit = first_violated(m, bad)
            assert hit is not None
            action, params = post.step.decode(m)
            cti = CTI(pre.decode(m), action, params, post.decode(m), hit.name, hit.witness(m))
            return InductiveOutcome("step", hit.name, cti=cti, witness=cti.witness,
                                    reason=f"not inductive: {action} breaks {hit.name}")
        if r != z3.unsat:
            return unknown(q, "C and trans => C'")

    # 3. C => P
    s = enc.state("c")
    q = solver()
    if q is None:
        return unknown(q, "C => P")
    bad = enc.violations(s, goals, "c")
    if bad:
        q.add(s.valid(), *[c.holds(s) for c in conjuncts], z3.Or([b.formula for b in bad]))
        r = q.check()
        if r == z3.sat:
            m = q.model()
            hit = first_violated(m, bad)
            assert hit is not None
            w = hit.witness(m)
            action = w.get("action") if hit.name.startswith("range:") else None
            params = w.get("params", {}) if action is not None else {}
            cti = CTI(s.decode(m), action, params, None, hit.name, w)  # type: ignore[arg-type]
            return InductiveOutcome("property", hit.name, cti=cti, witness=w,
                                    reason=f"the invariant does not imply {hit.name}")
        if r != z3.unsat:
            return unknown(q, "C => P")
    return InductiveOutcome("inductive", reason="init => C, C and trans => C', C => P")
