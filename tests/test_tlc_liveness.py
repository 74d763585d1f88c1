"""TLC as the oracle of liveness: hand-written TLA+ twins (tests/tla/) of the toggle and `when` specs of
tests/test_liveness.py, one TLC specification per fairness choice. TLC's verdict (exit 13: a liveness property
violated, 0: it holds) must be irqspec's, from both its engines (the explicit search and BMC's shortest lasso)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_liveness import WHEN, both, toggle
from test_tlc_oracle import tla2tools  # noqa: F401  (the fixture: the jar, or a skip with the reason)

from irqspec.front.frontend import load_system

TLA = Path(__file__).resolve().parent / "tla"
TLC_OK, TLC_LIVENESS = 0, 13
FAIRNESS = {"N": "", "W": "fair ", "S": "strong fair "}


def tlc(jar: Path, module: str, spec: str, prop: str, workdir: Path, constants: str = "") -> int:
    (workdir / f"{module}.tla").write_text((TLA / f"{module}.tla").read_text())
    (workdir / f"{module}.cfg").write_text(f"{constants}SPECIFICATION {spec}\nPROPERTY {prop}\n")
    command = ["java", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1", f"-Djava.io.tmpdir={workdir}", "-jar",
               str(jar), "-deadlock", "-workers", "1", "-config", f"{module}.cfg", f"{module}.tla"]
    proc = subprocess.run(command, check=False, cwd=workdir, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (TLC_OK, TLC_LIVENESS), proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.returncode


@pytest.mark.parametrize("variant", ["NN", "WN", "WW", "WS", "SW", "SN"])
def test_tlc_and_irqspec_agree_on_the_toggle_specs(variant, tla2tools, tmp_path):  # noqa: F811
    code = tlc(tla2tools, "Toggle", f"Spec{variant}", "Delivered", tmp_path, "CONSTANT N = 2\n")
    explicit, bmc = both(load_system("toggle.irq", text=toggle(FAIRNESS[variant[0]], FAIRNESS[variant[1]])))
    assert explicit.status == bmc.status == ("violated" if code == TLC_LIVENESS else "holds")


@pytest.mark.parametrize("spec, fair, when", [("SpecNone", "", ""), ("SpecAlways", "fair ", ""),
                                              ("SpecKicked", "fair ", "when kicked "),
                                              ("SpecNotKicked", "fair ", "when not kicked ")])
def test_tlc_and_irqspec_agree_on_when_clauses(spec, fair, when, tla2tools, tmp_path):  # noqa: F811
    code = tlc(tla2tools, "When", spec, "LeavesWhenKicked", tmp_path)
    explicit, bmc = both(load_system("w.irq", text=WHEN.replace("FAIR ", fair).replace("WHEN ", when)))
    assert explicit.status == bmc.status == ("violated" if code == TLC_LIVENESS else "holds")
