"""The sweep command: one engine at every point of a grid of constants, on Dask (generator/sweep.py)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .common import (EXIT_INTERRUPTED, EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, OUT, Progress, UsageError, emit,
                     dask_client, load_spec, parse_defines, writable)

CODES = {"violated": EXIT_VIOLATED, "unknown": EXIT_UNKNOWN, "holds": EXIT_OK}


def _outcome(r) -> str:
    """A point's result in words, for the table."""
    if r.status in ("violated", "refuted"):
        return f"{r.invariant} after {r.steps} steps"
    if r.status == "holds" and r.states is not None:
        return f"{r.states:,} states, diameter {r.depth}"
    if r.status == "holds":
        return f"no violation up to depth {r.depth}"
    if r.status == "proved":
        return f"proved ({r.engine})"
    reason = " ".join(r.reason.split())
    return reason if len(reason) <= 70 else reason[:67] + "..."


def _table(axes, results) -> str:
    header = [a.name for a in axes] + ["status", "result", "time"]
    rows = [[value for _, value in r.defines[:len(axes)]] + [r.status, _outcome(r), f"{r.elapsed:.2f} s"]
            for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n"
                   for row in [header, *rows])


def _write_csv(path: str, axes, results) -> None:
    import csv

    fields = ["status", "invariant", "steps", "depth", "states", "engine", "elapsed", "worker", "reason"]
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([a.name for a in axes] + fields)
        for r in results:
            data = r.data()
            writer.writerow([value for _, value in r.defines[:len(axes)]]
                            + ["" if data[f] is None else (f"{data[f]:.3f}" if f == "elapsed" else data[f])
                               for f in fields])


def _check_points(args: argparse.Namespace, fixed: dict[str, str], grid) -> None:
    """Every point loads: the spec's own error (file, line, column) for the first that does not, exit 2."""
    from ..front.check import build_system
    from ..front.diagnostics import SpecError
    from ..front.modules import load_modules

    loaded = load_modules(Path(args.file), tuple(Path(p) for p in args.include), None)
    for point in grid:
        try:
            build_system(loaded.modules, {**dict(point), **fixed})
        except SpecError as err:
            where = ", ".join(f"{k}={v}" for k, v in point)
            sys.stderr.write(f"irqspec: error: the grid point {where} is not a spec irqspec can run:\n")
            raise SpecError(err.diagnostics, loaded.sources) from None


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..jsondoc import document
    from ..cluster import local_cluster
    from ..sweep import GridError, Task, parse_grid, points, run_dask, run_serial, verdict

    writable(args.csv, "--csv")
    fixed = parse_defines(args.define)
    front = load_spec(args)
    try:
        axes = parse_grid(args.grid, front.system)
    except GridError as err:
        raise UsageError(str(err)) from None
    clash = sorted(set(fixed) & {a.name for a in axes})
    if clash:
        raise UsageError(f"{clash[0]} is given both by -D and by --grid")
    grid = points(axes)
    _check_points(args, fixed, grid)
    max_depth = args.max_depth if args.max_depth is not None or args.engine != "check" else 20
    tasks = [Task(i, str(Path(args.file).resolve()), tuple(str(Path(p).resolve()) for p in args.include),
                  point + tuple(fixed.items()), args.engine, tuple(args.inv) if args.inv else None,
                  max_depth, args.point_timeout, args.max_states) for i, point in enumerate(grid)]
    live = Progress("sweep")
    done = 0

    def arrived(result) -> None:
        nonlocal done
        done += 1
        live.phase = f"{done} of {len(tasks)} points done"

    start = time.monotonic()
    cluster = client = None
    try:
        if args.serial:
            where, scheduler = "in this process", "serial"
            live.phase = f"0 of {len(tasks)} points done"
            results = run_serial(tasks, arrived)
        else:
            try:
                from distributed import Client
            except ImportError:
                raise UsageError("sweep runs on Dask: pip install 'irqspec[dask]' (or run it with --serial)") from None
            if args.scheduler:
                live.phase = f"connecting to the scheduler at {args.scheduler}"
                client = dask_client(args.scheduler, args.connect_timeout)
                where, scheduler = f"on the Dask scheduler at {args.scheduler}", args.scheduler
            else:
                live.phase = "starting a LocalCluster"
                cluster = local_cluster(args.workers)
                client = Client(cluster)
                count = len(cluster.workers)
                where = f"on a LocalCluster of {count} worker{'s' if count != 1 else ''}"
                scheduler = f"LocalCluster({count} workers)"
            live.phase = f"0 of {len(tasks)} points done"
            results = run_dask(tasks, client, arrived)
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: {done} of {len(tasks)} points done "
                         f"({time.monotonic() - start:.1f} s)\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    elapsed = time.monotonic() - start
    status = verdict(results)
    code = CODES[status]
    counts = {s: sum(r.status == s for r in results) for s in dict.fromkeys(r.status for r in results)}
    if args.csv:
        _write_csv(args.csv, axes, results)
    if args.json:
        emit(document("sweep", front.system, status, code, elapsed, engine=args.engine, max_depth=max_depth,
                      grid=[{"name": a.name, "values": list(a.values)} for a in axes],
                      fixed=fixed, scheduler=scheduler, counts=counts,
                      points=[{**r.data(), "elapsed": round(r.elapsed, 3)} for r in results],
                      csv=args.csv))
        return code
    depth = f", max depth {max_depth}" if max_depth is not None else ""
    OUT.write(f"sweep {args.file}: {args.engine}{depth}, {len(tasks)} points {where}\n")
    OUT.write(_table(axes, results))
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    busy = sum(r.elapsed for r in results)
    OUT.write(f"{len(tasks)} points: {summary} ({elapsed:.1f} s; the tasks took {busy:.1f} s in all)\n")
    if args.csv:
        OUT.write(f"table written to {args.csv} (CSV)\n")
    return code
