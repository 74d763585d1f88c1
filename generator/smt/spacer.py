"""The Spacer engine: the safety question as constrained Horn clauses, solved by Z3's Spacer.

    Inv(s)  <-  init(s)
    Inv(t)  <-  Inv(s) and trans(s, t)
    Err     <-  Inv(s) and (some property fails in s)

Unsatisfiable query (Err underivable): safe, and Spacer's interpretation of Inv is an inductive invariant, read back
over the spec-named state parts as the certificate. Satisfiable: unsafe; the counterexample trace is then found by
BMC (the shortest one). Inv has one argument per scalar state part: the flattening keeps every argument small.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import z3

from .. import ir
from .bmc import check as bmc_check
from .certificate import Certificate, part_scalars, render, to_smt2
from .goals import Goal
from .outcome import ProofResult
from .system import SymbolicSystem


def spacer(system: ir.System, goals: Sequence[Goal], timeout: float | None = None) -> ProofResult:
    """Prove or refute `goals` with Spacer (the certificate is not yet re-checked)."""
    start = time.monotonic()
    enc = SymbolicSystem(system)
    s, t = enc.state("s"), enc.state("t")
    canonical = enc.state("")
    inv = z3.Function("Inv", *[x.sort() for x in s.terms()], z3.BoolSort())
    err = z3.Function("Err", z3.BoolSort())
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    if timeout is not None:
        fp.set("timeout", max(1, int(timeout * 1000)))
    fp.register_relation(inv, err)
    violations = enc.violations(s, goals, "q")
    fp.declare_var(*s.terms(), *t.terms(), *t.step.terms(), *[x for v in violations for x in v.fresh])
    fp.rule(inv(*s.terms()), enc.init(s))
    fp.rule(inv(*t.terms()), [inv(*s.terms()), enc.trans(s, t)])
    for v in violations:
        fp.rule(err(), [inv(*s.terms()), v.formula])
    try:
        answer = fp.query(err)
    except z3.Z3Exception as error:  # Spacer reports its timeout and Ctrl-C alike as an exception ("canceled")
        why = error.value.decode() if isinstance(error.value, bytes) else str(error)
        return ProofResult("unknown", "spacer", reason=f"Spacer: {_timed_out(why, start, timeout)}",
                           elapsed=time.monotonic() - start)
    if answer == z3.unsat:
        cover = fp.get_cover_delta(-1, inv)
        formula = z3.substitute_vars(cover, *canonical.terms())
        text = ("Spacer's inductive invariant over the state parts (arithmetic on a part is modulo 2**width):\n"
                + render(formula, part_scalars(system)))
        cert = Certificate("spacer", 1, text, to_smt2(formula), tuple(g.name for g in goals))
        return ProofResult("proved", "spacer", certificate=cert, reason="Spacer found an inductive invariant",
                           elapsed=time.monotonic() - start)
    if answer == z3.sat:
        left = None if timeout is None else max(1.0, timeout - (time.monotonic() - start))
        found = bmc_check(system, [g.name for g in goals], max_depth=10_000, timeout=left)
        if found.status == "violated":
            return ProofResult("refuted", "spacer", trace=found.trace, invariant=found.invariant,
                               reason=f"Spacer: unsafe; {found.reason}", elapsed=time.monotonic() - start)
        return ProofResult("unknown", "spacer", reason=f"Spacer: unsafe, but BMC found no trace ({found.reason})",
                           elapsed=time.monotonic() - start)
    return ProofResult("unknown", "spacer", reason=f"Spacer: {_timed_out(fp.reason_unknown(), start, timeout)}",
                       elapsed=time.monotonic() - start)


def _timed_out(why: str, start: float, timeout: float | None) -> str:
    """Spacer says "canceled" both when its time limit fires and when the user presses Ctrl-C: past the limit it is
    the limit ("timeout", an unknown), before it the user (an interruption, see outcome.interrupted)."""
    if timeout is not None and time.monotonic() - start >= timeout * 0.95:
        return f"timeout after {time.monotonic() - start:.1f}s"
    return why
