"""Dask (dask.distributed) for irqspec: the LocalCluster it starts, and the proof portfolio as tasks of a cluster.

`prove_on_cluster` runs each engine of the portfolio (induction, k-induction, Spacer) as one task: the first proof
or refutation wins and the other tasks are cancelled; when every engine gives up, the answer is unknown with each
engine's reason, as the in-process portfolio (generator/smt/prove.py) gives it. Cancelling stops a task that has
not started; one already running on a remote worker runs on until its own time limit (Dask cannot interrupt a
running task), so give `timeout` on a shared cluster. A task that raises, or whose worker dies, is that engine's
unknown, never the verdict."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from . import ir
from .smt.outcome import ProofResult
from .smt.prove import ENGINES


def local_cluster(workers: int | None):
    """A LocalCluster of `workers` single-threaded process workers (default: one per core), quiet, without a
    dashboard, on free ports. Its workers are not daemons, so that prove's portfolio can start its engines' processes
    in them."""
    import logging

    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.daemon": False}):
        return LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.ERROR,
                            # no dashboard; the scheduler's HTTP server (health checks) on a free port, not 8787
                            scheduler_kwargs={"dashboard_address": ":0"})


def connect(address: str, timeout: float):
    """A distributed.Client of the scheduler at `address`; OSError when none answers within `timeout` seconds."""
    from distributed import Client

    return Client(address, timeout=timeout)


def engine_task(system: ir.System, invariants: list[str] | None, engine: str, timeout: float | None,
                max_k: int) -> ProofResult:
    """One engine of the portfolio, in a worker; never raises (a failure is this engine's unknown)."""
    from .smt.prove import prove

    start = time.monotonic()
    try:
        return prove(system, invariants, engine=engine, timeout=timeout, max_k=max_k)
    except Exception as err:  # noqa: BLE001 - reported as this engine's unknown; the others may still answer
        return ProofResult("unknown", engine, reason=f"the {engine} task failed: {type(err).__name__}: {err}",
                           elapsed=time.monotonic() - start)


def prove_on_cluster(system: ir.System, invariants: Iterable[str] | None, client, *, timeout: float | None = None,
                     max_k: int = 10, engines: tuple[str, ...] = ENGINES) -> ProofResult:
    """The portfolio with each engine a task on the cluster of `client`: the first "proved" or "refuted" wins (its
    `engine` names it), the other tasks are cancelled; all unknown: unknown, with every engine's reason."""
    from distributed import as_completed

    start = time.monotonic()
    goals = list(invariants) if invariants is not None else None
    futures = {client.submit(engine_task, system, goals, e, timeout, max_k, pure=False): e for e in engines}
    answers: list[ProofResult] = []
    try:
        for future in as_completed(futures):
            engine = futures[future]
            if future.status == "finished":
                result = future.result()
            else:
                error = future.exception() if future.status == "error" else None
                why = f"{type(error).__name__}: {error}" if error is not None else future.status
                result = ProofResult("unknown", engine, reason=f"the {engine} task did not finish: {why}")
            if result.status in ("proved", "refuted"):
                return _took(result, start)
            answers.append(result)
    finally:
        client.cancel([f for f in futures if not f.done()])
    cti = next((a.cti for a in answers if a.cti is not None), None)
    order = {e: i for i, e in enumerate(engines)}
    reasons = "; ".join(f"{a.engine}: {a.reason}" for a in sorted(answers, key=lambda a: order.get(a.engine, 0)))
    return ProofResult("unknown", "auto", cti=cti, reason=reasons, elapsed=time.monotonic() - start)


def _took(r: ProofResult, start: float) -> ProofResult:
    from dataclasses import replace

    return replace(r, elapsed=time.monotonic() - start, reason=f"{r.reason} (on the cluster)")


__all__ = ["connect", "engine_task", "local_cluster", "prove_on_cluster"]
