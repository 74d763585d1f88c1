"""`x'` read in an action's body after its assignment (issue 12, item 2): the checker lowers the read to the value
the path so far gives x (an expression over the pre-state), so the three readings agree on it by construction;
these tests hold that they do, and pin the errors for a read that the assignment would come after."""

from __future__ import annotations

import pytest

from irqspec import SpecError, ir
from irqspec.front.frontend import load_system
from irqspec.pybackend.explore import explore
from irqspec.smt.bmc import check

from readings import agree
from test_export_tla import agree as export_agree
from test_export_tla import tlc, write
from test_tlc_oracle import tla2tools  # noqa: F401  (the fixture: the jar, or a skip with the reason)

# an IPI raises a bit of IRR, and the same step asks for a window when the post-state's IRR holds two vectors; the
# later branches read irr' through an if, a let, a partial update and a map comprehension
SPEC = """module m
type Cpu = 0..1
var irr: Cpu -> bits[4]
var window: Cpu -> bool
var seen: 0..7
init { irr = [c in Cpu: 0] window = [c in Cpu: false] seen = 0 }
action send(c: Cpu, v: 0..3) {
  irr'[c][v] = true
  if popcount(irr'[c]) >= 2 { window'[c] = true }
  let n = popcount(irr'[c])
  if seen < 7 { seen' = seen + 1 }
  if seen' == 7 and n == 4 { window'[1 - c] = irr'[c] != 0 }
}
action take(c: Cpu) requires irr[c] != 0 {
  let v = highest(irr[c])
  irr'[c][v] = false
  window'[c] = irr'[c] != 0
}
invariant window_means_pending: forall c in Cpu: window[c] implies irr[c] != 0
"""


def _system(text: str = SPEC) -> ir.System:
    return load_system("m.irq", text=text)


def test_a_read_of_x_prime_is_the_value_assigned_before_it():
    take = _system().action("take")
    window = take.body[-1]
    assert isinstance(window, ir.Assign) and window.var == "window"
    assert "Var(name='irr'" in repr(window.value) and "Update(" in repr(window.value)


def test_three_readings_agree_on_post_state_reads():
    """take leaves window set only when IRR stays non-empty, and send sets it only with two pending vectors: but
    send's last branch sets the other vCPU's window from this one's IRR, whose IRR may be empty: a violation, found at the same
    shortest depth by both engines, each trace a run of the other's semantics."""
    found = agree(_system(), engines=("induction",))
    assert found.status == "violated" and found.invariant == "window_means_pending"


def test_without_the_copy_the_invariant_holds_in_all_readings():
    fixed = SPEC.replace("if seen' == 7 and n == 4 { window'[1 - c] = irr'[c] != 0 }", "")
    assert agree(_system(fixed), engines=("induction",)).status == "holds"


def test_a_read_sees_an_if_merged_value():
    text = SPEC.replace("if seen' == 7 and n == 4 { window'[1 - c] = irr'[c] != 0 }",
                        "if seen' == 0 { window'[1 - c] = true }")
    # seen' is seen + 1 or 7 (when seen is 7), never 0: the branch is dead, and the invariant holds
    system = _system(text)
    assert explore(system).status == "holds"
    assert check(system, max_depth=6).status == "holds"


def _error(text: str):
    with pytest.raises(SpecError) as err:
        _system(text)
    return err.value.diagnostics[0]


def test_an_assignment_after_a_read_of_its_variable_is_an_error():
    d = _error(SPEC.replace("  irr'[c][v] = true\n  if popcount(irr'[c]) >= 2 { window'[c] = true }\n",
                            "  if popcount(irr'[c]) >= 2 { window'[c] = true }\n  irr'[c][v] = true\n"))
    assert d.message.startswith("'irr' is assigned after irr' is read (at m.irq:8:")
    assert "move the read of irr' after this assignment" in d.hint


def test_a_read_in_one_branch_does_not_order_the_other():
    text = SPEC.replace("if seen' == 7 and n == 4 { window'[1 - c] = irr'[c] != 0 }",
                        "if n == 4 { seen' = seen } else { }")
    text = text.replace("if seen < 7 { seen' = seen + 1 }", "")
    text = text.replace("action take(c: Cpu) requires irr[c] != 0 {",
                        "action take(c: Cpu) requires irr[c] != 0 {\n  if seen == 0 { seen' = 1 } else { }")
    _system(text)  # no error: reads and assignments on different paths
    d = _error(text.replace("window'[c] = irr'[c] != 0", "window'[c] = irr'[c] != 0\n  irr'[1 - c] = 0"))
    assert d.message.startswith("'irr' is assigned after irr' is read")


def test_a_read_in_a_guard_or_of_its_own_assignment_is_an_error():
    d = _error(SPEC.replace("requires irr[c] != 0", "requires irr'[c] != 0"))
    assert d.message == "primed variable 'irr'' in a guard"
    d = _error(SPEC.replace("seen' = seen + 1", "seen' = seen' + 1"))
    assert d.message == "primed variable 'seen'' on the right-hand side of its own assignment"


@pytest.mark.parametrize("fixed", [False, True], ids=["violated", "holds"])
def test_tlc_on_the_export_agrees_with_explore(fixed, tla2tools, tmp_path):  # noqa: F811
    """TLC, an independent reading, on the exported module: the same verdict, states and depth as explore."""
    text = SPEC.replace("if seen' == 7 and n == 4 { window'[1 - c] = irr'[c] != 0 }", "") if fixed else SPEC
    system = _system(text)
    name = write(system, tmp_path, liveness=False)
    export_agree(system, tlc(tla2tools, tmp_path, name))
