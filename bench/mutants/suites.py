"""Running the committed generated suites of svm_evtinj against one port (a mutant's copy, or the unmutated one).

`run_suites(factory)` runs pytest in this process with `--irqspec-adapter` naming `selected_factory` below, which
builds the adapter `factory` makes, wrapped to count steps. Per test it records the outcome, the steps it executed, and
the step at which it first failed: the first Divergence irqspec.runtime.conformance.compare raised or the first exception of
the adapter, whichever came first. By default Hypothesis runs without its shrink and explain phases: the property
test's first failure, and so the kill and the steps to it, are the same (it is found in the generate phase, which is
derandomized), but shrinking a failing run takes tens of thousands of steps (about a minute a mutant) and, past a
10-second mark, depends on the clock. `shrink=True` runs the suites exactly as pytest does.
pytest caches imported test modules, so call it once per process (bench_mutants.py runs it in a subprocess per mutant).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from .counting import CountingAdapter

ROOT = Path(__file__).resolve().parents[2]
SPEC_MODULE = "svm_evtinj"
SUITES = ROOT / "generated_tests"  # the committed suites; bench_mutants.py --suites DIR measures others


def suite_files(folder: Path = SUITES) -> tuple[Path, ...]:
    return tuple(sorted(Path(folder).glob(f"test_{SPEC_MODULE}_*.py")))


@dataclass
class TestRecord:
    """What one generated test did against the port."""

    nodeid: str
    outcome: str = "passed"          # passed | failed | skipped
    steps: int = 0                   # adapter action calls during the test, shrinking included
    failed_at: int | None = None     # steps into the test when it first failed
    failure: str = ""                # the first failure, one line


class _Recorder:
    """The pytest plugin that fills one TestRecord per test."""

    def __init__(self) -> None:
        self.records: list[TestRecord] = []
        self.current: TestRecord | None = None
        self._start = 0
        self.adapters: list[CountingAdapter] = []

    def steps(self) -> int:
        return sum(a.steps for a in self.adapters)

    def failure(self, err: BaseException) -> None:
        record = self.current
        if record is not None and record.failed_at is None:
            record.failed_at = self.steps() - self._start
            record.failure = (f"{type(err).__name__}: {err}".splitlines() or [""])[0][:240]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.current = TestRecord(item.nodeid)
        self.records.append(self.current)
        self._start = self.steps()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = self.current
        if record is None or record.nodeid != report.nodeid:
            return
        if report.failed:
            record.outcome = "failed"
            if record.failed_at is None:  # failed outside compare and the adapter (the model, or the harness)
                record.failed_at = self.steps() - self._start
                record.failure = (str(report.longrepr).splitlines() or [""])[-1][:240]
        elif report.skipped and record.outcome == "passed":
            record.outcome = "skipped"

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        if self.current is not None and self.current.nodeid == nodeid:
            self.current.steps = self.steps() - self._start
            self.current = None


_RECORDER: _Recorder | None = None
_FACTORY: Callable[[], Any] | None = None


def selected_factory() -> CountingAdapter:
    """The factory `--irqspec-adapter=bench.mutants.suites:selected_factory` loads: the port run_suites was given."""
    assert _RECORDER is not None and _FACTORY is not None, "selected_factory is only for run_suites"
    recorder = _RECORDER
    adapter = CountingAdapter(_FACTORY(), on_error=lambda err, _steps: recorder.failure(err))
    recorder.adapters.append(adapter)
    return adapter


selected_factory.module = SPEC_MODULE  # type: ignore[attr-defined]


def _rootdir(folder: Path) -> Path:
    """The project for the committed suites; a folder elsewhere is its own root (pytest names a test outside its
    rootdir by "::name" alone, and the bench tells the suite files apart by their names)."""
    folder = Path(folder).resolve()
    return ROOT if folder.is_relative_to(ROOT) else folder


def run_suites(factory: Callable[[], Any], shrink: bool = False, folder: Path = SUITES) -> list[dict]:
    """Run the generated svm_evtinj suites in `folder` against the adapters `factory` makes; one dict (TestRecord)
    per test."""
    global _RECORDER, _FACTORY
    from hypothesis import Phase, settings

    from irqspec.runtime import conformance

    if not shrink:
        # the generated SETTINGS leave `phases` to the default profile, which is read when the test module is imported
        settings.register_profile("bench-mutants", phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target))
        settings.load_profile("bench-mutants")

    _RECORDER, _FACTORY = _Recorder(), factory
    recorder = _RECORDER
    original = conformance.compare

    def recording_compare(*args: Any, **kwargs: Any) -> None:
        try:
            original(*args, **kwargs)
        except conformance.Divergence as err:
            recorder.failure(err)
            raise

    # the generated tests import compare by name, and replay() looks it up in the module: patch before collection
    conformance.compare = recording_compare  # type: ignore[assignment]
    try:
        pytest.main(["-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:randomly",
                     f"--rootdir={_rootdir(folder)}", "--irqspec-adapter=bench.mutants.suites:selected_factory",
                     *map(str, suite_files(folder))], plugins=[recorder])
    finally:
        conformance.compare = original  # type: ignore[assignment]
    return [asdict(r) for r in recorder.records]
