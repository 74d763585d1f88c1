"""The installed name and the Python API: `import irqspec` works outside the repository, its functions give the
CLI's verdicts, generated code imports only irqspec.runtime, and nothing in the project imports a plain `generator`,
`runtime` or `grammar`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import irqspec
from irqspec.cli import main
from spec_paths import ROOT, SPEC

SMALL = {"VECTORS": "47..48", "TPR_WRITES": "0x2f..0x30"}


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    # a folder outside the repository: only the installed package can be found (pytest's pythonpath is not inherited)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_import_irqspec_outside_the_repository(tmp_path):
    spec = (SPEC / "svm_virq.irq").as_posix()
    proc = _python(f"import irqspec; print(irqspec.check({spec!r}, defines={SMALL!r}).status)", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "violated"


def test_plain_names_are_not_installed(tmp_path):
    for plain in ("generator", "runtime", "grammar"):
        proc = _python(f"import {plain}", tmp_path)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, plain


def test_runtime_loads_no_solver_or_front_end(tmp_path):
    """Generated suites import irqspec.runtime: that must not pull in Z3, Lark or Jinja2 (irqspec/__init__ is lazy)."""
    proc = _python("import sys, irqspec.runtime.conformance, irqspec.runtime.stateful, irqspec.runtime.itf; "
                   "print(sorted(m for m in ('z3', 'lark', 'jinja2', 'irqspec.api', 'irqspec.smt') "
                   "if m in sys.modules))", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_check_matches_the_cli(capsys):
    result = irqspec.check(SPEC / "svm_virq.irq", defines=SMALL, max_depth=10)
    assert result.status == "violated" and result.invariant == "no_lost_ipi"
    args = ["check", str(SPEC / "svm_virq.irq"), "--max-depth", "10", "--json"]
    for name, value in SMALL.items():
        args += ["-D", f"{name}={value}"]
    assert main(args) == 1
    assert f'"depth": {result.depth_reached}' in capsys.readouterr().out.replace("\n", " ").replace("  ", " ") \
        or result.depth_reached == len(result.trace) - 1


def test_prove_and_explore_take_a_loaded_system():
    system = irqspec.load(SPEC / "svm_evtinj.irq", defines={**SMALL, "CR8_MAX": "3"})
    proved = irqspec.prove(system, engine="induction")
    assert proved.status == "proved" and proved.engine == "induction"
    explored = irqspec.explore(system, max_states=200)
    assert explored.status == "incomplete" and explored.states >= 200
    with pytest.raises(ValueError, match="irqspec.load"):
        irqspec.check(system, defines={"NCPU": "3"})


def test_prove_refutes_the_pre_fix_spec():
    result = irqspec.prove(SPEC / "svm_virq.irq", defines=SMALL, engine="induction")
    assert result.status in ("refuted", "unknown")
    assert result.status != "proved"


def test_spec_errors_raise_with_a_position(tmp_path):
    bad = tmp_path / "bad.irq"
    bad.write_text("module bad\nvar x: 0..3\ninit { x = 7 }\n", encoding="utf-8")
    with pytest.raises(irqspec.SpecError) as err:
        irqspec.load(bad)
    assert "bad.irq:3:" in err.value.render()


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_nothing_imports_a_plain_package_name():
    folders = ["generator", "runtime", "tests", "bench", "examples", "generated_tests"]
    offenders = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in _imported_modules(path):
                if name.split(".")[0] in ("generator", "runtime", "grammar"):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, offenders
