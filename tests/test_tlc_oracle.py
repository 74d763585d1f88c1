"""TLC as an independent oracle: specs of real interrupt-virtualization bugs, each with a hand-written TLA+ twin.

tests/corpus/ holds one irqspec spec per published bug, with a `FIXED` switch between the design before and after the
fix, and beside it a TLA+ module written by hand from the same description (not generated from irqspec's IR), with a
TLC configuration per design (`<spec>.cfg` before the fix, `<spec>_fixed.cfg` after) at the spec's default sizes.

For each design, irqspec's explicit-state explorer and Z3 BMC must give the pinned verdict (the buggy design
violated, the fixed one holding) and agree with each other: the same shortest counterexample length, and BMC clean up
to the explorer's diameter where the explorer saw every state. TLC on the twin must then agree with both: the same
verdict and shortest trace length (TLC's breadth-first trace with one worker is a shortest one), and, where both search
the whole state space, the same number of distinct states (both count the initial state) and the same depth. A
violation stops both searches early at different points, so their state counts are compared only for the holding
designs.

TLC is the jar named by IRQSPEC_TLA2TOOLS (.ci/run sets it to ../shared/tools/tla2tools.jar when that file exists);
without it the TLC tests skip with the reason, and the irqspec checks still run.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from irqspec.pybackend.explore import ExploreResult, explore
from irqspec.front.frontend import load_system
from irqspec.smt import bmc
from irqspec.runtime.trace import Trace

CORPUS = Path(__file__).resolve().parent / "corpus"
TLA2TOOLS_VARIABLE = "IRQSPEC_TLA2TOOLS"
TLC_TIMEOUT_S = 120
# TLC's exit codes (tlc2.output.EC.ExitStatus): no error, an invariant violated.
TLC_OK = 0
TLC_VIOLATION = 12


@dataclass(frozen=True)
class Case:
    """One design of a corpus spec and the figures every checker must reproduce. `length` is the number of steps of a
    shortest counterexample (violated designs); `states` the number of distinct reachable states, initial included,
    and `diameter` the greatest distance of one from the initial state (holding designs)."""

    spec: str
    fixed: bool
    invariant: str
    length: int | None = None
    states: int | None = None
    diameter: int | None = None

    @property
    def name(self) -> str:
        return f"{self.spec}-{'fixed' if self.fixed else 'buggy'}"

    @property
    def verdict(self) -> str:
        return "holds" if self.fixed else "violated"

    @property
    def defines(self) -> dict[str, str]:
        return {"FIXED": "true" if self.fixed else "false"}

    @property
    def cfg(self) -> str:
        return f"{self.spec}_fixed.cfg" if self.fixed else f"{self.spec}.cfg"


CASES = [
    # KVM "Recompute PID.ON when clearing PID.SN": sched_out, iommu_post, sched_in.
    Case("kvm_pi_sn", False, "no_lost_posted_interrupt", length=3),
    Case("kvm_pi_sn", True, "no_lost_posted_interrupt", states=1093, diameter=14),
    # KVM "ioapic: Fix level-triggered EOI and IOAPIC reconfigure race": assert_line, accept, reroute, scan, eoi.
    Case("kvm_ioapic_eoi", False, "no_lost_level_interrupt", length=5),
    Case("kvm_ioapic_eoi", True, "no_lost_level_interrupt", states=1089, diameter=11),
    # bhyve "Fix missed posted interrupts in VT-x": hlt, a class-3 vector, a class-4 vector.
    Case("bhyve_vtx_hlt", False, "no_missed_wakeup", length=3),
    Case("bhyve_vtx_hlt", True, "no_missed_wakeup", states=575, diameter=8),
]

by_name = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


def steps(trace: Trace) -> int:
    """The number of actions in a trace (its states minus the initial one)."""
    return len(trace.steps) - 1


@functools.cache
def explored(case: Case) -> ExploreResult:
    return explore(load_system(CORPUS / f"{case.spec}.irq", case.defines))


@functools.cache
def bmc_checked(case: Case) -> bmc.CheckResult:
    # a holding design is searched to its diameter, where every reachable state has been met; a violated one a few
    # steps past its pinned length, so that a BMC which missed it ends "holds" instead of searching on
    depth = case.diameter if case.fixed else case.length + 2
    return bmc.check(load_system(CORPUS / f"{case.spec}.irq", case.defines), max_depth=depth)


def test_every_corpus_spec_has_a_twin_and_both_designs_pinned():
    specs = sorted(p.stem for p in CORPUS.glob("*.irq"))
    assert specs == sorted({c.spec for c in CASES})
    for spec in specs:
        assert (CORPUS / f"{spec}.tla").is_file(), f"{spec}.irq has no TLA+ twin"
        assert {(c.fixed, c.verdict) for c in CASES if c.spec == spec} == {(False, "violated"), (True, "holds")}
        for case in (c for c in CASES if c.spec == spec):
            assert (CORPUS / case.cfg).is_file(), f"{case.name}: no TLC configuration {case.cfg}"


@by_name
def test_explorer_gives_the_pinned_verdict_and_figures(case: Case):
    result = explored(case)
    assert result.status == case.verdict, result.reason
    if case.fixed:
        assert (result.states, result.diameter) == (case.states, case.diameter)
    else:
        assert result.invariant == case.invariant
        assert result.trace is not None and steps(result.trace) == case.length


@by_name
def test_bmc_agrees_with_the_explorer(case: Case):
    result = bmc_checked(case)
    explorer = explored(case)
    assert result.status == explorer.status == case.verdict, result.reason
    if case.fixed:
        assert result.depth_reached == explorer.diameter
    else:
        assert result.invariant == explorer.invariant == case.invariant
        assert result.trace is not None and explorer.trace is not None
        assert result.depth_reached == steps(result.trace) == steps(explorer.trace) == case.length


@dataclass(frozen=True)
class TlcRun:
    exit_code: int
    output: str
    elapsed: float

    def _number(self, pattern: str) -> int | None:
        # the last match: TLC's progress lines ("Progress(29) ...: 31,758 distinct states found") come before the
        # final figures in a run of more than a few seconds
        found = re.findall(pattern, self.output)
        return int(found[-1].replace(",", "")) if found else None

    @property
    def distinct_states(self) -> int | None:
        return self._number(r"([\d,]+) distinct states? found")

    @property
    def depth(self) -> int | None:
        """TLC's "depth of the complete state graph search": the states on a longest shortest path, the initial one
        included, so the diameter plus one."""
        return self._number(r"The depth of the complete state graph search is ([\d,]+)")

    @property
    def violated_invariant(self) -> str | None:
        found = re.search(r"Error: Invariant (\w+) is violated", self.output)
        return found.group(1) if found else None

    @property
    def trace_steps(self) -> int | None:
        """Steps of the error trace: TLC numbers its states from 1, the initial state being State 1."""
        numbers = [int(n) for n in re.findall(r"^State (\d+):", self.output, re.MULTILINE)]
        if not numbers and re.search(r"is violated by the initial state", self.output):
            return 0  # TLC prints the initial state alone, unnumbered
        return max(numbers) - 1 if numbers else None

    def tail(self) -> str:
        return "\n".join(self.output.splitlines()[-40:])


@pytest.fixture(scope="module")
def tla2tools() -> Path:
    value = os.environ.get(TLA2TOOLS_VARIABLE)
    if not value:
        pytest.skip(f"TLC oracle not run: {TLA2TOOLS_VARIABLE} is not set (point it at tla2tools.jar; .ci/run sets "
                    f"it to ../shared/tools/tla2tools.jar when that file exists)")
    jar = Path(value)
    if not jar.is_file():
        pytest.skip(f"TLC oracle not run: {TLA2TOOLS_VARIABLE}={value} is not a file")
    if shutil.which("java") is None:
        pytest.skip("TLC oracle not run: no `java` on PATH to run tla2tools.jar")
    return jar


def run_tlc(jar: Path, case: Case, workdir: Path) -> TlcRun:
    """TLC on the case's twin in `workdir`: breadth-first, one worker (so the error trace is a shortest one), no
    deadlock check (irqspec has none: a state without successors is not an error), and its scratch files
    (states/, trace specs, the standard modules it unpacks) kept inside `workdir`."""
    shutil.copy(CORPUS / f"{case.spec}.tla", workdir)
    shutil.copy(CORPUS / case.cfg, workdir)
    # -XX:TieredStopAtLevel=1: the JIT's quick tier only, which takes a third off a run of these small models
    command = ["java", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1", f"-Djava.io.tmpdir={workdir}", "-jar",
               str(jar), "-deadlock", "-workers", "1", "-config", case.cfg, f"{case.spec}.tla"]
    start = time.monotonic()
    # check=False: the exit code is the verdict (12: an invariant violated), read below
    proc = subprocess.run(command, check=False, cwd=workdir, capture_output=True, text=True,
                          timeout=TLC_TIMEOUT_S)
    return TlcRun(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


@by_name
def test_tlc_on_the_twin_agrees_with_irqspec(case: Case, tla2tools: Path, tmp_path: Path):
    tlc = run_tlc(tla2tools, case, tmp_path)
    irqspec = explored(case)
    if case.fixed:
        assert tlc.exit_code == TLC_OK, tlc.tail()
        assert tlc.distinct_states == irqspec.states == case.states, tlc.tail()
        assert tlc.depth == irqspec.diameter + 1, tlc.tail()
    else:
        assert tlc.exit_code == TLC_VIOLATION, tlc.tail()
        assert tlc.violated_invariant == irqspec.invariant == case.invariant, tlc.tail()
        assert irqspec.trace is not None
        assert tlc.trace_steps == steps(irqspec.trace) == bmc_checked(case).depth_reached == case.length, tlc.tail()
