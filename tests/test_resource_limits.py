"""--timeout, --memory and Ctrl-C: every limit ends in "unknown" (exit 3) or "interrupted" (exit 130), with what was
reached, and never a traceback or a verdict."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from spec_paths import ROOT, SPEC

SMALL = ["-D", "VECTORS=32..33", "-D", "TPR_WRITES=32..33"]


def irqspec(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "irqspec.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.mark.parametrize("command", [["check", str(SPEC / "svm_virq.irq"), "--max-depth", "8"],
                                     ["prove", str(SPEC / "svm_evtinj.irq"), "--engine", "induction"]])
def test_memory_limit_gives_unknown_not_a_verdict(command):
    result = irqspec(*command, *SMALL, "--memory", "5")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "UNKNOWN" in result.stdout and "Traceback" not in result.stderr


def test_generous_memory_limit_changes_nothing():
    result = irqspec("check", str(SPEC / "svm_virq.irq"), *SMALL, "--memory", "2000")
    assert result.returncode == 1 and "VIOLATED: no_lost_ipi" in result.stdout


def test_explore_memory_limit_is_incomplete():
    result = irqspec("explore", str(SPEC / "svm_evtinj.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32", "--memory", "1")
    assert result.returncode == 3 and "INCOMPLETE" in result.stdout


def test_timeout_is_unknown():
    result = irqspec("check", str(SPEC / "svm_virq.irq"), "--timeout", "0.05")
    assert result.returncode == 3 and "UNKNOWN" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("command, words", [
    (["check", str(SPEC / "svm_evtinj.irq"), "--max-depth", "40"], "no violation up to depth"),
    (["explore", str(SPEC / "svm_evtinj.irq"), *SMALL], "distinct states"),
])
def test_ctrl_c_reports_progress_and_exits_130(command, words):
    proc = subprocess.Popen([sys.executable, "-m", "irqspec.cli", *command], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "interrupted" in err and words in err and "Traceback" not in err


@pytest.mark.parametrize("error, said", [(OSError(12, "Cannot allocate memory"), "ran out of memory"),
                                         (ValueError("a bug"), "failed under --memory 50 MB (ValueError: a bug)")])
def test_any_failure_under_the_memory_limit_is_unknown_and_said(error, said, capfd):
    """An allocation that fails as another error (an import's mmap, Z3's own exception), or any other error in the
    limited process, is an unknown that says so, never a silent exit."""
    import argparse

    from irqspec.cli.common import run_with_memory_limit

    def command(args):
        raise error

    assert run_with_memory_limit(command, argparse.Namespace(memory=50.0)) == 3
    out = capfd.readouterr().out
    assert out.startswith("UNKNOWN:") and said in out
