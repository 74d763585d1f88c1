"""check, prove and replay on the command line: readable results, ITF files, exit codes."""

from __future__ import annotations

import json

from spec_paths import SPEC
from irqspec.cli import main

SMALL = ["-D", "VECTORS=32..33", "-D", "TPR_WRITES=32..33"]


def test_check_prints_step_table_with_vector_sets_and_exits_1(capsys):
    assert main(["check", str(SPEC / "svm_virq.irq"), *SMALL]) == 1
    out = capsys.readouterr().out
    assert "step 7" in out and "take_virq(c=" in out
    assert "isr[" in out and "{0x2" in out  # IRR/ISR shown as vector sets
    assert "VIOLATED: no_lost_ipi for c = " in out and "after 7 steps" in out


def test_check_holds_up_to_depth_on_the_fix(capsys):
    assert main(["check", str(SPEC / "svm_evtinj.irq"), *SMALL, "--max-depth", "4"]) == 0
    assert "no violation up to depth 4" in capsys.readouterr().out


def test_check_json_result(capsys):
    assert main(["check", str(SPEC / "svm_virq.irq"), *SMALL, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "violated" and data["depth"] == 7 and len(data["trace"]) == 8


def test_unknown_invariant_is_a_usage_error(capsys):
    assert main(["check", str(SPEC / "svm_virq.irq"), *SMALL, "--inv", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_prove_prints_certificate(capsys):
    assert main(["prove", str(SPEC / "svm_evtinj.irq"), *SMALL, "--engine", "induction"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PROVED by induction") and "certificate" in out and "injection_only_in_guest" in out


def test_prove_of_pre_fix_spec_is_not_proved(capsys):
    code = main(["prove", str(SPEC / "svm_virq.irq"), *SMALL, "--engine", "kind", "--max-k", "8"])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("REFUTED") and "step 7" in out


def test_itf_trace_replays_and_a_tampered_one_is_located(tmp_path, capsys):
    itf = tmp_path / "cex.itf.json"
    assert main(["check", str(SPEC / "svm_virq.irq"), *SMALL, "--itf", str(itf)]) == 1
    capsys.readouterr()
    assert main(["replay", str(SPEC / "svm_virq.irq"), *SMALL, str(itf)]) == 0
    out = capsys.readouterr().out
    assert "all 7 steps replay" in out and "violates no_lost_ipi" in out
    doc = json.loads(itf.read_text())
    entry = doc["states"][3]["in_guest"]["#map"][0]
    entry[1] = not entry[1]
    bad = tmp_path / "bad.itf.json"
    bad.write_text(json.dumps(doc))
    assert main(["replay", str(SPEC / "svm_virq.irq"), *SMALL, str(bad)]) == 1
    assert "divergence after step 3" in capsys.readouterr().out


def test_replay_of_a_non_trace_is_a_usage_error(tmp_path, capsys):
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    assert main(["replay", str(SPEC / "svm_virq.irq"), str(junk)]) == 2
    assert "not an ITF trace" in capsys.readouterr().err
