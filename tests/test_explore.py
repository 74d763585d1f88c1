"""The explicit-state explorer and `irqspec explore`: shortest counterexamples, exhaustive counts, limits, Ctrl-C."""

from __future__ import annotations

import pytest
from spec_paths import SPEC

from irqspec import cli
from irqspec.cli import main
from irqspec.pybackend.explore import ExploreInterrupted, explore
from irqspec.front.frontend import load_system
from irqspec.pybackend.loadmodel import load_model
from irqspec.runtime.conformance import replay

SMALL = {"VECTORS": "32..32", "TPR_WRITES": "32..32"}

COUNTER = """module counter
const N = 3
var x: 0..N
var done: bool
init {
  x = 0
  done = false
}
action inc()
  requires x < N
{
  x' = x + 1
}
action finish()
  requires x == N and not done
{
  done' = true
}
invariant small: x <= N
"""

OVERFLOW = """module overflow
var x: 0..3
var y: bool
init {
  x = 0
  y = false
}
action inc()
{
  x' = x + 1
}
invariant ok: x <= 3
"""

WIDE = """module wide
var x: 0..9999
var y: bool
init {
  x = 0
  y = false
}
action inc()
  requires x < 9999
{
  x' = x + 1
}
invariant ok: x <= 9999
"""


def _system(text: str, name: str = "t.irq"):
    return load_system(name, text=text)


def _steps(trace):
    return [(st.action, st.params, st.state) for st in trace.steps]


@pytest.mark.slow
def test_svm_virq_lost_ipi_is_seven_steps_and_replays_on_the_model():
    system = load_system(SPEC / "svm_virq.irq", SMALL)
    result = explore(system)
    assert result.status == "violated"
    assert result.invariant == "no_lost_ipi"
    assert len(result.trace) - 1 == 7
    assert result.witness == {"c": result.witness["c"], "v": 32}
    model = load_model(system)
    last = replay(model, _steps(result.trace))
    assert [name for name, _ in model.violated_invariants(last)] == ["no_lost_ipi"]


def test_counter_space_is_counted_exhaustively():
    result = explore(_system(COUNTER))
    assert (result.status, result.states, result.diameter) == ("holds", 5, 4)
    assert result.trace is None


def test_range_violation_is_reported_at_the_state_that_would_overflow():
    result = explore(_system(OVERFLOW))
    assert result.status == "violated"
    assert result.invariant == "range:x"
    assert len(result.trace) - 1 == 3
    assert result.trace.last.state == {"x": 3, "y": False}
    assert result.witness == {"action": "inc", "params": {}, "var": "x", "value": 4}


def test_state_limit_gives_incomplete():
    result = explore(_system(COUNTER), max_states=3)
    assert result.status == "incomplete"
    assert "state limit" in result.reason


def test_depth_limit_gives_incomplete_and_exhausted_depth_holds():
    assert explore(_system(COUNTER), max_depth=2).status == "incomplete"
    assert explore(_system(COUNTER), max_depth=4).status == "holds"


def test_should_stop_ends_the_search():
    result = explore(_system(WIDE), should_stop=lambda: True)
    assert result.status == "incomplete"
    assert 0 < result.states < 10000


def test_keyboard_interrupt_carries_states_reached():
    def interrupt(states, queue, depth, elapsed):
        raise KeyboardInterrupt

    with pytest.raises(ExploreInterrupted) as info:
        explore(_system(WIDE), progress=interrupt)
    assert info.value.states > 0


@pytest.mark.slow
def test_cli_explore_violation_exits_1(capsys):
    assert main(["explore", str(SPEC / "svm_virq.irq"), "-D", "VECTORS=32..32", "-D", "TPR_WRITES=32..32"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED: no_lost_ipi" in out and "after 7 steps" in out and "step 7" in out


def test_cli_explore_exhaustive_exits_0(tmp_path, capsys):
    spec = tmp_path / "counter.irq"
    spec.write_text(COUNTER)
    assert main(["explore", str(spec), "--no-deadlock"]) == 0
    assert "no violation: 5 distinct states, diameter 4" in capsys.readouterr().out
    # by default the counter's top, where nothing is enabled, is a deadlock (TLC's default)
    assert main(["explore", str(spec)]) == 1
    assert "VIOLATED: deadlock: no action is enabled in the last state" in capsys.readouterr().out


def test_cli_explore_limit_exits_3(tmp_path, capsys):
    spec = tmp_path / "counter.irq"
    spec.write_text(COUNTER)
    assert main(["explore", str(spec), "--max-states", "2"]) == 3
    assert "INCOMPLETE" in capsys.readouterr().out


def test_cli_explore_ctrl_c_exits_130_with_states(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "wide.irq"
    spec.write_text(WIDE)

    def interrupt(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.common.Progress, "states", interrupt)  # Ctrl-C at the first progress report
    assert main(["explore", str(spec)]) == 130
    err = capsys.readouterr().err
    assert "interrupted after" in err and "distinct states" in err and "Traceback" not in err


def test_models_of_two_sizes_do_not_shadow_each_other():
    one = load_model(load_system(SPEC / "svm_virq.irq", {"VECTORS": "32..32", "TPR_WRITES": "32..32"}))
    two = load_model(load_system(SPEC / "svm_virq.irq", {"VECTORS": "32..33", "TPR_WRITES": "32..33"}))
    assert one is not two
    assert len(list(one.enabled_actions(one.initial_state()))) == len(list(two.enabled_actions(two.initial_state())))
    assert one.__name__ != two.__name__


SINGLE = """module single
var x: 0..3
init {
  x = 0
}
action inc()
  requires x < 3
{
  x' = x + 1
}
invariant ok: x <= 3
"""


def test_single_variable_spec_model_unpacks_its_state():
    # Regression: codegen once wrote `x = s` for a one-variable spec, so guards and invariants got the whole State.
    result = explore(_system(SINGLE))
    assert (result.status, result.states, result.diameter) == ("holds", 4, 3)
