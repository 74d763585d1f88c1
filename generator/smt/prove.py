"""Unbounded proofs: `prove(system, engine=...)` with induction, k-induction, Spacer, or a portfolio of them.

What is proved: the named invariants (by default all) and the implicit `range` property (always). Induction,
k-induction and infer also prove every lemma (lemmas are what makes the invariants inductive); Spacer infers its own strengthening.
No result is "proved" until its certificate has been re-checked by fresh solvers (`generator.smt.certificate`):
1-inductive certificates by init => C, C and trans => C', C => P; k-inductive ones by re-running base and step cases.
A timeout or a solver `unknown` is "unknown", never "proved".
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Iterable, Sequence

from .. import ir
from .bmc import Progress
from .certificate import recheck
from .context import in_fresh_context
from .goals import Goal, select_goals
from .induction import induction, k_induction, recheck_k
from .outcome import ProofResult, interrupted
from .spacer import spacer

ENGINES = ("induction", "kind", "spacer", "infer")


def _goals(system: ir.System, invariants: Iterable[str] | None, engine: str) -> tuple[Goal, ...]:
    """What a proof establishes: the named invariants (default: all), the range property (always: the transition
    relation leaves out out-of-range steps, so a proof without it would say nothing of runs that take one), and for
    induction and k-induction every lemma, the strengthening they rest on, proved along with the rest."""
    named = tuple(g for g in select_goals(system, invariants, ranges=False) if g.kind != "range")
    lemmas = () if engine == "spacer" else tuple(Goal(p.name, p.kind, p.expr) for p in system.lemmas
                                                  if p.name not in {g.name for g in named})
    return named + lemmas + tuple(g for g in select_goals(system, None) if g.kind == "range")


def prove(system: ir.System, invariants: Iterable[str] | None = None, engine: str = "auto",
          timeout: float | None = None, max_k: int = 10, progress: Progress | None = None) -> ProofResult:
    """Prove the invariants (by name; default all) and the range property of `system`, or refute them.

    `engine`: "induction", "kind" (k-induction up to `max_k`), "spacer", "infer" (lemmas inferred, then induction:
    docs/infer.md), or "auto" (induction, then infer, then k-induction and Spacer racing in parallel processes; the
    first definitive answer wins and names its engine). Spacer always
    runs in a process of its own: inside Z3's fixedpoint engine Ctrl-C is not seen until its own time limit, so the
    parent waits for it and stops it at once when the user interrupts."""
    if invariants is not None:
        invariants = list(invariants)
    if engine == "auto":
        return _portfolio(system, invariants, timeout, max_k)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)} or auto")
    if engine == "spacer":
        return _race(system, invariants, ("spacer",), timeout, max_k, [], time.monotonic())
    return _single(system, invariants, engine, timeout, max_k, progress)


@in_fresh_context
def _single(system: ir.System, invariants: list[str] | None, engine: str, timeout: float | None, max_k: int,
            progress: Progress | None = None) -> ProofResult:
    """One engine in this process, its proof re-checked."""
    start = time.monotonic()
    goals = _goals(system, invariants, engine)
    if engine == "infer":
        return _inferred(system, invariants, goals, timeout, start)
    if engine == "induction":
        result = induction(system, goals, timeout)
    elif engine == "kind":
        result = k_induction(system, goals, max_k, timeout, progress)
    else:
        result = spacer(system, goals, timeout)
    if result.status == "unknown" and interrupted(result.reason):
        raise KeyboardInterrupt  # Ctrl-C inside Z3: stop here, never go on to another engine or phase
    if result.status != "proved":
        return result
    left = None if timeout is None else max(1.0, timeout - (time.monotonic() - start))
    return _rechecked(system, goals, result, left, start)


def _inferred(system: ir.System, invariants: list[str] | None, goals: Sequence[Goal], timeout: float | None,
              start: float) -> ProofResult:
    """Lemmas inferred (generator/infer.py, docs/infer.md), then the spec with them proved by induction and the
    certificate re-checked, as if the user had written them: the result names them, in spec text."""
    from dataclasses import replace

    from ..infer import infer

    found = infer(system, goals, timeout)
    figures = found.figures or {}
    counts = (f"{figures.get('kept', 0)} of {figures.get('clauses', 0)} candidates held on "
              f"{figures.get('states', 0)} sampled states")
    if found.system is None:
        reason = f"inference: {found.reason} ({counts})"
        return ProofResult("unknown", "infer", cti=found.cti, reason=reason, elapsed=time.monotonic() - start)
    left = None if timeout is None else max(1.0, timeout - (time.monotonic() - start))
    strengthened = _goals(found.system, invariants, "induction")
    result = induction(found.system, strengthened, left)
    if result.status != "proved":
        # Houdini's encoding and the induction engine's disagree: never a proof, and worth a bug report
        return ProofResult("unknown", "infer", cti=result.cti, elapsed=time.monotonic() - start,
                           reason=f"the inferred lemmas did not re-prove by induction ({result.reason})")
    result = _rechecked(found.system, strengthened, result, left, start)
    if result.status != "proved" or result.certificate is None:
        return replace(result, engine="infer")
    cert = result.certificate
    placeholders = {f"lemma {c.name}" for c in found.lemmas}  # source_text's stand-in for a lemma with no span
    shown = "\n".join(line for line in cert.text.splitlines() if line not in placeholders)
    text = shown.rstrip() + "\n" + "\n".join(c.lemma_text() for c in found.lemmas)
    if found.lemmas:
        reason = (f"{len(found.lemmas)} lemma{'s' if len(found.lemmas) != 1 else ''} inferred ({counts}; "
                  f"{figures.get('refuted', 0)} refuted by Z3 on the way); {result.reason}")
    else:
        reason = f"no lemma needed: the invariants are inductive with the spec's own lemmas; {result.reason}"
    return replace(result, engine="infer", certificate=replace(cert, engine="infer", text=text), reason=reason,
                   lemmas=tuple(c.lemma_text() for c in found.lemmas))


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
            out: multiprocessing.Queue[ProofResult]) -> None:
    try:
        out.put(_single(system, invariants, engine, timeout, max_k))
    except KeyboardInterrupt:
        out.put(ProofResult("unknown", engine, reason="interrupted from keyboard"))


def _portfolio(system: ir.System, invariants: list[str] | None, timeout: float | None, max_k: int) -> ProofResult:
    """Induction first, in this process: it is three queries, and closes the proof at once when the spec's lemmas make
    the invariants inductive (measured at 2 vCPUs x 240 vectors: 2.0 s, against 2.9 s for all three engines racing
    on two cores). Then lemma inference, in this process too (docs/infer.md: 7-9 s on the lemma-free shipped specs
    at 2 vCPUs x 240 vectors, 2.7 s to give up on svm_virq, whose invariant is violated; racing on two cores would
    slow it and the others alike). Otherwise k-induction and Spacer race in their own processes (the IR is frozen dataclasses, so it
    pickles); the first "proved" or "refuted" wins and the other is stopped. All unknown: unknown, with each reason."""
    start = time.monotonic()
    answers: list[ProofResult] = []
    # a spec with lemmas: induction first. Without: infer, whose first query is induction's step query (an empty
    # support when the invariants are inductive alone), so plain induction would only repeat it
    for engine in ("induction", "infer") if system.lemmas else ("infer",):
        left = None if timeout is None else timeout - (time.monotonic() - start)
        if left is not None and left <= 0:
            return _elapsed(answers[-1], start)
        answers.append(_single(system, invariants, engine, left, max_k))
        if answers[-1].status != "unknown":
            return _elapsed(answers[-1], start)
    left = None if timeout is None else timeout - (time.monotonic() - start)
    if left is not None and left <= 0:
        return _elapsed(answers[-1], start)
    return _race(system, invariants, ("kind", "spacer"), left, max_k, answers, start)


def _race(system: ir.System, invariants: list[str] | None, racers: tuple[str, ...], left: float | None,
          max_k: int, answers: list[ProofResult], start: float) -> ProofResult:
    """`racers` in processes of their own (the IR is frozen dataclasses, so it pickles); the first "proved" or
    "refuted" wins and the others are stopped; all unknown: unknown, with every reason. Ctrl-C in the parent stops
    them all at once."""
    ctx = multiprocessing.get_context("spawn")  # no fork: the parent holds Z3 state
    results: multiprocessing.Queue[ProofResult] = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(system, invariants, e, left, max_k, results), daemon=True)
             for e in racers]
    for p in procs:
        p.start()
    answers = list(answers)
    first_count = len(answers)
    deadline = None if left is None else time.monotonic() + left + 5.0  # the engines stop themselves at `left`
    try:
        while len(answers) < len(procs) + first_count:
            try:
                r = results.get(timeout=0.1)
            except queue.Empty:
                if deadline is not None and time.monotonic() > deadline:
                    break
                if not any(p.is_alive() for p in procs) and results.empty():
                    dead = [f"{e}: engine process ended with exit code {p.exitcode}" for e, p in zip(racers, procs)]
                    answers.extend(ProofResult("unknown", e, reason=d) for e, d in zip(racers, dead)
                                   if e not in {a.engine for a in answers[first_count:]})
                    break
                continue
            if r.status == "unknown" and interrupted(r.reason):
                raise KeyboardInterrupt
            answers.append(r)
            if r.status in ("proved", "refuted"):
                return _elapsed(r, start)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(1.0)
    if len(answers) == 1:
        return _elapsed(answers[0], start)
    cti = next((a.cti for a in answers if a.cti is not None), None)
    reasons = "; ".join(f"{a.engine}: {a.reason}" for a in answers)
    return ProofResult("unknown", "auto", cti=cti, reason=reasons, elapsed=time.monotonic() - start)


def _elapsed(r: ProofResult, start: float) -> ProofResult:
    from dataclasses import replace

    return replace(r, elapsed=time.monotonic() - start)


__all__ = ["ENGINES", "ProofResult", "prove"]
