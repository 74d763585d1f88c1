"""`irqspec export --quint`: the Quint module of a spec, typechecked and run by Quint itself, and Quint's own ITF
traces read back by `irqspec replay` (issue 13: ITF in from every producer).

Quint is the `quint` command named by IRQSPEC_QUINT (.ci/run installs tests/quint/package.json into a cache
folder with npm and sets it); without it these tests skip with the reason. `quint run` simulates (random runs, the
TypeScript backend, a fixed seed): it is held to the explorer where a simulation can be held to anything. A
violation Quint reports must be one the explorer finds too, at a length the explorer's is no longer than, and the
trace Quint writes must replay on the spec's own model, with and without its `mbt::` action names; a design the
explorer proves clean must give Quint no violation; and a violation two steps deep is found in 2,000 runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from spec_paths import SPEC
from test_differential import random_specs
from test_tlc_oracle import CORPUS

from irqspec.cli import main
from irqspec.export.quint import export_quint
from irqspec.front.frontend import load_system
from irqspec.itf_types import param_descriptors
from irqspec.pybackend.explore import explore
from irqspec.runtime.itf import trace_from_itf

QUINT_VARIABLE = "IRQSPEC_QUINT"
SHIPPED = sorted(p.stem for p in SPEC.glob("*.irq"))
SMALL = {"VECTORS": "32..32", "CR8_MAX": "0", "TPR_WRITES": "0..0"}


@pytest.fixture(scope="module")
def quint() -> str:
    value = os.environ.get(QUINT_VARIABLE)
    if not value:
        pytest.skip(f"Quint not run: {QUINT_VARIABLE} is not set (npm install tests/quint/package.json into a folder "
                    f"and point it at node_modules/.bin/quint; .ci/run does so where npm reaches its registry)")
    if not Path(value).is_file() or shutil.which("node") is None:
        pytest.skip(f"Quint not run: {QUINT_VARIABLE}={value} is not a file, or there is no `node` on PATH")
    return value


def write(system, folder: Path) -> Path:
    module = export_quint(system)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module.name}.qnt"
    path.write_text(module.text, encoding="utf-8")
    return path


def run(quint: str, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    # check=False: the exit code is part of what the caller reads
    return subprocess.run([quint, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def simulate(quint: str, qnt: Path, steps: int, samples: int) -> tuple[bool, Path]:
    """`quint run` of the export (every invariant and TypeOK); whether it found a violation, and its ITF trace."""
    itf = qnt.with_suffix(".itf.json")
    proc = run(quint, "run", qnt.name, "--backend", "typescript", "--invariant", "allInvariants", "--seed", "1",
               "--max-steps", str(steps), "--max-samples", str(samples), "--mbt", "--out-itf", itf.name, cwd=qnt.parent)
    output = proc.stdout + proc.stderr
    assert "[violation]" in output or "[ok]" in output, output[-3000:] + "\n" + qnt.read_text()
    return "[violation]" in output, itf


def replays(spec: Path, itf: Path, defines: dict[str, str], capsys) -> str:
    args = ["replay", str(spec), str(itf)] + [x for k, v in defines.items() for x in ("-D", f"{k}={v}")]
    capsys.readouterr()
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def without_action_names(itf: Path) -> Path:
    doc = json.loads(itf.read_text())
    for state in doc["states"]:
        state.pop("mbt::actionTaken", None)
        state.pop("mbt::nondetPicks", None)
    bare = itf.with_name("bare.itf.json")
    bare.write_text(json.dumps(doc))
    return bare


# -------------------------------------------------------------------------------------------- the export itself


def test_the_quint_export_is_deterministic_and_keeps_the_spec_s_names():
    first = export_quint(load_system(SPEC / "svm_evtinj.irq"))
    assert first == export_quint(load_system(SPEC / "svm_evtinj.irq"))
    text = first.text
    assert "module svm_evtinj {" in text and "var irr: int -> Set[int]" in text
    assert "type Stage = Idle | Running | Acked | EoiSent" in text
    assert "{ nondet src = Cpu.oneOf() nondet dst = Cpu.oneOf() nondet v = VECTORS.oneOf() send_ipi(src, dst, v) }" \
        in text
    assert "irr' = irr.set(dst, irr.get(dst).union(Set(v)))" in text
    assert "pure def accept_irr(irr_: Set[int], v: int): int" not in text  # bits[256] stays a set
    assert "pure def accept_irr(irr_: Set[int], v: int): Set[int] = irr_.exclude(Set(v))" in text


def test_a_parameter_quint_reserves_is_renamed_and_read_back_under_its_own_name():
    # Quint refuses a name of its built-ins even for a parameter (QNT101: `enabled`); the export appends `_`, and
    # the ITF reader takes `enabled_` for `enabled` where the action has no parameter of that name
    system = load_system(SPEC / "svm_evtinj.irq", SMALL)
    assert "action set_if(c: int, enabled_: bool): bool" in export_quint(system).text
    picks = {"c": {"tag": "Some", "value": 1}, "enabled_": {"tag": "Some", "value": True},
             "dst": {"tag": "None", "value": {"#tup": []}}}
    trace = trace_from_itf({"states": [{"mbt::actionTaken": "set_if", "mbt::nondetPicks": picks}]}, {},
                           param_descriptors(system))
    assert (trace.steps[0].action, trace.steps[0].params) == ("set_if", {"c": 1, "enabled": True})


def test_the_export_command_writes_a_quint_module(tmp_path, capsys):
    assert main(["export", "--quint", str(SPEC / "svm_virq.irq"), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "svm_virq.qnt").is_file()
    assert "quint run" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:  # argparse: one language at a time
        main(["export", "--quint", "--tla", str(SPEC / "svm_virq.irq"), "-o", str(tmp_path)])
    assert stop.value.code == 2


# --------------------------------------------------------------------------------------------------------- Quint


@pytest.mark.parametrize("spec", [SPEC / f"{s}.irq" for s in SHIPPED] + sorted(CORPUS.glob("*.irq")),
                         ids=lambda p: p.stem)
def test_quint_typechecks_the_export_at_full_size(spec: Path, quint: str, tmp_path: Path):
    qnt = write(load_system(spec), tmp_path)
    proc = run(quint, "typecheck", qnt.name, cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


def test_quint_finds_the_lost_ipi_and_its_trace_replays_with_and_without_action_names(quint: str, tmp_path: Path,
                                                                                        capsys):
    spec = SPEC / "svm_virq.irq"
    system = load_system(spec, SMALL)
    found, itf = simulate(quint, write(system, tmp_path), steps=10, samples=3000)
    assert found
    out = replays(spec, itf, SMALL, capsys)
    assert "replay on the model of svm_virq" in out and "violates no_lost_ipi" in out
    bare = replays(spec, without_action_names(itf), SMALL, capsys)
    assert "inferred" in bare and "violates no_lost_ipi" in bare


@pytest.mark.parametrize("spec", ["svm_evtinj", "svm_virq_pending"])
def test_quint_finds_no_violation_in_the_fixed_designs(spec: str, quint: str, tmp_path: Path, capsys):
    system = load_system(SPEC / f"{spec}.irq", SMALL)
    found, itf = simulate(quint, write(system, tmp_path), steps=30, samples=100)
    assert not found
    assert "replay on the model" in replays(SPEC / f"{spec}.irq", itf, SMALL, capsys)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(random_specs())
def test_quint_on_the_export_of_random_specs_agrees_with_explore(quint: str, tmp_path_factory, capsys, text: str):
    folder = tmp_path_factory.mktemp("quint")
    spec = folder / "random_spec.irq"
    spec.write_text(text)
    system = load_system(spec)
    result = explore(system, deadlock=False)
    assert result.status in ("holds", "violated")
    length = len(result.trace.steps) - 1 if result.trace is not None else result.diameter
    # a range violation is TypeOK broken one step further in Quint, as in TLC
    ranged = result.status == "violated" and result.invariant.startswith("range")
    found, itf = simulate(quint, write(system, folder), steps=length + 2, samples=2000)
    if result.status == "holds":
        assert not found
    elif length + ranged <= 2:
        assert found
    if found:
        assert result.status == "violated"
        doc = json.loads(itf.read_text())
        assert len(doc["states"]) - 1 >= length + ranged
        # Quint's trace is the spec's, but for a last state out of range (TypeOK broken), which replay refuses
        # at that step, rightly
        args = ["replay", str(spec), str(itf)]
        capsys.readouterr()
        code = main(args)
        out = capsys.readouterr().out
        assert code == 0 or (code == 1 and f"after step {len(doc['states']) - 1} " in out and "leaves a range" in out), out
