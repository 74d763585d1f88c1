"""irqspec's pytest plugin: the `--irqspec-adapter` option and the `implementation` fixture of the generated suites.

    pytest DIR [DIR ...] --irqspec-adapter=package.module:factory     (or the environment variable IRQSPEC_ADAPTER)

Loaded once per pytest run through the `pytest11` entry point `irqspec` (pyproject.toml), so one run can collect any
number of generated directories: a generated conftest.py only puts its own directory on sys.path, where its tests
find their models. Without an installed irqspec, load it by hand: `pytest -p irqspec.runtime.pytest_plugin ...`.

`factory()` returns an adapter (see runtime/conformance.py) that declares the spec module it implements,
`module = "svm_evtinj"` (on the factory, so that it need not be built to be asked, or on the adapter); every test
module of a generated suite names its spec module in `SPEC_MODULE`, and the tests of other spec modules are skipped.
Without an adapter every test runs on the reference model alone. Standard library and pytest only.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Callable
from typing import Any

import pytest

OPTION = "--irqspec-adapter"
ENVIRONMENT = "IRQSPEC_ADAPTER"

_FACTORY = pytest.StashKey[Callable[[], Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("irqspec", "irqspec generated suites")
    group.addoption(OPTION, dest="irqspec_adapter", default=None, metavar="MODULE:FACTORY",
                    help="drive this implementation adapter in lockstep with the generated models "
                         f"(default: the environment variable {ENVIRONMENT}, else the models alone)")


def _selection(config: pytest.Config) -> tuple[str, str, str] | None:
    """(the text, its module, its attribute path) of the option, else of the environment variable; None if neither
    names an adapter."""
    text = config.getoption("irqspec_adapter") or os.environ.get(ENVIRONMENT) or ""
    if not text:
        return None
    module_name, sep, attribute = text.partition(":")
    if not sep or not module_name or not attribute:
        raise pytest.UsageError(f"{OPTION} wants MODULE:FACTORY, got {text!r}")
    return text, module_name, attribute


def pytest_configure(config: pytest.Config) -> None:
    _selection(config)  # a malformed selection stops the run before any test, with one message


def adapter_factory(config: pytest.Config) -> Callable[[], Any] | None:
    """The factory the option (else the environment variable) names, imported once per run, when the first test
    asks for it (so that it may import generated models, which the generated conftest.py files put on sys.path);
    None when neither names one. A factory that cannot be loaded stops the run as a usage error."""
    if _FACTORY in config.stash:
        return config.stash[_FACTORY]
    selected = _selection(config)
    if selected is None:
        return None
    text, module_name, attribute = selected
    try:
        factory: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            factory = getattr(factory, part)
    except (ImportError, AttributeError) as err:
        pytest.exit(f"{OPTION}={text}: cannot load the adapter factory: {err!r}",
                    returncode=pytest.ExitCode.USAGE_ERROR)
    config.stash[_FACTORY] = factory
    return factory


@pytest.fixture
def implementation(request: pytest.FixtureRequest) -> Any:
    """A fresh adapter of the selected implementation, or None (the tests then run on the model alone); skips the
    test when the adapter implements another spec module than the test module's SPEC_MODULE."""
    factory = adapter_factory(request.config)
    if factory is None:
        return None
    wanted = getattr(request.module, "SPEC_MODULE", None)
    declared = getattr(factory, "module", None)
    constants = getattr(getattr(request.module, "model", None), "CONSTANTS", {})
    adapter = _build(factory, constants) if declared is None or declared == wanted else None
    if adapter is not None:
        declared = getattr(adapter, "module", None)
    if declared is None:
        pytest.exit(f"the adapter {factory!r} does not declare the spec module it implements "
                    "(give it an attribute module = '<spec module>')", returncode=pytest.ExitCode.USAGE_ERROR)
    if declared != wanted:
        pytest.skip(f"the selected adapter implements spec module {declared!r}, these tests are of {wanted!r}")
    return adapter


def _build(factory: Callable[..., Any], constants: dict[str, Any]) -> Any:
    """`factory(constants=...)` when it takes that keyword (the spec's constants as the suite was generated: NCPU,
    VECTORS as (lo, hi), a set of several runs as the tuple of its runs ((lo, hi), ...)), so that one adapter serves
    every size; else `factory()`."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin or an object without a signature: called plainly
        params = ()
    if any(p.name == "constants" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return factory(constants=dict(constants))
    return factory()


# --------------------------------------------------------------------------------------- not realizable here

_NOT_REALIZABLE = pytest.StashKey[list[tuple[str, str]]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """A test that raised irqspec.runtime.conformance.NotRealizable (the implementation cannot execute a step as the spec
    splits it, or cannot be asked to refuse one) is reported as skipped with the reason and counted for the
    summary: it is not a pass, and not a failure of the implementation."""
    report = yield
    from .conformance import NotRealizable

    if call.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(NotRealizable):
        reason = f"not realizable on this implementation: {call.excinfo.value}"
        path, line, _ = item.reportinfo()
        report.outcome = "skipped"
        report.longrepr = (str(path), (line or 0) + 1, reason)
        item.config.stash.setdefault(_NOT_REALIZABLE, []).append((item.nodeid, str(call.excinfo.value)))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    found = config.stash.get(_NOT_REALIZABLE, [])
    if not found:
        return
    terminalreporter.section("irqspec: tests not realizable on the selected implementation")
    reasons: dict[str, int] = {}
    for _, why in found:
        key = re.sub(r"^step \d+: ", "", why)
        reasons[key] = reasons.get(key, 0) + 1
    terminalreporter.write_line(f"{len(found)} tests skipped as not realizable (not passed):")
    for why, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        terminalreporter.write_line(f"  {n} x {why}")
