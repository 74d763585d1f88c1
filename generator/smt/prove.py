"""Unbounded proofs: `prove(system, engine=...)` with induction, k-induction, Spacer, or a portfolio of them.

What is proved: the named invariants (by default all) and the implicit `range` property. Induction and k-induction
also prove every lemma (lemmas are what makes the invariants inductive); Spacer infers its own strengthening.
No result is "proved" until its certificate has been re-checked by fresh solvers (`generator.smt.certificate`):
1-inductive certificates by init => C, C and trans => C', C => P; k-inductive ones by re-running base and step cases.
A timeout or a solver `unknown` is "unknown", never "proved".
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from typing import Iterable, Sequence

from .. import ir
from .bmc import Progress
from .certificate import recheck
from .induction import induction, k_induction, recheck_k
from .outcome import ProofResult
from .spacer import spacer
from .system import Goal, select_goals

ENGINES = ("induction", "kind", "spacer")


def _goals(system: ir.System, invariants: Iterable[str] | None, engine: str) -> tuple[Goal, ...]:
    named = select_goals(system, invariants, ranges=False) if invariants is not None else \
        select_goals(system, None, ranges=False)
    named = tuple(g for g in named if g.kind != "range")
    wanted_range = invariants is None or "range" in list(invariants)
    lemmas = () if engine == "spacer" else tuple(g for g in select_goals(system, None, lemmas=True, ranges=False)
                                                  if g.kind == "lemma" and g.name not in {n.name for n in named})
    rng = tuple(g for g in select_goals(system, None, ranges=True) if g.kind == "range") if wanted_range else ()
    return named + lemmas + rng


def prove(system: ir.System, invariants: Iterable[str] | None = None, engine: str = "auto",
          timeout: float | None = None, max_k: int = 10, progress: Progress | None = None) -> ProofResult:
    """Prove the invariants (by name; default all) and the range property of `system`, or refute them.

    `engine`: "induction", "kind" (k-induction up to `max_k`), "spacer", or "auto" (all three as parallel
    processes; the first definitive answer wins and names its engine)."""
    if invariants is not None:
        invariants = list(invariants)
    if engine == "auto":
        return _portfolio(system, invariants, timeout, max_k)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)} or auto")
    start = time.monotonic()
    goals = _goals(system, invariants, engine)
    if engine == "induction":
        result = induction(system, goals, timeout)
    elif engine == "kind":
        result = k_induction(system, goals, max_k, timeout, progress)
    else:
        result = spacer(system, goals, timeout)
    if result.status != "proved":
        return result
    left = None if timeout is None else max(1.0, timeout - (time.monotonic() - start))
    return _rechecked(system, goals, result, left, start)


def _rechecked(system: ir.System, goals: Sequence[Goal], result: ProofResult, timeout: float | None,
               start: float) -> ProofResult:
    """`result` if its certificate passes the independent re-check, else "unknown" saying why."""
    cert = result.certificate
    assert cert is not None
    if cert.smt2:
        outcome = recheck(system, cert, goals, timeout)
        failure = None if outcome.status == "inductive" else f"{outcome.status}: {outcome.reason}"
    else:
        failure = recheck_k(system, goals, cert.k, timeout)
    elapsed = time.monotonic() - start
    if failure is not None:
        return ProofResult("unknown", result.engine, cti=result.cti,
                           reason=f"the {result.engine} certificate failed its re-check ({failure})", elapsed=elapsed)
    return ProofResult("proved", result.engine, certificate=cert, reason=f"{result.reason}; certificate re-checked",
                       elapsed=elapsed)


def _worker(system: ir.System, invariants: list[str] | None, engine: str, timeout: float | None, max_k: int,
            out: "multiprocessing.Queue[ProofResult]") -> None:
    out.put(prove(system, invariants, engine, timeout, max_k))


def _portfolio(system: ir.System, invariants: list[str] | None, timeout: float | None, max_k: int) -> ProofResult:
    """Run every engine in its own process (the IR is frozen dataclasses, so it pickles); the first "proved" or
    "refuted" wins and the others are stopped. All unknown: unknown, with each engine's reason."""
    start = time.monotonic()
    ctx = multiprocessing.get_context("spawn")  # no fork: the parent may hold Z3 state
    results: "multiprocessing.Queue[ProofResult]" = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(system, invariants, e, timeout, max_k, results), daemon=True)
             for e in ENGINES]
    for p in procs:
        p.start()
    answers: list[ProofResult] = []
    try:
        while len(answers) < len(procs):
            wait = None if timeout is None else timeout + 5.0 - (time.monotonic() - start)
            if wait is not None and wait <= 0:
                break
            try:
                r = results.get(timeout=wait)
            except queue.Empty:
                break
            answers.append(r)
            if r.status in ("proved", "refuted"):
                return _elapsed(r, start)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(1.0)
    cti = next((a.cti for a in answers if a.cti is not None), None)
    reasons = "; ".join(f"{a.engine}: {a.reason}" for a in answers) or "timeout"
    return ProofResult("unknown", "auto", cti=cti, reason=reasons, elapsed=time.monotonic() - start)


def _elapsed(r: ProofResult, start: float) -> ProofResult:
    return ProofResult(r.status, r.engine, r.certificate, r.cti, r.trace, r.invariant, r.reason,
                       time.monotonic() - start)


__all__ = ["prove", "ProofResult", "ENGINES"]
