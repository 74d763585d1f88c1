"""The generated pytest suites: they pass on the model, pin svm_virq's lost IPI, cover every action, report dead code,
drive an implementation adapter in lockstep, and are byte-for-byte deterministic."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from spec_paths import ROOT, SEED_SPECS, SPEC

from irqspec.front.frontend import load_system
from irqspec.pybackend.suites import generate_all, model_module_name

SMALL = {"VECTORS": "32..33", "TPR_WRITES": "0x20..0x21"}


def _line(spec: str, text: str, after: str = "") -> int:
    """The line of `text` in the spec (the first after the line that starts with `after`)."""
    lines = (SPEC / spec).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(after)) if after else 0
    return next(i for i, line in enumerate(lines[start:], start=start + 1) if line == text)


def _nesting_dead(spec: str, entry: str) -> list[str]:
    """0x20 and 0x21 share a priority class, so no interrupt can nest in a handler at this size: the handler's entry
    never finds a handler running, no nested IRET returns to one, and the cover goal of nesting is out of reach."""
    line = _line(spec, "  if stage[c] != Idle {", f"action {entry}")
    ret = _line(spec, "  if outer[c].stage != Idle {", "action iret")
    return [f"{entry}: the then branch of if #0 (line {line} `if stage[c] != Idle {{`): not reached within depth 9",
            f"iret: the then branch of if #0 (line {ret} `if outer[c].stage != Idle {{`): not reached within depth 9",
            "cover nested_handlers: not reached within depth 9"]


# With only vectors 0x20 and 0x21 (one priority class), no vector is pending behind a re-injected one: while the first
# is in service it blocks the second, so vmrun's window request after a re-injection is dead code at this size.
DEAD_AT_SMALL_VECTORS = {
    "svm_virq.irq": _nesting_dead("svm_virq.irq", "take_virq"),
    "svm_evtinj.irq": [f"vmrun: the then branch of if #1 (line {_line('svm_evtinj.irq', '    if v != 0 {')} "
                       "`if v != 0 {`): not reached within depth 9"] + _nesting_dead("svm_evtinj.irq", "deliver_event"),
    "svm_virq_pending.irq": _nesting_dead("svm_virq_pending.irq", "take_virq"),
}
DEPTH = 9  # the deepest shortest trace of the seed specs (iret) has 8 steps

TINY = """--- A tiny spec with a dead branch and an unreachable action.
module tiny

var x: 0..3
var flag: bool

init {
  x = 0
  flag = false
}

--- Count up.
action inc()
  requires x < 3
{
  x' = x + 1
  if x == 7 {
    flag' = true
  }
}

action stuck()
  requires x == 3 and flag
{
  flag' = false
}

invariant small: x < 2

cover flagged: flag
"""

ADAPTER = '''
import svm_virq_model as m
from irqspec.runtime.conformance import Refused


class ModelAdapter:
    """An "implementation" that is the model itself, without the ghost variable."""

    module = "svm_virq"
    observes = tuple(n for n in m.VAR_NAMES if n != "owed")
    actions = {name: "do_" + name for name in m.ACTIONS}  # an action called `reset` is not the protocol's reset

    def reset(self):
        self.s = m.initial_state()

    def observe(self):
        return {n: v for n, v in m.state_to_dict(self.s).items() if n in self.observes}

    def __getattr__(self, method):
        name = method[len("do_"):]
        if not method.startswith("do_") or name not in m.ACTIONS:
            raise AttributeError(method)

        def act(**params):
            self.s = m.step(self.s, name, params)
        return act


class RefusingAdapter(ModelAdapter):
    """The same, reporting the steps the model does not enable as refused (so the refusal tests run)."""

    refuses = True

    def __getattr__(self, method):
        name = method[len("do_"):]
        if not method.startswith("do_") or name not in m.ACTIONS:
            raise AttributeError(method)

        def act(**params):
            info = m.ACTIONS[name]
            if not info.enabled(self.s, *[params[p] for p, _ in info.params]):
                raise Refused(name)
            self.s = m.step(self.s, name, params)
        return act
'''


def _write(result, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in result.files.items():
        (directory / name).write_text(text)


def _pytest(directory: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cwd = directory if directory.is_dir() else directory.parent
    command = [sys.executable, "-m", "pytest", str(directory), "-q", "-p", "no:cacheprovider", "-rsx", *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="session")  # not module: a worker that runs another module in between keeps it
def generated(tmp_path_factory):
    """The suites of every seed spec at VECTORS=32..33, written into one directory (spec paths as given, relative).
    Two minutes of generation: its tests are slow, and in one xdist group, so that one worker makes them once."""
    directory = tmp_path_factory.mktemp("generated_tests")
    results = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for spec in SEED_SPECS:
            result = generate_all(Path("spec") / spec, SMALL, f"irqspec gen spec/{spec}",
                                  max_depth=DEPTH)
            _write(result, directory)
            results[spec] = result
    finally:
        os.chdir(cwd)
    return directory, results


@pytest.mark.slow
@pytest.mark.xdist_group("generated")
def test_generated_suites_pass_on_the_models(generated):
    directory, _ = generated
    run = _pytest(directory)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " failed" not in run.stdout and "error" not in run.stdout.lower()


@pytest.mark.slow
@pytest.mark.xdist_group("generated")
def test_svm_virq_lost_ipi_is_pinned_by_a_seven_step_counterexample(generated):
    directory, results = generated
    report = results["svm_virq.irq"].report
    assert report.violated == ["no_lost_ipi"]
    text = (directory / "test_svm_virq_counterexamples.py").read_text()
    assert "def test_no_lost_ipi_is_violated(implementation):" in text
    # which of the shortest traces (vCPUs swapped, the exit by VMEXIT or by the sender's ICR write) is Z3's choice;
    # what the trace must show: 7 steps, the same vector sent twice to one target (the second merges into IRR)
    assert "shortest counterexample 7 steps" in text and "# 7. " in text and "# 8. " not in text
    sends = re.findall(r"# \d\. send_ipi\(src=\d, dst=(\d), v=(0x[0-9a-f]+)\)", text)
    assert any(sends.count(s) >= 2 for s in sends), sends
    run = _pytest(directory / "test_svm_virq_counterexamples.py")
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout
    for spec in ("svm_evtinj.irq", "svm_virq_pending.irq"):
        system = load_system(SPEC / spec, SMALL)
        assert results[spec].report.violated == [] and "no_lost_ipi" in results[spec].report.holding
        assert results[spec].report.holding == [p.name for p in system.invariants]


@pytest.mark.slow
@pytest.mark.xdist_group("generated")
@pytest.mark.parametrize("spec", SEED_SPECS)
def test_every_action_branch_and_cover_has_a_test(generated, spec):
    directory, results = generated
    system = load_system(SPEC / spec, SMALL)
    report = results[spec].report
    coverage = (directory / f"test_{system.module}_coverage.py").read_text()
    witnesses = (directory / f"test_{system.module}_witnesses.py").read_text()
    for action in system.actions:
        assert f"def test_{action.name}_is_taken(implementation):" in coverage
    dead = DEAD_AT_SMALL_VECTORS.get(spec, [])
    assert report.dead == dead and report.unknown == []
    # dead actions and branches are listed in the coverage file, dead cover goals in the witnesses file
    branches = [line for line in dead if not line.startswith("cover ")]
    assert all(f"#   {line}" in coverage for line in branches) and ("#   (none)" in coverage) == (not branches)
    assert all(f"#   {line}" in witnesses for line in dead if line.startswith("cover "))
    reached = [c for c in system.covers if f"cover {c.name}: not reached within depth 9" not in dead]
    for cover in reached:
        assert f"def test_{cover.name}_is_reached(implementation):" in witnesses
    assert report.counts[f"test_{system.module}_witnesses.py"] == len(reached)


def test_dead_branches_unreached_actions_and_covers_are_reported(tmp_path):
    spec = tmp_path / "tiny.irq"
    spec.write_text(TINY)
    result = generate_all(spec, {}, "irqspec gen tiny.irq", max_depth=6)
    assert result.report.dead == [
        "inc: the then branch of if #0 (line 17 `if x == 7 {`): not reached within depth 6",
        "action stuck: not reached within depth 6",
        "cover flagged: not reached within depth 6",
    ]
    coverage = result.files["test_tiny_coverage.py"]
    assert "#   action stuck: not reached within depth 6" in coverage
    assert "def test_inc_if0_else(implementation):" in coverage
    assert "#   cover flagged: not reached within depth 6" in result.files["test_tiny_witnesses.py"]
    _write(result, tmp_path / "out")
    run = _pytest(tmp_path / "out")
    assert run.returncode == 0, run.stdout + run.stderr


PROVED = """module proved

var x: 0..3
var flag: bool

init {
  x = 0
  flag = false
}

action inc()
  requires x < 2
{
  x' = x + 1
  if x == 3 {
    flag' = true
  }
}

action stuck()
  requires flag
{
  flag' = false
}

invariant small: x <= 2
lemma never_flagged: not flag

cover flagged: flag
"""


def test_a_spec_proved_by_induction_reuses_its_proof(tmp_path):
    """When induction proves the spec, gen runs no bounded search for its invariants ("proved"), and the action,
    branch and cover goal its inductive invariant rules out are dead, proved rather than searched to the depth."""
    spec = tmp_path / "proved.irq"
    spec.write_text(PROVED)
    result = generate_all(spec, {}, "irqspec gen proved.irq", max_depth=6)
    report = result.report
    assert report.proved == ["small", "range"] == report.holding and report.violated == []
    assert "#   small: proved (induction with the spec's lemmas): no counterexample at any depth" in \
        result.files["test_proved_counterexamples.py"]
    assert report.dead == [
        f"inc: the then branch of if #0 (line {PROVED.splitlines().index('  if x == 3 {') + 1} `if x == 3 {{`): "
        "dead, proved (no state the spec's inductive "
        "invariant allows takes it)",
        "action stuck: dead, proved (no state the spec's inductive invariant allows enables it)",
        "cover flagged: dead, proved (no state the spec's inductive invariant allows has it)",
    ]
    targets = result.targets.targets
    assert targets["invariant: small"] == {"status": "holds, proved"}
    assert targets["action: stuck"] == {"status": "dead, proved"}
    assert targets["cover: flagged"] == {"status": "dead, proved"}
    assert targets["action: inc"]["status"] == "met"


@pytest.mark.slow
@pytest.mark.xdist_group("generated")
def test_broken_model_fails_the_counterexample_replay_naming_step_and_variable(generated, tmp_path):
    directory, _ = generated
    for name in ("conftest.py", "svm_virq_model.py", "test_svm_virq_counterexamples.py"):
        (tmp_path / name).write_text((directory / name).read_text())
    with open(tmp_path / "svm_virq_model.py", "a") as model:
        model.write("\n\n_real_send = send_ipi\n\n\ndef send_ipi(s, src, dst, v):  # broken: the IPI never reaches IRR\n"
                    "    return _new(State, (s[0],) + _real_send(s, src, dst, v)[1:])\n\n\n"
                    "ACTIONS['send_ipi'] = ACTIONS['send_ipi']._replace(apply=send_ipi)\n")
    run = _pytest(tmp_path)
    assert run.returncode == 1, run.stdout
    assert "Divergence" in run.stdout
    # the first send of the trace (which step that is, is Z3's choice among the shortest traces)
    assert re.search(r"divergence after step \d \(send_ipi\): irr expected \{0: \{[^}]*0x2[01][^}]*\}|"
                     r"divergence after step \d \(send_ipi\): irr expected \{0: \{\}, 1: \{0x2[01]\}\}", run.stdout), \
        run.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("generated")
def test_adapter_runs_in_lockstep_and_shows_the_lost_vector(generated, tmp_path):
    directory, results = generated
    (tmp_path / "virq_adapter.py").write_text(ADAPTER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(directory), str(ROOT)]))
    run = _pytest(directory, "--irqspec-adapter=virq_adapter:ModelAdapter", env=env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout, run.stdout
    assert re.search(r"the implementation follows the counterexample and violates no_lost_ipi with "
                     r"\{'c': [01], 'v': 3[23]\}: owed = \{0: \{[^}]*\}, 1: \{[^}]*\}\} \(not observed: the model's "
                     r"value\); irr = \{0: \{[^}]*\}, 1: \{[^}]*\}\}", run.stdout), run.stdout
    assert "the selected adapter implements spec module 'svm_virq', these tests are of 'svm_evtinj'" in run.stdout
    env["IRQSPEC_ADAPTER"] = "virq_adapter:ModelAdapter"
    coverage = _pytest(directory / "test_svm_virq_coverage.py", env=env)
    expected = results["svm_virq.irq"].report.counts["test_svm_virq_coverage.py"]
    refusing = sum(1 for k in results["svm_virq.irq"].refusals if k.startswith("test_svm_virq_coverage.py::"))
    # an adapter that does not report refusals cannot run the refusal tests: skipped as not realizable, counted
    assert refusing > 0
    assert coverage.returncode == 0 and f"{expected - refusing} passed, {refusing} skipped" in coverage.stdout, \
        coverage.stdout
    assert f"{refusing} tests skipped as not realizable (not passed)" in coverage.stdout
    env["IRQSPEC_ADAPTER"] = "virq_adapter:RefusingAdapter"
    coverage = _pytest(directory / "test_svm_virq_coverage.py", env=env)
    assert coverage.returncode == 0 and f"{expected} passed" in coverage.stdout, coverage.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("generated")
def test_generation_is_deterministic_and_every_file_has_the_header(generated, monkeypatch):
    _, results = generated
    monkeypatch.chdir(ROOT)
    again = generate_all(Path("spec") / "svm_virq.irq", SMALL, "irqspec gen spec/svm_virq.irq",
                         max_depth=DEPTH)
    first = results["svm_virq.irq"].files
    assert list(again.files) == list(first)
    assert all(again.files[name].encode() == first[name].encode() for name in first)
    digest = hashlib.sha256((SPEC / "svm_virq.irq").read_bytes()).hexdigest()
    for name, text in first.items():
        head = text.splitlines()[:3]
        assert "Do not edit" in "\n".join(head), name
        assert str(ROOT) not in text, name
        if name.endswith(".json"):  # the targets gen asked about (generator/pybackend/manifest.py): JSON, its header a member
            doc = json.loads(text)
            assert doc["generated"].startswith(f"Generated by irqspec from spec/svm_virq.irq (sha256 {digest})")
            assert doc["command"] == "irqspec gen spec/svm_virq.irq"
        elif name != "conftest.py":
            assert head[0] == f"# Generated by irqspec from spec/svm_virq.irq (sha256 {digest}).", name
            assert head[1] == "# Command: irqspec gen spec/svm_virq.irq", name
    assert list(first) == ["svm_virq_model.py", "test_svm_virq_counterexamples.py", "test_svm_virq_coverage.py",
                           "test_svm_virq_witnesses.py", "test_svm_virq_properties.py", "conftest.py",
                           "svm_virq_targets.json"]


# ------------------------------------------------------------------------------------- suites that must run anywhere

COUNTER = """module {module}

var x: 0..3

init {{
  x = 0
}}

action inc()
  requires x < 3
{{
  x' = x + 1
}}

action reset()
  requires x == 3
{{
  x' = 0
}}

invariant in_range: x <= 3

cover top: x == 3
"""


def _generate_spec(tmp_path: Path, text: str, max_depth: int = 4) -> tuple[Path, dict[str, str]]:
    """Write `text` as a spec, generate its suites into a directory of their own; return it and the files."""
    module = text.split()[1]
    spec = tmp_path / f"{module}.irq"
    spec.write_text(text)
    result = generate_all(spec, {}, f"irqspec gen {module}.irq", max_depth=max_depth)
    _write(result, tmp_path / module)
    return tmp_path / module, result.files


def _model_adapter(module: str) -> str:
    """An adapter module whose "implementation" is the generated model of `module` itself."""
    return ADAPTER.replace("import svm_virq_model as m", f"import {module}_model as m").replace(
        'module = "svm_virq"', f"module = {module!r}").replace('if n != "owed"', "if True")


BROKEN_INC = '''

class Broken(ModelAdapter):
    def do_inc(self):  # broken: the counter never moves
        pass
'''


def _pytest_dirs(directories: list[Path], *args: str, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", *map(str, directories), "-q", "-p", "no:cacheprovider", "-rsx", *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, cwd=cwd or directories[0].parent,
                          env=env, timeout=120)


@pytest.mark.slow
def test_suites_of_two_specs_in_two_folders_run_in_one_pytest_run(tmp_path):
    alpha, _ = _generate_spec(tmp_path, COUNTER.format(module="alpha"))
    beta, _ = _generate_spec(tmp_path, COUNTER.format(module="beta"))
    run = _pytest_dirs([alpha, beta])
    assert run.returncode == 0, run.stdout + run.stderr
    assert "already added" not in run.stderr and " passed" in run.stdout

    # an adapter drives the suite of the spec module it declares, the other suite's tests are skipped saying why:
    # by the option, a faithful adapter of alpha; by the environment variable, a broken adapter of beta
    (tmp_path / "alpha_adapter.py").write_text(_model_adapter("alpha"))
    (tmp_path / "beta_adapter.py").write_text(_model_adapter("beta") + BROKEN_INC)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(alpha), str(beta), str(ROOT)]))
    run = _pytest_dirs([alpha, beta], "--irqspec-adapter=alpha_adapter:RefusingAdapter", "-rA", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _outcomes(run, "alpha") == {"PASSED"} and _outcomes(run, "beta") == {"SKIPPED"}, run.stdout
    assert "the selected adapter implements spec module 'alpha', these tests are of 'beta'" in run.stdout
    run = _pytest_dirs([alpha, beta], "-rA", env=dict(env, IRQSPEC_ADAPTER="beta_adapter:Broken"))
    assert run.returncode == 1, run.stdout + run.stderr
    # (Broken does not report refusals: beta's refusal tests are skipped as not realizable, the others fail)
    assert _outcomes(run, "alpha") == {"SKIPPED"} and _outcomes(run, "beta") == {"FAILED", "SKIPPED"}, run.stdout
    assert "divergence after step 1 (inc): x expected 1, observed 0" in run.stdout, run.stdout

    # a malformed or unloadable selection stops the run with one usage error
    run = _pytest_dirs([alpha, beta], "--irqspec-adapter=alpha_adapter", env=env)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "--irqspec-adapter wants MODULE:FACTORY, got 'alpha_adapter'" in run.stderr and " passed" not in run.stdout
    run = _pytest_dirs([alpha, beta], env=dict(env, IRQSPEC_ADAPTER="alpha_adapter:NoSuchFactory"))
    assert run.returncode == 4, run.stdout + run.stderr
    assert "--irqspec-adapter=alpha_adapter:NoSuchFactory: cannot load the adapter factory" in run.stdout, run.stdout
    assert " passed" not in run.stdout and " failed" not in run.stdout, run.stdout


def _outcomes(run: subprocess.CompletedProcess, module: str) -> set[str]:
    """The outcomes (-rA summary lines) of the tests of spec module `module`."""
    return set(re.findall(rf"^(PASSED|SKIPPED|FAILED|ERROR|XFAIL)\b[^\n]*?\btest_{module}_", run.stdout, re.MULTILINE))


TWO_BROKEN = """module two_broken

var x: 0..3

init {
  x = 0
}

action inc()
  requires x < 3
{
  x' = x + 1
}

invariant zero: x < 1
invariant not_one: x != 1
"""

SPREAD = """module spread

var x: 0..3

init {
  x = 0
}

action inc()
  requires x < 3
{
  x' = x + 1
}

--- After one step it fails for every i from 2 up: the model's witness is i = 2, Z3's may be any of them.
invariant spread: forall i in 0..15: x == 0 or i < 2
"""


def test_counterexample_test_passes_when_its_last_state_breaks_two_invariants(tmp_path):
    directory, files = _generate_spec(tmp_path, TWO_BROKEN)
    text = files["test_two_broken_counterexamples.py"]
    assert "def test_zero_is_violated(" in text and "def test_not_one_is_violated(" in text
    run = _pytest(directory / "test_two_broken_counterexamples.py")
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr


def test_counterexample_test_accepts_a_model_witness_other_than_z3s_and_evaluates_it(tmp_path):
    directory, files = _generate_spec(tmp_path, SPREAD)
    z3_witness = re.search(r"it fails at the last state with i = (\d+)", files["test_spread_counterexamples.py"])
    assert z3_witness, files["test_spread_counterexamples.py"]
    # the point of the test: Z3 picked another of the failing values than the model's first one (i = 2)
    assert z3_witness.group(1) != "2", "Z3 chose the model's witness: pick an invariant where it does not"
    run = _pytest(directory / "test_spread_counterexamples.py")
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr

    # the witness is evaluated, not trusted: a model whose witness search is wrong fails the test
    with open(directory / "spread_model.py", "a") as model:
        model.write("\n\ndef _witness_spread(s):  # broken: a value for which the invariant holds\n"
                    "    return {'i': 0}\n")
    run = _pytest(directory / "test_spread_counterexamples.py")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the model's witness {'i': 0} of spread does not make it fail" in run.stdout, run.stdout


DEADLOCK = """module deadlock

var x: 0..3
var y: bool

init {
  x = 0
  y = false
}

action inc()
  requires x < 2
{
  x' = x + 1
}

action flip()
  requires x == 1
{
  y' = not y
}

invariant small: x < 3
"""

NO_ACTIONS = """module still

var x: 0..3

init {
  x = 1
}

invariant small: x < 3
"""


def test_property_test_stutters_in_a_state_without_enabled_actions(tmp_path):
    directory, files = _generate_spec(tmp_path, DEADLOCK)
    run = _pytest(directory)
    assert run.returncode == 0, run.stdout + run.stderr
    tests = sum(text.count("\ndef test_") + text.count("\n    def test_") for name, text in files.items()
                if name.startswith("test_"))
    assert "InvalidDefinition" not in run.stdout and f"{tests} passed" in run.stdout, run.stdout


@pytest.mark.slow
def test_property_test_of_a_spec_without_actions_checks_the_initial_state(tmp_path):
    directory, files = _generate_spec(tmp_path, NO_ACTIONS)
    run = _pytest(directory / "test_still_properties.py")
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
    text = files["test_still_properties.py"]
    assert "The spec declares no action" in text and "hypothesis" not in text

    # an invariant the initial state breaks: Z3's 0-step counterexample passes, the property test is an expected
    # failure that says the initial state breaks it
    broken, _ = _generate_spec(tmp_path, NO_ACTIONS.replace("module still", "module still_broken")
                               .replace("x < 3", "x < 1"))
    run = _pytest(broken)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout and "1 xfailed" in run.stdout and "the initial state breaks it" in run.stdout, \
        run.stdout


TEST_NAMED = """module test_spec

var x: 0..3

init {
  x = 0
}

def test_next(v: 0..3): 0..4 = v + 1

action test_inc()
  requires x < 3
{
  x' = test_next(x)
}

invariant test_small: x <= 3

cover test_top: x == 3
"""


@pytest.mark.slow
def test_model_of_a_spec_module_named_test_star_is_not_collected_by_pytest(tmp_path):
    directory, files = _generate_spec(tmp_path, TEST_NAMED)
    run = _pytest(directory, "--collect-only")
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line for line in run.stdout.splitlines() if "::" in line]
    assert collected and all(line.startswith("test_test_spec_") for line in collected), run.stdout
    run = _pytest(directory)
    assert run.returncode == 0 and "error" not in run.stdout.lower(), run.stdout + run.stderr
    assert "_test_spec_model.py" in files and "test_spec_model.py" not in files
    assert all(name.startswith("test_test_spec_") for name in files if name not in ("_test_spec_model.py",
                                                                                  "conftest.py")
               and name.endswith(".py"))
    assert all("import _test_spec_model as model" in text for name, text in files.items()
               if name.startswith("test_") and name.endswith(".py"))


@pytest.mark.parametrize("module, model", [("svm_virq", "svm_virq_model"), ("test", "_test_model"),
                                           ("test_spec", "_test_spec_model"), ("tests", "tests_model"),
                                           ("_test_spec", "__test_spec_model"), ("testing_x", "testing_x_model")])
def test_model_module_names_never_match_pytest_test_files_and_never_collide(module, model):
    assert model_module_name(module) == model
    assert not model.startswith("test_") and not model.endswith("_test")
