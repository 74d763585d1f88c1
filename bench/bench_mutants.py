"""The kill table of the mutants of the post-fix port: the committed generated svm_evtinj suites against a random-walk
differential baseline (issue 9, item 7).

    python bench/bench_mutants.py [--only NAME,NAME] [--json PATH] [--suites DIR]

The mutants are bench/mutants/catalogue.py: each one slip in a named bhyve function, applied to a copy of
examples/bhyve_svm imported under another name (bench/mutants/port.py). Each is run through the post-fix adapter of
its copy, wrapped to count steps (adapter action calls):

- suites: `pytest generated_tests/test_svm_evtinj_*.py --irqspec-adapter=...` in a subprocess per mutant; a mutant is
  killed by every test that fails. "steps" is the steps into the first failing test (in collection order) when it
  first failed, and the cumulative steps of the suite run up to that point. Hypothesis runs without shrinking
  (bench/mutants/suites.py says why; --shrink restores it: the same kills, ten times the time);
- baseline: 20 random walks of the generated model (generated_tests/svm_evtinj_model.py, irqspec.runtime.model.walk, seeds
  0..19) replayed in lockstep with the mutant by irqspec.runtime.conformance.lockstep; killed at the first step where an
  observed variable differs from the model's or the adapter raises. Two budgets: B, the total steps the suites execute
  against the unmutated port (20 walks of B/20 steps), and the issue's reference of 20 walks x 2,000 steps.

`--suites DIR` measures the svm_evtinj suites generated into DIR instead of the committed ones (e.g. at another size:
`irqspec gen spec/svm_evtinj.irq -o DIR -D VECTORS=...`); the baseline then walks DIR's model, so both run at the
same size, and the ports are built with the model's NCPU.

First the unmutated copy runs through both: a kill there is a false kill and stops the bench. Prints figures, asserts
nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mutants.catalogue import MUTANTS, Mutant
from bench.mutants.counting import CountingAdapter
from bench.mutants.port import PortCopies, iter_mutants
from irqspec.runtime.conformance import Divergence, lockstep
from irqspec.runtime.model import walk

WALKS = 20
REFERENCE_STEPS = 2_000
NCPU = 2
UNMUTATED = "(unmutated)"
SUITE_KINDS = ("counterexamples", "coverage", "witnesses", "mutants", "properties")


# ----------------------------------------------------------------------------------------------------- suites


def _suites_worker(name: str, out: str, shrink: bool, folder: str, ncpu: int) -> None:
    """In a fresh process: run the suites against the copy of the port with mutant `name`; records to `out`."""
    from bench.mutants.suites import run_suites

    mutant = None if name == UNMUTATED else next(iter_mutants(MUTANTS, [name]))
    with PortCopies() as ports:
        adapters = ports.adapters(mutant)
        records = run_suites(lambda: adapters.postfix_adapter(ncpu), shrink=shrink, folder=Path(folder))
    Path(out).write_text(json.dumps(records))


def run_suites_in_subprocess(name: str, shrink: bool, folder: Path, ncpu: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "records.json"
        command = [sys.executable, __file__, "--suites-worker", name, "--out", str(out), "--suites", str(folder),
                   "--ncpu", str(ncpu)]
        command += ["--shrink"] if shrink else []
        done = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"the suites worker for {name} failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        return json.loads(out.read_text())


@dataclass
class SuiteKill:
    test: str            # the first failing test, in collection order
    failed_at: int       # steps into that test
    cumulative: int      # steps of the whole run up to that point
    failure: str
    killers: list[str]   # every failing test
    total_steps: int     # steps the whole run executed


def suite_kill(records: list[dict]) -> SuiteKill | None:
    before = 0
    first = None
    for r in records:
        if r["outcome"] == "failed" and first is None:
            first = (r, before + (r["failed_at"] or 0))
        before += r["steps"]
    if first is None:
        return None
    r, cumulative = first
    return SuiteKill(r["nodeid"].split("::")[-1], r["failed_at"] or 0, cumulative, r["failure"],
                     [x["nodeid"] for x in records if x["outcome"] == "failed"], before)


def suite_kind(nodeid: str) -> str:
    return next((k for k in SUITE_KINDS if f"_{k}.py" in nodeid), "other")


# --------------------------------------------------------------------------------------------------- baseline


def random_runs(model: Any, walks: int, total: int) -> list[list[tuple[str, dict]]]:
    """`walks` random walks of the model (seeds 0, 1, ...) of `total` steps together, as (action, params) runs."""
    lengths = [total // walks + (1 if w < total % walks else 0) for w in range(walks)]
    runs = []
    for seed, length in enumerate(lengths):
        run: list[tuple[str, dict]] = []

        def on_step(action: str, args: tuple, _state: Any, run: list = run) -> None:
            run.append((action, dict(zip((p for p, _ in model.ACTIONS[action].params), args))))

        walk(model, length, seed=seed, on_step=on_step)
        runs.append(run)
    return runs


@dataclass
class WalkKill:
    walk: int
    step: int            # steps into that walk
    cumulative: int      # steps of the baseline up to that point
    failure: str


def baseline_kill(model: Any, factory: Any, runs: list[list[tuple[str, dict]]]) -> WalkKill | None:
    adapter = CountingAdapter(factory())
    done = 0
    for w, run in enumerate(runs):
        try:
            lockstep(model, adapter, run)
        except Divergence as err:
            return WalkKill(w, err.step, done + err.step, str(err).splitlines()[0][:240])
        except Exception as err:  # noqa: BLE001 - the implementation cannot take the step, or crashes: a kill too
            step = adapter.steps_since_reset
            return WalkKill(w, step, done + step, f"{type(err).__name__}: {err}".splitlines()[0][:240])
        done += len(run)
    return None


# ------------------------------------------------------------------------------------------------------ table


@dataclass
class Row:
    name: str
    area: str
    function: str
    slip: str
    equivalent_because: str
    suites: SuiteKill | None
    equal: WalkKill | None
    reference: WalkKill | None


def _walk_cell(kill: WalkKill | None) -> str:
    return "survived" if kill is None else f"w{kill.walk} s{kill.step} ({kill.cumulative})"


def _suite_cell(kill: SuiteKill | None) -> str:
    if kill is None:
        return "survived"
    return f"{kill.test} @{kill.failed_at} ({kill.cumulative}) +{len(kill.killers) - 1}"


def print_table(rows: list[Row], budget: int, reference: int) -> None:
    print()
    print("Kill table. suites: first failing test @steps into it (cumulative steps of the suite run) +other failing "
          "tests;")
    print(f"baseline: walk w step s (cumulative steps), at {budget} steps (= the suites' budget) and at {reference}.")
    header = ("mutant", "area", "bhyve function", "suites", f"baseline@{budget}", f"baseline@{reference}")
    cells = [(r.name, r.area, r.function, _suite_cell(r.suites), _walk_cell(r.equal), _walk_cell(r.reference))
             for r in rows]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *cells]:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip())


def print_totals(rows: list[Row], budget: int, reference: int) -> None:
    n = len(rows)
    by_suites = [r for r in rows if r.suites]
    by_equal = [r for r in rows if r.equal]
    by_reference = [r for r in rows if r.reference]
    predicted = [r for r in rows if r.equivalent_because]
    print()
    print(f"mutants: {n} ({len(predicted)} expected equivalent when written)")
    print(f"killed by the generated suites:              {len(by_suites)}/{n}  (the suites execute {budget} steps "
          "against the unmutated port)")
    print(f"killed by the baseline at {budget} steps:".ljust(46) + f"{len(by_equal)}/{n}  ({WALKS} walks of "
          f"~{budget // WALKS} steps)")
    print(f"killed by the baseline at {reference} steps:".ljust(46) + f"{len(by_reference)}/{n}  ({WALKS} walks of "
          f"{reference // WALKS} steps)")
    kinds = {k: [r for r in by_suites if any(suite_kind(t) == k for t in r.suites.killers)]  # type: ignore[union-attr]
             for k in SUITE_KINDS}
    print("kills by suite file (a mutant counts in every file with a failing test): "
          + ", ".join(f"{k} {len(v)}" for k, v in kinds.items()))
    z3 = {r.name for k in ("counterexamples", "coverage", "witnesses", "mutants") for r in kinds[k]}
    only_property = [r.name for r in kinds["properties"] if r.name not in z3]
    print(f"killed by a Z3-derived test: {len(z3)}; only by the Hypothesis property test: {len(only_property)}"
          + (f" ({', '.join(only_property)})" if only_property else ""))
    suites_only = [r.name for r in by_suites if not r.reference]
    reference_only = [r.name for r in by_reference if not r.suites]
    print(f"killed by the suites but not by the baseline at {reference}: {len(suites_only)}"
          + (f" ({', '.join(suites_only)})" if suites_only else ""))
    print(f"killed by the baseline at {reference} but not by the suites: {len(reference_only)}"
          + (f" ({', '.join(reference_only)})" if reference_only else ""))
    both = [r for r in rows if r.suites and r.reference]
    if both:
        faster = sum(1 for r in both if r.suites.cumulative < r.reference.cumulative)  # type: ignore[union-attr]
        print(f"of the {len(both)} killed by both, the suites get there in fewer cumulative steps for {faster}")
    survivors = [r for r in rows if not (r.suites or r.equal or r.reference)]
    missed = [r for r in rows if not r.suites]
    if missed:
        print()
        print("Not killed by the suites:")
        for r in missed:
            after = next((m.equivalent_after_run for m in MUTANTS if m.name == r.name), "")
            note = (f"expected equivalent: {r.equivalent_because}" if r.equivalent_because
                    else f"not predicted equivalent; argued equivalent after the run: {after}" if after
                    else "not argued equivalent: a miss")
            killed = "also survives the baseline" if r in survivors else f"baseline kills it: {_walk_cell(r.reference)}"
            print(f"  {r.name} ({r.function}: {r.slip}); {killed}; {note}")
    wrongly = [r.name for r in rows if r.equivalent_because and (r.suites or r.reference)]
    if wrongly:
        print(f"expected equivalent but killed (the argument was wrong): {', '.join(wrongly)}")


# ------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated mutant names (default: all)")
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON")
    parser.add_argument("--shrink", action="store_true",
                        help="let Hypothesis shrink a failing property run, as a plain pytest run does (the kills and "
                             "the steps to them do not change; the bench takes about ten times as long)")
    parser.add_argument("--suites", metavar="DIR", default=str(ROOT / "generated_tests"),
                        help="the folder of the svm_evtinj suites and model to measure (default: the committed ones)")
    parser.add_argument("--ncpu", type=int, default=NCPU, help=argparse.SUPPRESS)
    parser.add_argument("--suites-worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.suites_worker:
        _suites_worker(args.suites_worker, args.out, args.shrink, args.suites, args.ncpu)
        return

    folder = Path(args.suites).resolve()
    sys.path.insert(1, str(folder))
    import svm_evtinj_model as model

    ncpu = int(model.CONSTANTS["NCPU"])
    print(f"suites and model: {folder} ({', '.join(f'{k}={v}' for k, v in model.CONSTANTS.items())})")

    start = time.perf_counter()
    mutants: list[Mutant] = list(iter_mutants(MUTANTS, args.only.split(",") if args.only else None))
    reference_total = WALKS * REFERENCE_STEPS
    with PortCopies() as ports:
        unmutated = ports.adapters(None)
        records = run_suites_in_subprocess(UNMUTATED, args.shrink, folder, ncpu)
        budget = sum(r["steps"] for r in records)
        outcomes = {o: sum(1 for r in records if r["outcome"] == o) for o in ("passed", "failed", "skipped")}
        equal_runs = random_runs(model, WALKS, budget)
        reference_runs = random_runs(model, WALKS, reference_total)
        print(f"unmutated port: {len(records)} generated tests ({outcomes['passed']} passed, {outcomes['failed']} "
              f"failed, {outcomes['skipped']} skipped) in {budget} steps; baseline budgets {budget} and "
              f"{reference_total} steps")
        false_kills = [f"suites: {r['nodeid']}: {r['failure']}" for r in records if r["outcome"] != "passed"]
        for label, runs in ((str(budget), equal_runs), (str(reference_total), reference_runs)):
            kill = baseline_kill(model, lambda: unmutated.postfix_adapter(ncpu), runs)
            if kill is not None:
                false_kills.append(f"baseline@{label}: {_walk_cell(kill)}: {kill.failure}")
        if false_kills:
            print("FALSE KILLS of the unmutated port; the measurement would mean nothing:")
            print("\n".join(f"  {k}" for k in false_kills))
            sys.exit(1)
        print("unmutated port: killed by nothing (no false kills)")

        rows = []
        for mutant in mutants:
            adapters = ports.adapters(mutant)

            def factory(adapters: Any = adapters) -> Any:
                return adapters.postfix_adapter(ncpu)

            row = Row(mutant.name, mutant.area, mutant.function, mutant.slip, mutant.equivalent_because,
                      suite_kill(run_suites_in_subprocess(mutant.name, args.shrink, folder, ncpu)),
                      baseline_kill(model, factory, equal_runs), baseline_kill(model, factory, reference_runs))
            rows.append(row)
            print(f"  {mutant.name}: suites {_suite_cell(row.suites)}; baseline {_walk_cell(row.equal)} / "
                  f"{_walk_cell(row.reference)}", flush=True)
    print_table(rows, budget, reference_total)
    print_totals(rows, budget, reference_total)
    print(f"\n({time.perf_counter() - start:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"budget": budget, "reference": reference_total,
                                               "rows": [asdict(r) for r in rows]}, indent=1))


if __name__ == "__main__":
    main()
