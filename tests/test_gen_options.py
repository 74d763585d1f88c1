"""Options of `irqspec gen`: imports found through -I, and the size of the property test (at generation and, for a
nightly job, at run time)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from spec_paths import ROOT

from irqspec.cli import main

LIB = """module counting
def next(x: 0..3): 0..3 = (x + 1) % 4
"""

SPEC = """module uses_lib
import counting
var x: 0..3
init { x = 0 }
action tick() { x' = next(x) }
invariant small: x <= 3
"""


def _write(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "counting.irq").write_text(LIB)
    (tmp_path / "spec").mkdir()
    spec = tmp_path / "spec" / "uses_lib.irq"
    spec.write_text(SPEC)
    return spec


def test_gen_finds_imports_through_include_folders(tmp_path, capsys):
    spec = _write(tmp_path)
    assert main(["gen", str(spec), "-o", str(tmp_path / "out")]) == 2  # without -I the import is not found
    assert "counting" in capsys.readouterr().err
    assert main(["gen", str(spec), "-I", str(tmp_path / "lib"), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "uses_lib_model.py").exists()


def test_property_test_size_is_set_at_generation_and_overridable_at_run_time(tmp_path, capsys):
    spec = _write(tmp_path)
    out = tmp_path / "out"
    assert main(["gen", str(spec), "-I", str(tmp_path / "lib"), "-o", str(out), "--property-examples", "7",
                 "--property-steps", "5"]) == 0
    text = (out / "test_uses_lib_properties.py").read_text()
    assert '"IRQSPEC_PROPERTY_EXAMPLES", "7"' in text and '"IRQSPEC_PROPERTY_STEPS", "5"' in text
    assert "--property-examples 7 --property-steps 5" in text.splitlines()[1]  # the command in the header
    probe = "import test_uses_lib_properties as t; print(t.SETTINGS.max_examples, t.SETTINGS.stateful_step_count)"
    for env_examples, expected in ((None, "7 5"), ("40", "40 5")):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(out), str(ROOT)])}
        env.pop("IRQSPEC_PROPERTY_EXAMPLES", None)
        if env_examples is not None:
            env["IRQSPEC_PROPERTY_EXAMPLES"] = env_examples
        run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=out,
                             timeout=120)
        assert run.stdout.split() == expected.split(), run.stdout + run.stderr
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "IRQSPEC_PROPERTY_EXAMPLES": "40"})
    assert run.returncode == 0, run.stdout + run.stderr


SIZED = """module sized
const N = 2
const RANGE = 3..4
var x: 0..3
init { x = 0 }
action tick() requires x < N { x' = x + 1 }
invariant small: x <= N
"""

SIZED_ADAPTER = '''
import json
import os

import sized_model as m


def factory(constants):
    with open(os.environ["SEEN"], "a") as out:
        out.write(json.dumps(constants) + "\\n")
    return Adapter()


factory.module = "sized"


class Adapter:
    module = "sized"
    observes = m.VAR_NAMES

    def reset(self):
        self.s = m.initial_state()

    def observe(self):
        return m.state_to_dict(self.s)

    def tick(self):
        self.s = m.step(self.s, "tick", {})
'''


def test_the_adapter_factory_receives_the_constants(tmp_path, capsys):
    spec = tmp_path / "sized.irq"
    spec.write_text(SIZED)
    out = tmp_path / "out"
    assert main(["gen", str(spec), "-D", "N=3", "-o", str(out)]) == 0
    (out / "sized_adapter.py").write_text(SIZED_ADAPTER)
    seen = tmp_path / "seen.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(out), str(ROOT)]), "SEEN": str(seen)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out),
                          "--irqspec-adapter=sized_adapter:factory"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    first = seen.read_text().splitlines()[0]
    assert first == '{"N": 3, "RANGE": [3, 4]}'


TWO_ACTIONS = """module two_actions
var x: 0..3
var y: 0..3
init { x = 0 y = 0 }
action left() requires x < 3 { x' = x + 1 }
action right() requires y < 3 { y' = y + 1 }
invariant small: x + y <= 6
"""


def test_swarm_runs_take_subsets_of_the_actions(tmp_path):
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    from irqspec.front.frontend import load_system
    from irqspec.pybackend.loadmodel import load_model
    from irqspec.runtime.stateful import build_state_machine

    model = load_model(load_system("two_actions.irq", text=TWO_ACTIONS))
    seen: list[tuple[frozenset, set]] = []

    class Recording(build_state_machine(model, swarm=True)):  # type: ignore[misc]
        def teardown(self):
            seen.append((self.swarm, {action for action, _, _ in self.steps[1:]}))

    run_state_machine_as_test(Recording, settings=settings(max_examples=60, stateful_step_count=10, deadline=None,
                                                           derandomize=True, database=None))
    assert any(swarm == frozenset({"left", "right"}) for swarm, _ in seen)  # full runs
    assert any(len(swarm) == 1 for swarm, _ in seen)  # and swarms of one action
    assert all(taken <= swarm for swarm, taken in seen)  # a run takes only its swarm's actions
    assert not hasattr(build_state_machine(model), "choose_swarm")  # off unless asked for


MOVING = """module moving
const TOP = 3
var x: 0..7
init { x = 0 }
action tick() requires x < 7 {
  if x == TOP {
    x' = 0
  } else {
    x' = x + 1
  }
}
cover at_top: x == TOP
"""


def test_a_smaller_depth_or_other_constants_name_the_targets_that_moved(tmp_path, capsys):
    """gen keeps <module>_targets.json beside the suite; the next gen into the folder names every target a test met
    before and none meets now (issue 9 item 6), and the JSON report carries the same."""
    import json

    spec = tmp_path / "moving.irq"
    spec.write_text(MOVING)
    out = tmp_path / "out"
    assert main(["gen", str(spec), "-o", str(out), "--max-depth", "6"]) == 0
    first = capsys.readouterr().out
    assert "since the suite generated before" not in first  # nothing to compare with
    record = json.loads((out / "moving_targets.json").read_text())
    assert record["constants"] == {"TOP": "3"} and record["max_depth"] == 6
    then = next(k for k in record["targets"] if k.startswith("branch: tick: the then branch"))
    assert record["targets"][then]["status"] == "met" and record["targets"][then]["steps"] == 4
    assert record["targets"]["cover: at_top"] == {"status": "met", "steps": 3, "test": "test_at_top_is_reached"}

    assert main(["gen", str(spec), "-o", str(out), "--max-depth", "3"]) == 0  # the then branch needs 4 steps
    text = capsys.readouterr().out
    assert "since the suite generated before in this folder (max depth 6 -> 3):" in text
    assert "LOST: " in text and f"{then}: met (test_tick_if0_then, 4 steps) -> not reached within depth 3" in text
    assert "cover: at_top" not in text  # still met, in as many steps

    assert main(["gen", str(spec), "-o", str(out), "--max-depth", "6", "-D", "TOP=2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["moved"]["settings"] == ["TOP 3 -> 2", "max depth 3 -> 6"]
    assert doc["moved"]["lost"] == [] and any(line.startswith(then) for line in doc["moved"]["gained"])
    assert doc["moved"]["shorter"] >= 1  # the cover is met a step sooner


def test_a_foreign_targets_file_is_not_compared(tmp_path, capsys):
    spec = tmp_path / "moving.irq"
    spec.write_text(MOVING)
    out = tmp_path / "out"
    out.mkdir()
    (out / "moving_targets.json").write_text("{not json")
    assert main(["gen", str(spec), "-o", str(out), "--json"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["moved"] is None


@pytest.mark.slow
def test_kill_mutants_adds_a_test_per_survivor_and_the_suite_runs(tmp_path, capsys):
    """gen --kill-mutants: the spec's mutants the coverage tests leave alive each get a distinguishing run in
    test_<module>_mutants.py; the folder's suites pass on the model; the report and the targets file count them."""
    import json

    from test_cli_contracts import WEAK_SUITE  # a spec whose plain suite leaves mutants alive

    spec = tmp_path / "counter.irq"
    spec.write_text(WEAK_SUITE)
    out = tmp_path / "out"
    doc = None
    assert main(["gen", str(spec), "-o", str(out), "--kill-mutants", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    m = doc["mutants"]
    assert m["mutants"] == m["killed"] + m["by_mutant_tests"] + m["equivalent"] + m["unknown"]
    assert m["by_mutant_tests"] >= 1 and m["unknown"] == 0
    text = (out / "test_counter_mutants.py").read_text()
    assert text.count("def test_distinguishes_M") == doc["tests"]["test_counter_mutants.py"] >= 1
    assert "--kill-mutants" in text.splitlines()[1]
    record = json.loads((out / "counter_targets.json").read_text())
    mutants = {k: v for k, v in record["targets"].items() if k.startswith("mutant: ")}
    assert len(mutants) == m["mutants"]
    assert sum(1 for v in mutants.values() if str(v.get("test", "")).startswith("test_distinguishes_")) \
        == m["by_mutant_tests"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert main(["gen", str(spec), "-o", str(tmp_path / "plain"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mutants"] is None
    assert not (tmp_path / "plain" / "test_counter_mutants.py").exists()
    # into the same folder without --kill-mutants: the mutant targets go, and the report says why
    assert main(["gen", str(spec), "-o", str(out), "--json"]) == 0
    moved = json.loads(capsys.readouterr().out)["moved"]
    assert moved["settings"] == ["--kill-mutants on -> off"] and moved["gone"] == m["mutants"]
