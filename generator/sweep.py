"""`irqspec sweep`: one spec at every point of a grid of constants, each point a task, on Dask or in this process.

A grid is a list of axes, each a constant and the values it takes (`--grid NCPU=2..8 --grid VECTORS=16..255,32..33`);
the points are their cartesian product, the first axis varying slowest. Every point is checked here first (the spec
loads with those constants, or the command stops with the spec's own error, exit 2) and then runs as one task: it
loads the spec in its worker and asks one engine (check, prove or explore) with a time limit of its own. A task ends
in a `PointResult` whatever happens to it: an engine that gives up, a timeout, an exception in the task, a worker
that dies under it are "unknown" with the reason, never a row left out.

Dask (dask.distributed) runs the tasks on a LocalCluster of process workers (one thread each: Z3 is not shared
between threads here) or on the scheduler of a real cluster; its workers must have irqspec installed and read the
spec at the path the client resolved. `serial` runs the same tasks in this process, one after another: the reading
the Dask run is held against in the tests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from . import ir

ENGINES = ("check", "prove", "explore")
GOOD = {"holds", "proved"}  # per point: what exits 0
BAD = {"violated", "refuted"}  # per point: what exits 1 (everything else is unknown: exit 3)


class GridError(ValueError):
    """A --grid option that names no constant of the spec, or values it cannot take."""


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[str, ...]  # each as -D would take it


@dataclass(frozen=True)
class Task:
    """One point: everything a worker needs, in plain values (it pickles and travels to another machine)."""

    index: int
    spec: str  # an absolute path
    include: tuple[str, ...]
    defines: tuple[tuple[str, str], ...]  # the grid's values and the fixed -D values, in order
    engine: str
    invariants: tuple[str, ...] | None
    max_depth: int | None
    timeout: float | None
    max_states: int | None


@dataclass(frozen=True)
class PointResult:
    index: int
    defines: tuple[tuple[str, str], ...]
    status: str  # check: violated | holds | unknown; prove: proved | refuted | unknown; explore: + incomplete
    invariant: str | None = None
    steps: int | None = None  # the length of the run that breaks `invariant`
    depth: int | None = None  # check: the deepest depth found clean; explore: the diameter
    states: int | None = None  # explore: the distinct states found
    engine: str = ""  # prove: the engine that answered
    reason: str = ""
    elapsed: float = 0.0
    worker: str = ""  # where the task ran: a Dask worker's address, or "serial"

    def data(self) -> dict:
        out = asdict(self)
        out["defines"] = dict(self.defines)
        return out


def _integers(item: str, name: str) -> list[str]:
    """The points of one item of an integer axis: a value as written (the spec checks it), or each integer of lo..hi."""
    lo, sep, hi = item.partition("..")
    if not sep:
        return [item]
    try:
        first, last = int(lo.strip(), 0), int(hi.strip(), 0)
    except ValueError:
        raise GridError(f"--grid {name}: {item!r} is not a range lo..hi of integers") from None
    if last < first:
        raise GridError(f"--grid {name}: empty range {item}")
    return [str(n) for n in range(first, last + 1)]


def parse_grid(options: Sequence[str], system: ir.System) -> list[Axis]:
    """The axes of `--grid NAME=VALUES` options, read by the kind of the constant NAME in `system`: an integer
    constant takes integers and ranges, each integer a point (`NCPU=2..8` is 7 points); a set constant takes one set
    per point, separated by commas (`VECTORS=16..255,32..33` is 2 points) or, when a set has commas of its own, by
    semicolons (`VECTORS=0x20,0x28;16..255`); a boolean takes true and false."""
    constants = {c.name: c for c in system.constants}
    axes: list[Axis] = []
    for option in options:
        name, sep, text = option.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise GridError(f"--grid takes NAME=VALUES, got {option!r}")
        if name not in constants:
            known = ", ".join(constants) or "none"
            raise GridError(f"--grid {name}: the spec declares no constant {name!r} (its constants: {known})")
        if any(a.name == name for a in axes):
            raise GridError(f"--grid {name} is given twice")
        value = constants[name].value
        items = [t.strip() for t in text.split(";" if ";" in text else ",")]
        if any(not t for t in items):
            raise GridError(f"--grid {name}: an empty value in {text!r}")
        if isinstance(value, bool):
            values = items
        elif isinstance(value, int):
            values = [v for item in items for v in _integers(item, name)]
        else:  # a set constant: each item is one set, as -D takes it
            values = items
        if len(set(values)) != len(values):
            raise GridError(f"--grid {name}: a value is given twice in {text!r}")
        axes.append(Axis(name, tuple(values)))
    if not axes:
        raise GridError("sweep needs at least one --grid NAME=VALUES")
    return axes


def points(axes: Sequence[Axis]) -> list[tuple[tuple[str, str], ...]]:
    """The cartesian product of the axes, the first varying slowest."""
    return [tuple(zip((a.name for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]


def _where() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "serial"


def run_point(task: Task) -> PointResult:
    """One point, start to end, in whatever process runs it. Never raises: a failure is an "unknown" result."""
    start = time.monotonic()
    base = PointResult(task.index, task.defines, "unknown", worker=_where())
    try:
        from .front.frontend import load

        system = load(Path(task.spec), dict(task.defines), tuple(Path(p) for p in task.include)).system
        invariants = list(task.invariants) if task.invariants is not None else None
        return _run_engine(task, system, invariants, base, start)
    except MemoryError:
        return _replace(base, reason="the task ran out of memory", elapsed=time.monotonic() - start)
    except Exception as err:  # noqa: BLE001 - the point is reported unknown, with the error, and the sweep goes on
        return _replace(base, reason=f"the task failed: {type(err).__name__}: {err}", elapsed=time.monotonic() - start)


def _replace(result: PointResult, **fields) -> PointResult:
    from dataclasses import replace

    return replace(result, **fields)


def _run_engine(task: Task, system: ir.System, invariants: list[str] | None, base: PointResult,
                start: float) -> PointResult:
    if task.engine == "check":
        from .smt.bmc import check

        r = check(system, invariants, max_depth=task.max_depth if task.max_depth is not None else 20,
                  timeout=task.timeout)
        violated = r.status == "violated"
        return _replace(base, status=r.status, invariant=r.invariant, steps=r.depth_reached if violated else None,
                        depth=None if violated else r.depth_reached, engine="bmc", reason=r.reason,
                        elapsed=time.monotonic() - start)
    if task.engine == "prove":
        from .api import prove_crosschecked

        p, _ = prove_crosschecked(system, invariants, timeout=task.timeout)
        steps = len(p.trace.steps) - 1 if p.trace is not None else None
        return _replace(base, status=p.status, invariant=p.invariant, steps=steps, engine=p.engine, reason=p.reason,
                        elapsed=time.monotonic() - start)
    from .pybackend.explore import explore

    deadline = None if task.timeout is None else start + task.timeout
    e = explore(system, max_states=task.max_states, max_depth=task.max_depth,
                should_stop=None if deadline is None else (lambda: time.monotonic() > deadline))
    reason = e.reason
    if e.status == "incomplete" and deadline is not None and time.monotonic() > deadline and not reason:
        reason = f"timeout after {task.timeout:g} s"
    steps = len(e.trace.steps) - 1 if e.trace is not None else None
    return _replace(base, status=e.status, invariant=e.invariant, steps=steps, depth=e.diameter, states=e.states,
                    engine="explore", reason=reason, elapsed=time.monotonic() - start)


def run_serial(tasks: Sequence[Task], on_result: Callable[[PointResult], None] = lambda r: None) -> list[PointResult]:
    results = []
    for task in tasks:
        results.append(run_point(task))
        on_result(results[-1])
    return results


def run_dask(tasks: Sequence[Task], client, on_result: Callable[[PointResult], None] = lambda r: None
             ) -> list[PointResult]:
    """Every task on the cluster of `client` (a distributed.Client), results in the tasks' order. A task whose
    worker died under it (distributed gives up after its retries) comes back "unknown", saying so; Ctrl-C cancels
    what is still queued or running."""
    from distributed import as_completed

    futures = {client.submit(run_point, task, pure=False): task for task in tasks}
    results: dict[int, PointResult] = {}
    try:
        for future in as_completed(futures):
            task = futures[future]
            if future.status == "finished":
                result = future.result()
            else:  # "error" (the task raised outside run_point's guard, or KilledWorker) or "cancelled"
                error = future.exception() if future.status == "error" else None
                why = f"{type(error).__name__}: {error}" if error is not None else future.status
                result = PointResult(task.index, task.defines, "unknown", reason=f"the task did not finish: {why}",
                                     worker="")
            results[task.index] = result
            on_result(result)
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
    return [results[t.index] for t in tasks]


def verdict(results: Iterable[PointResult]) -> str:
    """The sweep's status: "violated" when some point is violated or refuted, else "unknown" when some point has no
    answer (unknown, or an explore that a limit stopped), else "holds"."""
    statuses = {r.status for r in results}
    if statuses & BAD:
        return "violated"
    if statuses - GOOD:
        return "unknown"
    return "holds"


__all__ = ["Axis", "ENGINES", "GridError", "PointResult", "Task", "parse_grid", "points", "run_dask", "run_point",
           "run_serial", "verdict"]
