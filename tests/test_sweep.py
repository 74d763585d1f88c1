"""irqspec sweep: every point of a grid of constants as a task on a 2-worker LocalCluster (dask.distributed), each
verdict the same as in one process, one after another; a point that fails or runs out of time is unknown, never
dropped; grids and points the spec cannot take are usage errors (exit 2)."""

from __future__ import annotations

import csv
import json

import jsonschema
import pytest
from spec_paths import ROOT, SPEC

from irqspec.cli import main
from irqspec.front.frontend import load_system
from irqspec.cluster import local_cluster, prove_on_cluster
from irqspec.sweep import GridError, Task, parse_grid, points, run_dask, run_point, run_serial, verdict

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.xdist_group("sweep")  # one worker starts the module's LocalCluster

CORPUS = ROOT / "tests" / "corpus"
SCHEMA = json.loads((ROOT / "docs" / "irqspec-result.schema.json").read_text())
# bhyve_vtx_hlt.irq: the lost wakeup needs a class-4 vector while the guest HLTs at PPR class 3, before the fix only
HLT_GRID = ["FIXED=false,true", "VECTORS=0x3f..0x40,0x30..0x31", "PPR=0x20,0x30,0x40"]


@pytest.fixture(scope="module")
def client():
    cluster = local_cluster(2)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _tasks(path, grid: list[str], engine: str, **options) -> list[Task]:
    axes = parse_grid(grid, load_system(path))
    return [Task(i, str(path), (), point, engine, None, options.get("max_depth"), options.get("timeout"),
                 options.get("max_states")) for i, point in enumerate(points(axes))]


def _verdicts(results) -> list[tuple]:
    return [(r.index, r.defines, r.status, r.invariant, r.steps, r.depth, r.states) for r in results]


def test_a_grid_is_the_product_of_its_axes_read_by_the_kind_of_each_constant():
    system = load_system(SPEC / "svm_virq.irq")
    axes = parse_grid(["NCPU=2..4,8", "VECTORS=16..255,32..33", "CR8_MAX=0x0f"], system)
    assert [(a.name, a.values) for a in axes] == [("NCPU", ("2", "3", "4", "8")),
                                                   ("VECTORS", ("16..255", "32..33")), ("CR8_MAX", ("0x0f",))]
    grid = points(axes)
    assert len(grid) == 8 and grid[0] == (("NCPU", "2"), ("VECTORS", "16..255"), ("CR8_MAX", "0x0f"))
    assert grid[1][1] == ("VECTORS", "32..33") and grid[2][0] == ("NCPU", "3")  # the first axis varies slowest
    sets = parse_grid(["VECTORS=0x20,0x28,0x30..0x31;16..255"], system)  # sets with commas: ';' between points
    assert sets[0].values == ("0x20,0x28,0x30..0x31", "16..255")


@pytest.mark.parametrize("grid, words", [
    (["NOPE=1"], "the spec declares no constant 'NOPE' (its constants: MIN_VECTOR, NCPU, VECTORS, CR8_MAX, TPR_WRITES)"),
    (["NCPU"], "--grid takes NAME=VALUES"),
    (["NCPU=3..2"], "empty range 3..2"),
    (["NCPU=2..x"], "is not a range lo..hi of integers"),
    (["NCPU=2,2"], "a value is given twice"),
    (["NCPU=2", "NCPU=3"], "--grid NCPU is given twice"),
    (["NCPU=2,,3"], "an empty value"),
    ([], "at least one --grid"),
])
def test_a_grid_the_spec_cannot_take_is_refused(grid, words):
    with pytest.raises(GridError) as info:
        parse_grid(grid, load_system(SPEC / "svm_virq.irq"))
    assert words in str(info.value)


def test_twelve_points_on_two_workers_give_the_serial_verdicts_and_explore_agrees_with_check(client):
    explored = _tasks(CORPUS / "bhyve_vtx_hlt.irq", HLT_GRID, "explore")
    assert len(explored) == 12
    on_dask = run_dask(explored, client)
    here = run_serial(explored)
    assert _verdicts(on_dask) == _verdicts(here)
    assert {r.worker for r in here} == {"serial"} and len({r.worker for r in on_dask}) == 2  # both workers ran points
    lost = [r for r in here if r.status == "violated"]
    # before the fix, with a class-4 vector and the guest halted at PPR class 3: the lost wakeup, 3 steps
    assert [(dict(r.defines), r.invariant, r.steps) for r in lost] == [
        ({"FIXED": "false", "VECTORS": "0x3f..0x40", "PPR": "0x30"}, "no_missed_wakeup", 3)]
    assert all(r.status == "holds" and r.states > 0 for r in here if r not in lost)
    # BMC to beyond every point's diameter: the same verdict, and the same shortest length, at every point
    deep = max(r.depth for r in here) + 1
    checked = run_dask(_tasks(CORPUS / "bhyve_vtx_hlt.irq", HLT_GRID, "check", max_depth=deep), client)
    assert [(r.status, r.invariant, r.steps) for r in checked] == [(r.status, r.invariant, r.steps) for r in here]
    assert verdict(checked) == "violated"


@pytest.mark.slow
def test_prove_at_every_point_on_two_workers_matches_the_serial_run(client):
    # the prove portfolio starts processes of its own: the LocalCluster's workers are not daemons
    tasks = _tasks(CORPUS / "kvm_ioapic_eoi.irq", ["FIXED=false,true", "NCPU=2"], "prove")
    on_dask, here = run_dask(tasks, client), run_serial(tasks)
    assert [(r.status, r.invariant, r.steps) for r in on_dask] == [(r.status, r.invariant, r.steps) for r in here]
    assert [r.status for r in here] == ["refuted", "proved"] and here[0].invariant is not None


def test_a_point_that_runs_out_of_time_or_fails_is_unknown_and_kept(client, tmp_path):
    tasks = _tasks(SPEC / "svm_virq.irq", ["NCPU=2..3"], "check", max_depth=12, timeout=0.01)
    results = run_dask(tasks, client)
    assert [r.status for r in results] == ["unknown", "unknown"] and all("timeout" in r.reason for r in results)
    assert verdict(results) == "unknown"
    gone = Task(0, str(tmp_path / "gone.irq"), (), (), "check", None, 5, None, None)
    failed = run_point(gone)
    assert failed.status == "unknown" and failed.reason.startswith("the task failed: SpecError")


def _json(capsys, argv: list[str], code: int) -> dict:
    assert main(argv) == code
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["exit_code"] == code
    return doc


def test_the_command_on_a_scheduler_prints_the_table_json_and_csv(client, tmp_path, capsys):
    spec = str(CORPUS / "bhyve_vtx_hlt.irq")
    grid = [arg for g in HLT_GRID for arg in ("--grid", g)]
    path = tmp_path / "sweep.csv"
    doc = _json(capsys, ["sweep", spec, *grid, "--engine", "explore", "--scheduler", client.scheduler.address,
                         "--json", "--csv", str(path)], 1)
    serial = _json(capsys, ["sweep", spec, *grid, "--engine", "explore", "--serial", "--json"], 1)
    assert doc["status"] == "violated" and doc["counts"] == {"holds": 11, "violated": 1}
    assert doc["scheduler"] == client.scheduler.address and serial["scheduler"] == "serial"
    keep = ("defines", "status", "invariant", "steps", "depth", "states")
    assert [{k: p[k] for k in keep} for p in doc["points"]] == [{k: p[k] for k in keep} for p in serial["points"]]
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 12 and list(rows[0])[:3] == ["FIXED", "VECTORS", "PPR"]
    assert [(r["status"], r["states"]) for r in rows] == [(p["status"], str(p["states"])) for p in doc["points"]]
    assert main(["sweep", spec, "--grid", "FIXED=true", "--grid", "PPR=0x30,0x40", "-D", "VECTORS=0x3f..0x40",
                 "--engine", "explore", "--serial"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["FIXED", "PPR", "status", "result", "time"]
    assert len(out.splitlines()) == 5 and "2 points: 2 holds" in out


@pytest.mark.parametrize("argv, words", [
    (["--grid", "NCPU=1..2"], "the grid point NCPU=1 is not a spec irqspec can run"),
    (["--grid", "NCPU=2..3", "-D", "NCPU=3"], "NCPU is given both by -D and by --grid"),
    (["--grid", "NOPE=1"], "the spec declares no constant 'NOPE'"),
    (["--grid", "NCPU=2", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"],
     "--scheduler tcp://127.0.0.1:9: no Dask scheduler answers there"),
    (["--grid", "NCPU=2", "--csv", "/nonexistent/dir/x.csv"], "the folder /nonexistent/dir does not exist"),
])
def test_bad_grids_points_and_schedulers_exit_2_without_a_traceback(argv, words, capsys):
    assert main(["sweep", str(SPEC / "svm_virq.irq"), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    if "NCPU=1" in argv[1]:
        assert "value 1 of constant 'NCPU' is out of its type 2..8" in err


@pytest.mark.slow
def test_the_lost_ipi_at_twelve_sizes_on_a_two_worker_local_cluster(tmp_path, capsys):
    """The acceptance run: svm_virq at 2 and 3 vCPUs, three vector sets and two TPR write sets, on a LocalCluster
    of its own; the same twelve verdicts, each the 7-step lost IPI, as the serial run."""
    grid = ["--grid", "NCPU=2..3", "--grid", "VECTORS=32..32,32..33,47..48", "--grid", "TPR_WRITES=32..33,0x2f..0x30"]
    argv = ["sweep", str(SPEC / "svm_virq.irq"), *grid, "--max-depth", "7", "--json"]
    doc = _json(capsys, [*argv, "--workers", "2"], 1)
    serial = _json(capsys, [*argv, "--serial"], 1)
    assert doc["scheduler"] == "LocalCluster(2 workers)" and len(doc["points"]) == 12
    assert {(p["status"], p["invariant"], p["steps"]) for p in doc["points"]} == {("violated", "no_lost_ipi", 7)}
    assert [(p["defines"], p["status"], p["steps"]) for p in doc["points"]] == \
        [(p["defines"], p["status"], p["steps"]) for p in serial["points"]]
    assert len({p["worker"] for p in doc["points"]}) == 2


# ------------------------------------------------------------------------------------- the portfolio on the cluster


@pytest.mark.parametrize("fixed, expect", [("false", "refuted"), ("true", "proved")])
def test_the_portfolio_as_tasks_answers_as_the_portfolio_in_one_process(client, fixed, expect):
    from irqspec.smt.prove import prove

    system = load_system(CORPUS / "kvm_ioapic_eoi.irq", {"FIXED": fixed, "NCPU": "2"})
    here = prove(system)
    there = prove_on_cluster(system, None, client, timeout=60)
    assert here.status == there.status == expect
    assert there.engine in ("induction", "kind", "spacer") and "(on the cluster)" in there.reason
    if expect == "refuted":
        assert there.invariant == here.invariant and len(there.trace.steps) == len(here.trace.steps)
    else:
        assert there.certificate is not None  # re-checked in its worker, as prove re-checks every certificate


def test_prove_on_a_scheduler_from_the_command_line(client, capsys):
    spec = str(CORPUS / "kvm_ioapic_eoi.irq")
    doc = _json(capsys, ["prove", spec, "-D", "FIXED=true", "-D", "NCPU=2", "--scheduler",
                         client.scheduler.address, "--json"], 0)
    assert doc["status"] == "proved" and doc["crosscheck"]["status"] in ("agrees", "partial")
    assert main(["prove", spec, "--scheduler", client.scheduler.address, "--engine", "kind"]) == 2
    assert "--scheduler runs the portfolio's engines as tasks: it takes --engine auto" in capsys.readouterr().err
    assert main(["prove", spec, "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"]) == 2
    assert "no Dask scheduler answers there" in capsys.readouterr().err
