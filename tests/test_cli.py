"""The command line: summaries, JSON, overrides, and errors that end in exit 2 with a position and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spec_paths import ROOT, SEED_SPECS, SPEC
from irqspec.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "irqspec.cli", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("name", SEED_SPECS)
def test_parse_lists_variables_and_actions(name, capsys):
    assert main(["parse", str(SPEC / name)]) == 0
    out = capsys.readouterr().out
    assert "irr" in out and "send_ipi(src: Cpu = 0..1, dst: Cpu = 0..1, v: VECTORS = 16..255)" in out


def test_define_changes_sizes_in_summary(capsys):
    main(["parse", str(SPEC / "svm_virq.irq")])
    two = capsys.readouterr().out
    main(["parse", str(SPEC / "svm_virq.irq"), "-D", "NCPU=4"])
    four = capsys.readouterr().out
    assert "irr            : Cpu -> bits[256]  [512 bits]" in two
    assert "irr            : Cpu -> bits[256]  [1024 bits]" in four
    assert "NCPU = 4  (set by -D)" in four


def test_parse_json_is_the_ir(capsys):
    assert main(["parse", "--json", str(SPEC / "svm_evtinj.irq")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "parse" and doc["exit_code"] == 0
    data = doc["ir"]
    assert data["node"] == "System" and data["module"] == "svm_evtinj"
    assert [v["name"] for v in data["vars"]][:2] == ["irr", "isr"]


def _write(tmp_path, text: str):
    path = tmp_path / "bad.irq"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, line, col, words", [
    ("module m\nvar x: bool\ninit { x = true }\naction a() { x' = = true }\n", 4, 19, "unexpected '='"),
    ("module m\nvar count: 0..3\ninit { count = 0 }\naction a() { cuont' = 1 }\n", 4, 14, "did you mean 'count'"),
    ("module m\nvar x: bool\ninit { x = true }\naction a() { x' = 3 }\n", 4, 19, "type mismatch"),
])
def test_bad_spec_exits_2_with_position_caret_and_no_traceback(tmp_path, text, line, col, words):
    path = _write(tmp_path, text)
    result = run_cli("parse", str(path))
    assert result.returncode == 2
    assert f"{path}:{line}:{col}: error:" in result.stderr
    assert words in result.stderr
    assert "^" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_and_directory_exit_2(tmp_path):
    for target in (tmp_path / "nope.irq", tmp_path):
        result = run_cli("parse", str(target))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert str(target) in result.stderr


def test_bad_define_is_a_usage_error():
    result = run_cli("parse", str(SPEC / "svm_virq.irq"), "-D", "NCPU")
    assert result.returncode == 2 and "NAME=VALUE" in result.stderr


def test_define_out_of_declared_range_is_reported():
    result = run_cli("parse", str(SPEC / "svm_virq.irq"), "-D", "NCPU=9")
    assert result.returncode == 2 and "out of its type 2..8" in result.stderr


def test_version_and_help():
    assert "irqspec" in run_cli("--version").stdout
    assert "parse" in run_cli("--help").stdout
