"""Design switches (issue 12, item 5): what a boolean constant turns off is listed as switched off, with the constant,
never as dead code; constants alone decide it (generator/switches.py)."""

from __future__ import annotations

import json

import pytest

from irqspec import ir
from irqspec.cli import main
from irqspec.front.frontend import load_system
from irqspec.pybackend.suites import generate_all
from irqspec.switches import describe, switched_off

SPEC = """module sw
--- The fixed design (true) or the buggy one (false).
const FIXED: bool = true
const LIMIT = 3
var x: 0..3
var y: 0..3
init { x = 0  y = 0 }
action step()
  requires x < LIMIT
{
  if FIXED {
    x' = x + 1
  } else {
    y' = 1
  }
}
action other()
  requires FIXED and y < 3
{
  y' = y + 1
}
action old_path()
  requires not FIXED and x < 3
{
  x' = x + 1
}
invariant small: x <= 3
cover y_moved: FIXED and y > 0
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "sw.irq"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _action(system: ir.System, name: str) -> ir.Action:
    return system.action(name)


@pytest.mark.parametrize("fixed, off", [("true", {"old_path"}), ("false", {"other"})])
def test_guards_the_constants_make_false(spec, fixed, off):
    system = load_system(spec, {"FIXED": fixed})
    for action in system.actions:
        consts = switched_off(action.guard)
        assert (consts == ("FIXED",)) == (action.name in off), action.name
    assert describe(system, ("FIXED",)) == f"FIXED = {fixed}"


def test_only_constants_decide():
    """State-dependent conditions, a constant that does not decide, and a bare literal are never switched off."""
    system = load_system("x.irq", text=SPEC.replace("const FIXED: bool = true", "const FIXED: bool = false")
                         + "action lit()\n  requires false\n{\n  x' = 0\n}\n"
                         + "action either()\n  requires FIXED or x < 3\n{\n  x' = 0\n}\n")
    assert switched_off(_action(system, "step").guard) == ()  # x < LIMIT reads state
    assert switched_off(_action(system, "lit").guard) == ()  # no constant: dead code, not a switch
    assert switched_off(_action(system, "either").guard) == ()  # FIXED false does not decide an `or`
    assert switched_off(_action(system, "other").guard) == ("FIXED",)
    guard = _action(system, "other").guard
    assert isinstance(guard, ir.Op) and guard.op == "and"
    fixed, rest = guard.args
    assert isinstance(fixed, ir.Lit) and fixed.value is False and fixed.const == "FIXED"
    assert all(not isinstance(e, ir.Lit) or e.const == "" for e in ir.children(rest))  # the literal 3 names none


def test_a_constant_literal_names_its_constant_but_means_the_same(spec):
    a = load_system(spec).action("step").guard
    b = load_system("y.irq", text=SPEC.replace("x < LIMIT", "x < 3")).action("step").guard
    assert a == b  # the name is for reports only: equality, hashing and every backend see the literal


@pytest.mark.parametrize("fixed", ["true", "false"])
def test_gen_lists_switched_off_apart_from_dead_code(spec, fixed, tmp_path, capsys):
    out = tmp_path / f"out_{fixed}"
    assert main(["gen", str(spec), "-o", str(out), "--max-depth", "5", "-D", f"FIXED={fixed}"]) == 0
    text = capsys.readouterr().out
    dead = [line for line in text.splitlines() if "dead code?" in line]
    assert not any("FIXED" in line for line in dead), dead
    off_action = "old_path" if fixed == "true" else "other"
    assert f"design switch: action {off_action}: switched off by FIXED = {fixed}" in text
    if fixed == "true":
        assert "design switch: step: the else branch of if #0" in text
        assert "cover y_moved" not in text
    else:
        assert "design switch: step: the then branch of if #0" in text
        assert "design switch: cover y_moved: switched off by FIXED = false" in text
    targets = json.loads((out / "sw_targets.json").read_text())["targets"]
    assert targets[f"action: {off_action}"]["status"] == f"switched off (FIXED = {fixed})"
    assert any(row["status"] == f"switched off (FIXED = {fixed})" for key, row in targets.items()
               if not key.startswith(("action:", "branch:", "cover:")))
    coverage = (out / "test_sw_coverage.py").read_text()
    assert "# Switched off by the design the constants choose" in coverage
    assert f"action {off_action}: switched off by FIXED = {fixed}" in coverage


def test_gen_json_and_counts(spec, tmp_path, capsys):
    assert main(["gen", str(spec), "-o", str(tmp_path / "o"), "--max-depth", "5", "-D", "FIXED=false",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "action other: switched off by FIXED = false" in doc["switched"]
    assert not any("FIXED" in line for line in doc["dead"])
    assert sum(row["switched off"] for row in doc["targets"].values()) > 0
    for row in doc["targets"].values():  # every target is counted once: met, dead, unknown or switched off
        assert row["met"] + row["dead"] + row["dead, proved"] + row["unknown"] + row["switched off"] <= row["targets"]


def test_switching_designs_in_one_folder_names_what_each_loses(spec, tmp_path, capsys):
    out = tmp_path / "suite"
    assert main(["gen", str(spec), "-o", str(out), "--max-depth", "5"]) == 0
    capsys.readouterr()
    assert main(["gen", str(spec), "-o", str(out), "--max-depth", "5", "-D", "FIXED=false"]) == 0
    text = capsys.readouterr().out
    assert "FIXED true -> false" in text
    assert "action: other: met" in text and "-> switched off (FIXED = false)" in text


def test_check_says_switched_off_where_it_warned_of_a_dead_guard(spec, capsys):
    assert main(["check", str(spec), "-D", "FIXED=false", "--max-depth", "4"]) == 0
    err = capsys.readouterr().err
    assert "action other is switched off by FIXED = false" in err
    assert "the guard of action other is false" not in err


def test_generation_is_the_same_as_for_the_literal(spec, tmp_path):
    """The switch changes reports only: the generated model of a spec with the constant is the model of the spec
    with the literal written in its place."""
    literal = tmp_path / "lit.irq"
    literal.write_text(SPEC.replace("if FIXED {", "if true {").replace("requires FIXED and", "requires true and")
                       .replace("requires not FIXED and", "requires not true and")
                       .replace("cover y_moved: FIXED and", "cover y_moved: true and"), encoding="utf-8")
    a = generate_all(spec, {}, "c", max_depth=4).files["sw_model.py"]
    b = generate_all(literal, {}, "c", max_depth=4).files["sw_model.py"]
    strip = lambda text: "\n".join(line for line in text.splitlines() if not line.startswith("#"))  # noqa: E731
    assert strip(a).replace("lit.irq", "sw.irq") == strip(b).replace("lit.irq", "sw.irq")
