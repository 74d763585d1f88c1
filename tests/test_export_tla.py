"""`irqspec export --tla`: the TLA+ module of a spec, held against TLC and SANY (the TLA+ tools' own checker and
parser) as independent oracles.

SANY must accept the export of every shipped and corpus spec at full size. TLC on the export must give what
irqspec's explorer gives: for a holding design, the same number of distinct states and the same depth (TLC counts
the initial state, so its depth is the explorer's diameter plus one); for a violated one, a violation with a trace
of the same length (both search breadth-first, TLC with one worker). The random specs of test_differential (every
kind of variable, sets with gaps, match, bit and map updates, range violations) and of test_liveness (fairness and
leads-to) go through the same comparison. TLC is the jar named by IRQSPEC_TLA2TOOLS (.ci/run sets it); without it
these tests skip with the reason, and the export's own tests still run.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from spec_paths import SPEC
from test_differential import random_specs
from test_liveness import random_live_specs
from test_tlc_oracle import CASES, CORPUS, TLC_OK, TLC_VIOLATION, TlcRun, steps
from test_tlc_oracle import tla2tools  # noqa: F401  (the fixture: the jar, or a skip with the reason)

from irqspec.cli import main
from irqspec.export.tla import export_tla
from irqspec.export.tlaexpr import legal
from irqspec.front.frontend import load_system
from irqspec.pybackend.explore import DEADLOCK, explore
from irqspec.pybackend.liveness import check_liveness

TLC_DEADLOCK = 11
TLC_LIVENESS = 13
SHIPPED = sorted(p.stem for p in SPEC.glob("*.irq"))
# one vector, TPR held at 0, a single MMIO TPR value: every shipped spec explores in a few seconds
SMALL = {"VECTORS": "32..32", "CR8_MAX": "0", "TPR_WRITES": "0..0"}


def write(system, folder: Path, deadlock: bool = True, liveness: bool = True) -> str:
    """Export `system` into `folder`; the module's name. `liveness` False leaves the PROPERTIES out of the
    configuration."""
    module = export_tla(system, deadlock=deadlock)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module.name}.tla").write_text(module.tla)
    cfg = module.cfg if liveness else re.sub(r"PROPERTIES\n(    .*\n)+", "", module.cfg)
    (folder / f"{module.name}.cfg").write_text(cfg)
    return module.name


def tlc(jar: Path, folder: Path, name: str, timeout: float = 300) -> TlcRun:
    command = ["java", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1", f"-Djava.io.tmpdir={folder}", "-jar",
               str(jar), "-workers", "1", "-config", f"{name}.cfg", f"{name}.tla"]
    start = time.monotonic()
    # check=False: the exit code is the verdict, read by the caller
    proc = subprocess.run(command, check=False, cwd=folder, capture_output=True, text=True, timeout=timeout)
    return TlcRun(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


def sany(jar: Path, folder: Path, name: str) -> str:
    proc = subprocess.run(["java", "-cp", str(jar), "tla2sany.SANY", f"{name}.tla"], check=False, cwd=folder,
                          capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def sany_errors(output: str) -> bool:
    return bool(re.search(r"\*\*\* Errors|Fatal errors|Parse Error|Semantic errors|Lexical error", output))


def agree(system, run: TlcRun, deadlock: bool = True) -> None:
    """TLC's verdict and figures on the export are the explorer's."""
    result = explore(system, deadlock=deadlock)
    assert result.status in ("holds", "violated"), result.status
    if result.status == "holds":
        assert run.exit_code == TLC_OK, run.tail()
        assert run.distinct_states == result.states, run.tail()
        assert run.depth == result.diameter + 1, run.tail()
        return
    assert result.trace is not None
    length = steps(result.trace)
    if result.invariant == DEADLOCK:
        assert run.exit_code == TLC_DEADLOCK, run.tail()
        assert run.trace_steps == length, run.tail()
        return
    assert run.exit_code == TLC_VIOLATION, run.tail()
    # the explorer's trace to a range violation stops before the step that leaves the range (its witness names the
    # step); TLC takes the step and finds TypeOK false in the state it reaches, one step further
    ours = "TypeOK" if result.invariant.startswith("range") else legal(result.invariant)
    # both find the first violation of a breadth-first level; when two successors of that level break different
    # properties, the order each tool generates them in picks the one reported
    assert run.violated_invariant in {ours, "TypeOK"} | {legal(p.name) for p in system.invariants}, run.tail()
    if ours != "TypeOK":
        assert run.trace_steps == length, run.tail()
        return
    # The explorer checks a state's invariants when it takes the state from its queue, and the range of a step when
    # it expands the state the step leaves; TLC checks both on each new state. So a range violation the explorer
    # meets expanding level d is TLC's TypeOK at level d + 1, unless TLC meets an invariant broken at level d first
    # (a state the explorer's queue held behind the one it was expanding).
    if run.violated_invariant == "TypeOK":
        assert run.trace_steps == length + 1, run.tail()
    else:
        assert run.trace_steps in (length, length + 1), run.tail()


# -------------------------------------------------------------------------------------------- the export itself


def test_the_export_is_deterministic_and_ascii():
    system = load_system(SPEC / "svm_evtinj.irq")
    first, second = export_tla(system), export_tla(load_system(SPEC / "svm_evtinj.irq"))
    assert first == second
    first.tla.encode("ascii")
    assert first.tla.startswith("---------------------------- MODULE svm_evtinj ")
    assert first.tla.rstrip().endswith("=" * 77)


def test_names_that_tla_reserves_or_that_a_binder_would_shadow_are_renamed():
    text = """module names
var in_guest: 0..1 -> bool
var CASE: bool
var WF_x: 0..2
init { in_guest = [c in 0..1: false] CASE = false WF_x = 0 }
def runs(in_guest: bool): bool = in_guest
action go(c: 0..1) requires runs(in_guest[c]) { in_guest'[c] = true CASE' = exists d in 0..1: d == c }
invariant inv: (forall c in 0..1: in_guest[c]) or (exists c in 0..1: not in_guest[c]) or WF_x == 0
"""
    module = export_tla(load_system("names.irq", text=text))
    assert "VARIABLES\n    in_guest,\n    CASE_,\n    WF_x_" in module.tla
    assert "runs(in_guest_) == in_guest_" in module.tla
    assert "CASE_' = \\E d \\in 0..1 : d = c" in module.tla
    # sibling quantifiers may share a name (TLA+ refuses only a name bound around another use of it)
    assert "inv == (\\A c \\in 0..1 : in_guest[c]) \\/ (\\E c \\in 0..1 : ~in_guest[c]) \\/ WF_x_ = 0" in module.tla


def test_bits_are_sets_of_bit_indices_and_partial_updates_are_except():
    module = export_tla(load_system(SPEC / "svm_evtinj.irq"))
    assert "/\\ irr \\in [Cpu -> SUBSET (0..255)]" in module.tla
    assert "/\\ irr' = [irr EXCEPT ![dst] = irr[dst] \\cup {v}]" in module.tla
    assert "/\\ owed' = [owed EXCEPT ![c] = @ \\ {eventinj[c].vector}]" in module.tla
    assert "accept_irr(irr_, v) == irr_ \\ {v}" in module.tla
    assert "    /\\ LET v == pending_vector(irr[c], isr[c], tpr[c]) IN\n" in module.tla
    assert "\\/ \\E src \\in Cpu, dst \\in Cpu, v \\in VECTORS : send_ipi(src, dst, v)" in module.tla
    assert module.cfg.splitlines()[1:4] == ["SPECIFICATION Spec", "INVARIANTS", "    TypeOK"]


def test_fairness_and_liveness_are_temporal_formulas_of_the_spec():
    module = export_tla(load_system(SPEC / "svm_evtinj_cr8.irq"))
    assert re.search(r"^Spec == Init /\\ \[\]\[Next\]_vars /\\ \(\\A c \\in Cpu : WF_vars\(", module.tla, re.M)
    assert "PROPERTIES\n" in module.cfg
    assert re.search(r"== \\A c \\in Cpu, v \\in VECTORS : .* ~> ", module.tla)


def test_the_export_command_writes_the_module_and_its_configuration(tmp_path, capsys):
    out = tmp_path / "tla"
    assert main(["export", "--tla", str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..33", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["svm_virq.cfg", "svm_virq.tla"]
    assert "VECTORS = 32..33" in (out / "svm_virq.tla").read_text()
    assert f"wrote {out / 'svm_virq.tla'}" in capsys.readouterr().out
    assert main(["export", str(SPEC / "svm_virq.irq"), "-o", str(out), "--no-deadlock"]) == 0
    assert "CHECK_DEADLOCK FALSE" in (out / "svm_virq.cfg").read_text()


def test_export_errors_exit_2_without_a_traceback(tmp_path, capsys):
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(["export", str(SPEC / "svm_virq.irq"), "-o", str(afile)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["export", str(SPEC / "svm_virq.irq"), "-o", str(tmp_path / "no" / "such")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.irq"
    bad.write_text("module bad\nvar x: bool\ninit { x = 3 }\n")
    assert main(["export", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.irq:3:" in err and "Traceback" not in err


def test_integers_past_tlcs_range_are_noted():
    text = "module wide\nvar x: 0..3\ninit { x = 0 }\naction a() { x' = (x * 1000000000 * 4) % 4 }\n"
    notes = export_tla(load_system("wide.irq", text=text)).notes
    assert notes and "32-bit" in notes[0]
    assert not export_tla(load_system(SPEC / "svm_evtinj.irq")).notes


# ---------------------------------------------------------------------------------------------------------- SANY


@pytest.mark.parametrize("spec", [SPEC / f"{s}.irq" for s in SHIPPED] + sorted(CORPUS.glob("*.irq")),
                         ids=lambda p: p.stem)
def test_sany_accepts_the_export_at_full_size(spec: Path, tla2tools: Path, tmp_path: Path):  # noqa: F811
    name = write(load_system(spec), tmp_path)
    output = sany(tla2tools, tmp_path, name)
    assert not sany_errors(output) and f"Semantic processing of module {name}" in output, output[-3000:]


# ----------------------------------------------------------------------------------------------------------- TLC


@pytest.mark.parametrize("spec", SHIPPED)
def test_tlc_on_the_export_of_a_shipped_spec_agrees_with_explore(spec: str, tla2tools: Path,  # noqa: F811
                                                                  tmp_path: Path):
    system = load_system(SPEC / f"{spec}.irq", {k: v for k, v in SMALL.items()})
    # TLC's liveness check of svm_evtinj_cr8 (leads-to for every vCPU and vector under the fairness of five actions)
    # takes minutes where its safety check takes seconds: the properties are compared on the random specs below
    name = write(system, tmp_path, liveness=False)
    agree(system, tlc(tla2tools, tmp_path, name))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tlc_on_the_export_of_a_corpus_design_gives_its_pinned_figures(case, tla2tools: Path,  # noqa: F811
                                                                       tmp_path: Path):
    system = load_system(CORPUS / f"{case.spec}.irq", case.defines)
    run = tlc(tla2tools, tmp_path, write(system, tmp_path, deadlock=False))
    if case.fixed:
        assert (run.exit_code, run.distinct_states, run.depth) == (TLC_OK, case.states, case.diameter + 1), run.tail()
    else:
        assert (run.exit_code, run.violated_invariant, run.trace_steps) == \
            (TLC_VIOLATION, case.invariant, case.length), run.tail()


def _random_agreement(text: str, jar: Path, folder: Path) -> None:
    system = load_system("random_spec.irq", text=text)
    # invariants and range first, with deadlock off on both sides (which of a deadlock and a violation one step
    # deeper is met first depends on the order each tool expands a level in); then, where that holds, deadlock
    agree(system, tlc(jar, folder / "safety", write(system, folder / "safety", deadlock=False)), deadlock=False)
    if explore(system).status == "violated" and explore(system, deadlock=False).status == "holds":
        agree(system, tlc(jar, folder / "deadlock", write(system, folder / "deadlock")), deadlock=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(random_specs())
def test_tlc_on_the_export_of_random_specs_agrees_with_explore(tla2tools: Path, tmp_path_factory,  # noqa: F811
                                                               text: str):
    _random_agreement(text, tla2tools, tmp_path_factory.mktemp("random"))


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(random_specs())
def test_tlc_on_the_export_of_100_random_specs_agrees_with_explore(tla2tools: Path, tmp_path_factory,  # noqa: F811
                                                                   text: str):
    _random_agreement(text, tla2tools, tmp_path_factory.mktemp("random"))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(random_live_specs())
def test_tlc_on_the_export_of_random_fair_specs_gives_the_liveness_verdict(tla2tools: Path,  # noqa: F811
                                                                           tmp_path_factory, text: str):
    system = load_system("random_live.irq", text=text)
    folder = tmp_path_factory.mktemp("live")
    run = tlc(tla2tools, folder, write(system, folder, deadlock=False))
    if explore(system, deadlock=False).status == "violated":  # an invariant or a range: TLC stops there first
        assert run.exit_code == TLC_VIOLATION, run.tail()
        return
    expected = check_liveness(system).status
    assert expected in ("holds", "violated")
    assert run.exit_code == (TLC_OK if expected == "holds" else TLC_LIVENESS), run.tail()
