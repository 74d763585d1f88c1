"""Spec-level mutation (generator/mutation): the operators, the product, the kill check, equivalence proofs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from irqspec import ir
from irqspec.front.frontend import load
from irqspec.pybackend.loadmodel import load_model
from irqspec.mutation import build_product, enumerate_mutants, judge, mutation_report
from irqspec.mutation.operators import Mutant
from irqspec.pybackend.suites import generate_all
from irqspec.runtime.trace import Step, Trace

TOY = """\
module toy
import util

var x: 0..3
var y: 0..3
var flags: bits[4]
var on: bool

init {
  x = 0
  y = 0
  flags = 0
  on = false
}

action start()
  requires not on
{
  on' = true
}

action tick(k: 0..1)
  requires below(x, 3) and on
{
  x' = x + 1
  y' = y + 1
  flags'[k] = true
}

action reset()
  requires x != 0
{
  x' = 0
  y' = 0
}
"""

UTIL = """\
module util

def below(v: 0..3, limit: 0..3): bool = v < limit
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("toy")
    (folder / "lib").mkdir()
    (folder / "lib" / "util.irq").write_text(UTIL)
    (folder / "toy.irq").write_text(TOY)
    return folder / "toy.irq"


@pytest.fixture(scope="module")
def front(toy):
    return load(toy)


@pytest.fixture(scope="module")
def found(front):
    return enumerate_mutants(front.system, front.sources, {})


@pytest.fixture(scope="module")
def generated(toy):
    return generate_all(toy, {}, "irqspec gen toy.irq", max_depth=6)


@pytest.fixture(scope="module")
def suite(generated):
    return generated.traces


def _one(found, operator: str, before: str, after: str, line: int | None = None) -> Mutant:
    hits = [m for m in found.mutants if (m.operator, m.before, m.after) == (operator, before, after)
            and line in (None, m.span.line)]
    assert len(hits) == 1, [(m.operator, m.before, m.after) for m in found.mutants]
    return hits[0]


def _judge(front, mutant, suite=None, **kw):
    spec_model = load_model(front.system)
    observed = [v.name for v in front.system.vars]
    return judge(front.system, mutant, spec_model, suite or {}, observed, **kw)


# --------------------------------------------------------------------------------------------------- operators


def test_relational_operator_is_swapped_for_each_other_one(found):
    afters = [m.after for m in found.mutants if m.operator == "relational" and m.before == "x != 0"]
    assert afters == ["x == 0", "x < 0", "x <= 0", "x > 0", "x >= 0"]
    m = _one(found, "relational", "x != 0", "x > 0")
    assert m.system.action("reset").guard.op == "gt"
    assert (m.span.line, m.span.column) == (31, 12)
    assert m.description.endswith("toy.irq:31:12: relational in the guard of reset: `x != 0` -> `x > 0`")


def test_off_by_one_changes_a_literal_and_the_checker_retypes_it(found):
    m = _one(found, "off_by_one", "1", "2", line=25)  # x' = x + 1 (y' = y + 1 on line 26 is another mutant)
    (assign_x, *_) = m.system.action("tick").body
    assert assign_x.value.type == ir.IntType(2, 5) and assign_x.range_checked


def test_a_literal_out_of_range_is_skipped_with_the_checkers_reason(found):
    (skip,) = [s for s in found.skipped if (s.before, s.after) == ("3", "4")]
    assert skip.operator == "off_by_one" and "out of range" in skip.reason


def test_dropped_conjunct_keeps_the_other_operands(found):
    m = _one(found, "dropped_conjunct", "on", "(dropped)")
    guard = m.system.action("tick").guard
    assert isinstance(guard, ir.Call) and guard.func == "below"


def test_swapped_update_exchanges_the_values_of_two_assignments(found):
    m = _one(found, "swapped_update", "x' = x + 1; y' = y + 1", "x' = y + 1; y' = x + 1")
    x, y, _ = m.system.action("tick").body
    assert x.var == "x" and x.value.args[0].name == "y"
    assert y.var == "y" and y.value.args[0].name == "x"


def test_dropped_update_leaves_the_variable_to_the_frame(found):
    m = _one(found, "dropped_update", "y' = y + 1", "(removed)")
    assert m.system.action("tick").modifies == ("x", "flags")


def test_wrong_bit_moves_a_bit_index_by_one(found):
    m = _one(found, "wrong_bit", "k", "k + 1")
    (_, _, assign) = m.system.action("tick").body
    assert assign.path[0].index.op == "add"


def test_defs_of_an_imported_module_are_mutated_in_their_own_file(found):
    m = _one(found, "relational", "v < limit", "v <= limit")
    assert m.span.file.endswith("util.irq") and m.where == "def below (util)"
    assert m.system.function("below").body.op == "le"
    assert m.system.file == found.mutants[0].system.file  # the root file, not the temporary copy


def test_a_cap_takes_mutants_round_robin_over_the_operators(front, found):
    capped = enumerate_mutants(front.system, front.sources, {}, limit=6)
    assert [m.operator for m in capped.mutants] == ["relational", "off_by_one", "dropped_conjunct",
                                                    "swapped_update", "dropped_update", "wrong_bit"]
    assert capped.left_out == len(found.mutants) - 6
    assert [m.id for m in capped.mutants] == [f"M{i}" for i in range(1, 7)]


# ----------------------------------------------------------------------------------------------------- product


def _binder_uids(node: object, out: list[int]) -> None:
    if isinstance(node, tuple):
        for x in node:
            _binder_uids(x, out)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, (ir.Lit, ir.Local, type)):
        return
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if f.name == "uid":
            out.append(v)
        elif f.name != "span":
            _binder_uids(v, out)


def test_the_product_gives_every_binder_its_own_uid(front, found):
    m = _one(found, "relational", "v < limit", "v <= limit")  # a changed def: copied into the product
    product = build_product(front.system, m.system).system
    assert [f.name for f in product.functions] == ["below", "m__below"]
    uids: list[int] = []
    _binder_uids((product.functions, tuple(a.params for a in product.actions), product.actions,
                  product.invariants), uids)
    action_params = {p.uid for a in product.actions for p in a.params}
    binders = [u for u in uids if u not in action_params]  # a parameter's uid is also on its uses' Locals
    assert len(binders) == len(set(binders))


BINDERS = """\
module binders
var m: 0..1 -> 0..3
init {
  m = [i in 0..1: 0]
}
action bump(c: 0..1)
  requires forall i in 0..1: m[i] < 3
{
  let n = m[c] + 1
  m'[c] = if exists j in 0..1: m[j] == n then n else let k = n in k
}
"""


def test_binders_copied_into_the_agreement_get_their_own_uids(tmp_path):
    spec = tmp_path / "binders.irq"
    spec.write_text(BINDERS)
    front = load(spec)
    m = _one(enumerate_mutants(front.system, front.sources, {}), "relational", "m[i] < 3", "m[i] <= 3")
    product = build_product(front.system, m.system).system
    uids: list[int] = []
    _binder_uids((product.actions, product.invariants), uids)
    action_params = {p.uid for a in product.actions for p in a.params}
    binders = [u for u in uids if u not in action_params]
    assert len(binders) > 6 and len(binders) == len(set(binders))
    row = _judge(front, m)
    assert row.status == "survived" and row.distinction.steps[0].mutant == "range"


# ------------------------------------------------------------------------------------------- equivalence proofs


def test_a_mutant_equivalent_in_every_state_is_proved_by_induction(front, found):
    row = _judge(front, _one(found, "relational", "x != 0", "x > 0"))
    assert (row.status, row.engine) == ("equivalent", "induction")


def test_x_at_least_1_is_proved_equivalent_to_x_above_0(toy, front):
    mutated = load(toy, text=TOY.replace("requires x != 0", "requires x > 0")).system
    original = load(toy, text=TOY.replace("requires x != 0", "requires x >= 1"))
    mutant = Mutant("M1", "relational", "the guard of reset", ir.Lit(True, ir.BOOL).span, "x >= 1", "x > 0", mutated)
    row = _judge(original, mutant)
    assert row.status == "equivalent"


def test_a_mutant_equivalent_only_in_reachable_states_needs_an_unbounded_engine(front, found):
    swapped = _one(found, "swapped_update", "x' = x + 1; y' = y + 1", "x' = y + 1; y' = x + 1")  # x == y always
    row = _judge(front, swapped, timeout=30)
    assert row.status == "equivalent" and row.engine in ("kind", "spacer")
    bounded = _judge(front, swapped, engine="induction", bmc_depth=4)
    assert bounded.status == "unknown" and "no difference within 4 steps" in bounded.detail


# ------------------------------------------------------------------------------------ distinguishing and killing


def test_a_mutant_no_test_kills_gets_the_shortest_distinguishing_trace(front, found):
    row = _judge(front, _one(found, "dropped_update", "y' = y + 1", "(removed)"))
    assert row.status == "survived"
    d = row.distinction
    assert d.trace.actions() == ("start", "tick") and d.property == "agree:var:y"
    assert d.state == (("y", 1, 0),) and d.kills


def test_a_weaker_guard_survives_every_replayed_trace_and_its_test_checks_a_refusal(toy, front, suite):
    # the traces alone (no refusal checks): only the mutant takes tick, so no replayed step tells them apart
    report = mutation_report(toy, {}, suite=suite, operators=["dropped_conjunct"], timeout=20)
    row = next(r for r in report.rows if r.mutant.before == "on")
    assert row.status == "survived"
    assert len(row.distinction.trace) == 1  # in the initial state, tick is enabled in the mutant only
    assert {(s.action, s.spec, s.mutant) for s in row.distinction.steps} == {("tick", "disabled", "ok")}
    # the distinguishing test checks that tick is refused at its end, and that kills the mutant
    (action, params), = row.distinction.refusals
    assert action == "tick" and row.distinction.kills and row.mutant.id not in report.refusals
    name = next(n for n, ids in report.gap_kills.items() if row.mutant.id in ids)
    assert report.gap_refusals[name][0][0] == "tick" and not report.complete


def test_the_generated_refusal_tests_kill_a_weaker_guard(toy, generated):
    assert generated.refusals, "the generated suite checks no refusal"
    report = mutation_report(toy, {}, suite=generated.traces, refusals=generated.refusals,
                             operators=["dropped_conjunct"], timeout=20)
    row = next(r for r in report.rows if r.mutant.before == "on")
    assert row.status == "killed" and any(generated.refusals.get(k) for k in row.killed_by)


def test_a_suite_that_lacks_the_killing_test_lets_the_mutant_survive(toy, suite):
    full = mutation_report(toy, {}, suite=suite, operators=["dropped_update"], timeout=20)
    (row,) = [r for r in full.rows if r.mutant.before == "y' = y + 1"]
    assert row.status == "killed" and row.killed_by
    lacking = {k: t for k, t in suite.items() if k not in row.killed_by}
    report = mutation_report(toy, {}, suite=lacking, operators=["dropped_update"], timeout=20)
    (row,) = [r for r in report.rows if r.mutant.before == "y' = y + 1"]
    assert row.status == "survived" and row.distinction.kills
    assert row.distinction.state == (("y", 1, 0),)
    # the tests taken out killed other mutants too: the distinguishing traces to add kill all of them again
    survivors = {r.mutant.id for r in report.rows if r.status == "survived"}
    assert row.mutant.id in survivors and report.counts["survived"] == len(survivors)
    assert {i for ids in report.gap_kills.values() for i in ids} == survivors and not report.refusals


def test_a_trace_the_spec_itself_does_not_follow_is_left_out_of_the_kill_check(toy, suite):
    s0 = next(iter(suite.values())).steps[0]
    bogus = Trace((s0, Step("reset", {}, dict(s0.state))))  # reset is not enabled initially
    report = mutation_report(toy, {}, suite={**suite, "test_x.py::test_bogus": bogus}, operators=["wrong_bit"])
    assert report.stale == ("test_x.py::test_bogus",)
    assert report.counts["killed"] == 2


def test_a_difference_only_in_unobserved_variables_is_no_difference(front, found):
    dropped = _one(found, "dropped_update", "y' = y + 1", "(removed)")  # y is never read: only x is observed
    spec_model = load_model(front.system)
    row = judge(front.system, dropped, spec_model, {}, ["x", "flags", "on"])
    assert row.status == "equivalent"


@pytest.mark.slow
def test_mutate_reuses_the_verdicts_gen_reached_for_the_suite_with_mutant_tests(tmp_path, monkeypatch):
    """mutate on the suite gen --kill-mutants writes: gen's own analysis already proved the equivalent mutants
    (its suite lacked only the mutant tests), so mutate repeats no proof: one product per mutant the plain suite
    does not kill, built by gen's pass alone, and the same verdicts as judging everything afresh."""
    from irqspec.mutation import analysis
    from test_cli_contracts import WEAK_SUITE

    spec = tmp_path / "counter.irq"
    spec.write_text(WEAK_SUITE)
    built = []
    real = analysis.build_product

    def counting(*args, **kwargs):
        built.append(args[1].module)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "build_product", counting)
    reused = mutation_report(spec, max_depth=6)
    with_reuse = len(built)
    plain = generate_all(spec, {}, "x", max_depth=6)
    fresh = mutation_report(spec, max_depth=6, suite=plain.traces, refusals=plain.refusals)
    gen_pass = sum(1 for r in fresh.rows if r.status != "killed")
    assert with_reuse == gen_pass > 0  # gen's pass built these; mutate's own pass built none
    full = generate_all(spec, {}, "x", max_depth=6, kill_mutants=True)
    afresh = mutation_report(spec, max_depth=6, suite=full.traces, refusals=full.refusals)
    assert [(r.mutant.id, r.status) for r in reused.rows] == [(r.mutant.id, r.status) for r in afresh.rows]
    assert reused.complete and any(r.status == "equivalent" for r in reused.rows)
