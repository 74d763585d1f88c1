"""The small-domain reduction of vectors in BMC (generator/reduction.py, docs/reduction.md): the conditions it checks,
and the reduced BMC held against the full one (same verdicts, same shortest depths, traces that are runs of the full
spec), on the shipped specs at wide vector ranges and on random data-independent specs."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest

from irqspec import evaluate, reduction
from irqspec.front.frontend import load_system
from irqspec.smt import bmc

SPEC = Path(__file__).resolve().parent.parent / "spec"


def replays_on(system, result) -> None:
    """The trace is a run of `system` (read by the Python evaluator, not Z3) that ends violating the property at the
    witness."""
    trace = result.trace
    state = dict(trace.steps[0].state)
    assert state == {name: evaluate.evaluate(system, e, {}) for name, e in system.init}
    for step in trace.steps[1:]:
        action = system.action(step.action)
        for p in action.params:
            assert p.type.has(step.params[p.name]) if hasattr(p.type, "has") else True
        assert evaluate.enabled(system, action, state, step.params)
        state = evaluate.run_action(system, action, state, step.params).post
        assert state == step.state
    prop = next(p for p in system.invariants + system.lemmas if p.name == result.invariant)
    body, env = prop.expr, {}
    while body.__class__.__name__ == "Quant" and body.kind == "forall":
        env[body.uid] = result.witness[body.name]
        body = body.body
    assert evaluate.evaluate(system, body, state, env) is False


# ------------------------------------------------------------------------------------------------- the conditions
def test_the_shipped_specs_meet_the_conditions_with_their_vector_and_class_parameters() -> None:
    for name in ("svm_virq", "svm_evtinj", "svm_virq_pending"):
        a = reduction.analyse(load_system(SPEC / f"{name}.irq"))
        assert a.applies, (name, a.reason)
        (sort,) = a.sorts
        assert sort.vector_params == (("send_ipi", "v"), ("write_tpr_mmio", "value"))
        assert sort.class_params == (("write_cr8", "value"),)
        assert sort.per_step == 1
        assert all(kind == "vector" for w in sort.witnesses.values() for _, kind in w)
        assert len(sort.witnesses["no_lost_ipi"]) == 1  # v; c is a vCPU
        assert sort.counted("no_lost_ipi") == 0  # owed[c][v] implies ...: v is a member of a set
        assert sort.sets == (("irr", ("[]",)), ("isr", ("[]",)), ("owed", ("[]",)))


BASE = """
module r
const VECTORS = 16..255
var s: bits[256]
var x: 0..255
var k: 0..15
init {{
  s = 0
  x = 0
  k = 0
}}
action send(v: VECTORS) requires {guard} {{
  s' = s | bit(v)
  x' = {update}
}}
action level(c: 0..15) requires c != prio(x) {{ k' = c }}
invariant inv: forall v in VECTORS: {prop}
"""


def analysed(guard: str = "prio(v) > k", update: str = "highest(s)", prop: str = "s[v] implies v >= x",
             **defines: str) -> reduction.Analysis:
    return reduction.analyse(load_system("r.irq", defines, text=BASE.format(guard=guard, update=update, prop=prop)))


def test_a_data_independent_spec_is_reduced() -> None:
    a = analysed()
    assert a.applies and a.sorts[0].vector_params == (("send", "v"),) and a.sorts[0].class_params == (("level", "c"),)


@pytest.mark.parametrize("change, why", [
    ({"update": "v + 1"}, "r.irq:14:8: `+` on a vector"),
    ({"guard": "v >= 32"}, "the constant 32 used as a vector"),
    ({"guard": "prio(v) > 3"}, "the constant 3 used as a class"),
    ({"guard": "forall w in VECTORS: s[w] implies w < v"}, "a quantifier over vectors inside a formula"),
    ({"update": "v & 0x0f"}, "`&` on a vector"),
    ({"guard": "s < bit(v)"}, "`<` on a vector"),
    ({"VECTORS": "32..33"}, "not closed under lowering a vector"),
    ({"VECTORS": "0x20, 0x28"}, "not closed under lowering a vector"),
])
def test_each_condition_broken_turns_the_reduction_off_with_its_reason(change, why) -> None:
    defines = {k: v for k, v in change.items() if k.isupper()}
    a = analysed(**{k: v for k, v in change.items() if not k.isupper()}, **defines)
    assert not a.sorts
    assert why in a.reason, a.reason


def test_a_narrow_slot_type_turns_it_off() -> None:
    text = BASE.format(guard="true", update="v", prop="true").replace("var x: 0..255", "var x: 16..255").replace("x = 0", "x = 16")
    a = reduction.analyse(load_system("r.irq", text=text))
    assert not a.sorts and (a.reason == "the constant 16 used as a vector (only 0 may be)"
                              or "variable x holds vectors in 16..255, not all of 0..255" in a.reason), a.reason


def test_a_witness_counts_unless_the_violation_needs_it_in_a_set_of_the_state() -> None:
    """`s[v] implies ...` needs v in the state's set s: a value the run has, no representative of its own; a set the
    formula builds (`(s | bit(v))[v]`, true for every v) does not."""
    assert analysed(prop="s[v] implies v >= x").sorts[0].counted("inv") == 0
    assert analysed(prop="not (s[v] and v < x)").sorts[0].counted("inv") == 0
    assert analysed(prop="(s | bit(v))[v] implies v >= x").sorts[0].counted("inv") == 1
    assert analysed(prop="v >= x").sorts[0].counted("inv") == 1


def test_without_a_priority_class_there_is_no_vector_sort() -> None:
    text = BASE.format(guard="v > x", update="v", prop="true").replace("c != prio(x)", "c != k")
    a = reduction.analyse(load_system("r.irq", text=text))
    assert not a.sorts and "no action parameter is an interrupt vector" in a.reason


def test_representatives_are_the_staircase() -> None:
    vec, cls = reduction.representatives(3)
    assert vec.spans() == ((0, 3), (16, 19), (32, 34), (48, 49))
    assert cls.spans() == ((0, 3),)
    vec, _ = reduction.representatives(30)
    assert vec.spans() == ((0, 255),)


def test_downward_closure() -> None:
    from irqspec import ir
    assert reduction.downward_closed(ir.IntType(16, 255), "vector")
    assert reduction.downward_closed(ir.IntType(0, 255), "vector")
    assert reduction.downward_closed(ir.int_set([(16, 20), (32, 35)]), "vector")
    assert not reduction.downward_closed(ir.int_set([(16, 20), (32, 37)]), "vector")
    assert not reduction.downward_closed(ir.IntType(17, 255), "vector")
    assert reduction.downward_closed(ir.IntType(0, 7), "class")
    assert not reduction.downward_closed(ir.IntType(3, 7), "class")


# ------------------------------------------------------------------------------------------ reduced against full
@pytest.mark.slow
@pytest.mark.parametrize("name, depth, expect", [
    ("svm_virq", 7, ("violated", 7)),
    ("svm_evtinj", 5, ("holds", 5)),
    ("svm_virq_pending", 5, ("holds", 5)),
])
def test_shipped_specs_give_the_same_answer_reduced_and_full(name, depth, expect) -> None:
    system = load_system(SPEC / f"{name}.irq", {"VECTORS": "16..79"})  # 4 classes of 16 vectors
    full = bmc.check(system, max_depth=depth, reduce=False)
    reduced = bmc.check(system, max_depth=depth)
    assert (full.status, full.depth_reached) == (reduced.status, reduced.depth_reached) == expect
    exact = exact_bound(lambda: bmc.check(system, max_depth=depth))
    assert (exact.status, exact.depth_reached) == expect
    assert reduced.reduction.startswith("vectors reduced") and full.reduction == ""
    if reduced.status == "violated":
        assert reduced.invariant == full.invariant
        replays_on(system, reduced)


STAIRS = """
module stairs
--- A violation needs N IPIs of distinct vectors of one class, none its base, each above the one before.
const VECTORS = 16..255
const N: 1..15 = 3
var sent: bits[256]
var count: 0..15
var k: 0..15
init {
  sent = 0
  count = 0
  k = 0
}
action send(v: VECTORS)
  requires v != (v & 0xf0) and (v > highest(sent) and prio(v) == prio(highest(sent)) or sent == 0)
{
  sent' = sent | bit(v)
  count' = min(count + 1, 15)
}
action level(c: 0..15) { k' = c }
invariant fewer: count < N
"""


def test_too_few_representatives_would_miss_a_violation() -> None:
    """The staircase is tight: with one representative fewer than the argument asks for, the shortest violation (N
    ascending vectors of one class) is missed; with the count it gives, it is found at its depth."""
    system = load_system("stairs.irq", {"N": "4"}, text=STAIRS)
    assert reduction.analyse(system).sorts
    full = bmc.check(system, max_depth=4, reduce=False)
    assert (full.status, full.depth_reached) == ("violated", 4)
    reduced = bmc.check(system, max_depth=4)
    assert (reduced.status, reduced.depth_reached) == ("violated", 4)
    replays_on(system, reduced)

    class TooFew(bmc.Reduced):
        CHUNK = 1  # each depth on its own n, then one fewer

        def atoms(self, depth: int) -> tuple[int, ...]:
            return tuple(n - 1 for n in super().atoms(depth))

    original = bmc.Reduced
    bmc.Reduced = TooFew  # type: ignore[misc]
    try:
        wrong = bmc.check(system, max_depth=4)
    finally:
        bmc.Reduced = original  # type: ignore[misc]
    assert wrong.status == "holds"


GUARDS = ["prio(v) > k", "v > x", "not s[v]", "s[v]", "highest(s) > v", "prio(highest(t)) >= k", "x != 0",
          "v == highest(s)", "prio(v) == prio(x)", "lowest(t) < v", "popcount(s) < 3", "true", "v <= (k << 4)",
          "max(x, v) == v", "(x & 0xf0) != (v & 0xf0)"]
UPDATES = ["s' = s | bit(v)", "t' = t & ~bit(highest(t))", "x' = v", "x' = highest(s)", "k' = prio(v)",
           "t' = t | bit(x)", "x' = x & 0xf0", "t' = t | bit(v)", "s' = s & ~bit(v)", "x' = min(x, v)",
           "k' = prio(highest(t))", "t' = s & t", "x' = k << 4"]
PROPS = ["not (s[v] and t[v])", "popcount(s) <= 2", "not (s[v] and v > x and prio(v) == prio(x))",
         "t[v] implies prio(v) >= k", "not (t[v] and s[v] and prio(v) == k)", "popcount(s & t) <= 1",
         "highest(s) == 0 or highest(s) >= x", "not (s[v] and v < highest(t))", "x == 0 or prio(x) != k",
         "popcount(t) < 3 or highest(t) != v"]


def random_spec(rng: random.Random) -> str:
    actions = []
    for i in range(rng.randint(2, 3)):
        guard = " and ".join(rng.sample(GUARDS, rng.choice([1, 1, 2])))
        updates = {}
        for u in rng.sample(UPDATES, rng.randint(1, 3)):
            updates.setdefault(u.split("'")[0], u)
        body = "\n  ".join(updates.values())
        actions.append(f"action a{i}(v: VECTORS) requires {guard} {{\n  {body}\n}}")
    actions.append("action level(c: 0..15) requires c != prio(x) { k' = c }")
    actions.append("action fill(v: VECTORS) requires prio(v) >= k { s' = s | bit(v) }")
    return "\n".join([
        "module rnd", "const VECTORS = 16..255", "var s: bits[256]", "var t: bits[256]", "var x: 0..255",
        "var k: 0..15", "init {\n  s = 0\n  t = 0\n  x = 0\n  k = 0\n}", *actions,
        f"invariant inv: forall v in VECTORS: {rng.choice(PROPS)}", ""])


@pytest.mark.parametrize("seed", range(24))
def test_random_data_independent_specs_give_the_same_answer_reduced_and_full(seed) -> None:
    text = random_spec(random.Random(seed))
    system = load_system("rnd.irq", {"VECTORS": "16..95"}, text=text)
    assert reduction.analyse(system).sorts, reduction.analyse(system).reason
    full = bmc.check(system, max_depth=4, reduce=False)
    reduced = bmc.check(system, max_depth=4)
    assert (full.status, full.depth_reached) == (reduced.status, reduced.depth_reached), text
    if reduced.status == "violated":
        replays_on(system, reduced)
    exact = exact_bound(lambda: bmc.check(system, max_depth=4))  # each depth on exactly p*d + w
    assert (full.status, full.depth_reached) == (exact.status, exact.depth_reached), text


def exact_bound(run):
    """`run()` with every depth decided on its own bound n = p*d + w (no chunks): the argument's exact claim."""
    original = bmc.Reduced.CHUNK
    bmc.Reduced.CHUNK = 1
    try:
        return run()
    finally:
        bmc.Reduced.CHUNK = original


# --------------------------------------------------------------------------------------------- symmetric vCPUs
RING = """
module ring
--- Tokens passed between vCPUs; a vCPU holding two tokens breaks the invariant.
const NCPU: 2..4 = 3
type Cpu = 0..NCPU-1
var tokens: Cpu -> 0..3
init {{ tokens = [c in Cpu: 1] }}
action pass(src: Cpu, dst: Cpu) requires src != dst and tokens[src] > 0 {{
  tokens'[src] = tokens[src] - 1
  tokens'[dst] = min(tokens[dst] + 1, 3)
}}
invariant at_most_two: forall c in Cpu: tokens[c] <= {bound}
"""


def test_symmetric_vcpus_fix_the_witness_to_the_first_and_keep_the_depth() -> None:
    system = load_system("ring.irq", text=RING.format(bound=2))
    a = reduction.analyse(system)
    assert not a.sorts and list(a.fixed.values()) == [0] and a.symmetric == ("Cpu",)
    full = bmc.check(system, max_depth=6, reduce=False)
    fixed = bmc.check(system, max_depth=6)
    assert (full.status, full.depth_reached) == (fixed.status, fixed.depth_reached) == ("violated", 2)
    assert fixed.witness["c"] == 0 and "fixed to the first by symmetry" in fixed.reduction
    replays_on(system, fixed)


@pytest.mark.parametrize("change", [
    "tokens[src] > 0 and src < dst",  # order on vCPUs
    "tokens[src] > 0 and dst != 0",  # a constant vCPU
])
def test_an_asymmetric_use_of_vcpus_fixes_no_witness(change) -> None:
    system = load_system("ring.irq", text=RING.format(bound=2).replace("src != dst and tokens[src] > 0", change))
    assert not reduction.analyse(system).fixed
    assert bmc.check(system, max_depth=6).reduction.startswith("vectors not reduced")


def test_an_asymmetric_spec_would_be_answered_wrongly_with_the_witness_fixed() -> None:
    """Only vCPU 2 can collect tokens when passing goes up: fixing the witness to 0 there would miss the violation,
    which is why order on vCPUs keeps the witness free."""
    text = RING.format(bound=2).replace("src != dst and tokens[src] > 0", "tokens[src] > 0 and src < dst")
    system = load_system("ring.irq", text=text)
    assert bmc.check(system, max_depth=6).status == "violated"
    forced = dataclasses.replace(reduction.analyse(system), fixed={system.invariants[0].expr.uid: 0})
    wrong = reduction.restrict(system, forced, ())
    assert bmc.check(wrong, max_depth=6, reduce=False).status == "holds"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["svm_virq", "svm_evtinj", "svm_virq_pending"])
def test_shipped_specs_at_three_vcpus_give_the_same_answer_with_the_witness_fixed(name) -> None:
    system = load_system(SPEC / f"{name}.irq", {"NCPU": "3", "VECTORS": "32..33", "TPR_WRITES": "32..33"})
    a = reduction.analyse(system)
    assert not a.sorts and a.fixed  # the vector reduction is off at 32..33; the symmetry is not
    full = bmc.check(system, max_depth=7, reduce=False)
    fixed = bmc.check(system, max_depth=7)
    assert (full.status, full.depth_reached, full.invariant) == (fixed.status, fixed.depth_reached, fixed.invariant)
    if fixed.status == "violated":
        replays_on(system, fixed)


def test_check_says_what_it_reduced_and_no_reduce_turns_it_off(capsys) -> None:
    from irqspec.cli import main

    assert main(["check", str(SPEC / "svm_evtinj.irq"), "--max-depth", "3"]) == 0
    out = capsys.readouterr().out
    assert "no violation up to depth 3" in out
    assert "(vectors reduced (docs/reduction.md): each depth decided on at most 9 of the 240 vectors; witnesses over " \
           "Cpu fixed to the first by symmetry)" in out, out
    assert main(["check", str(SPEC / "svm_evtinj.irq"), "--max-depth", "3", "--no-reduce"]) == 0
    out = capsys.readouterr().out
    assert "no violation up to depth 3" in out and "reduced" not in out and "symmetry" not in out, out
    assert main(["check", str(SPEC / "svm_evtinj.irq"), "--max-depth", "1", "-D", "VECTORS=32..33", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reduction"].startswith("vectors not reduced: the vectors of parameter v of send_ipi (32..33) are not "
                                       "closed under lowering a vector")


# ------------------------------------------------------------------------------------- coverage goals (reach_all)
def step_goals(system):
    from irqspec import coverage

    return [bmc.StepGoal(t.action, t.condition, t.previous, t.previous_condition, refusal=t.kind == "refusal")
            for t in coverage.targets(system) if t.kind not in ("action", "branch")]


@pytest.mark.slow
def test_coverage_goals_are_met_at_the_same_depths_reduced_and_full() -> None:
    """reach_all with the vector reduction meets the same goals, each at the same (shortest) depth, as on the full
    domain; the goals whose conditions break the conditions (a boundary `x + 1`) are searched on the full domain."""
    system = load_system(SPEC / "svm_virq.irq", {"VECTORS": "16..63"})
    goals = step_goals(system)
    reducible, _ = bmc._reducible(system, goals)
    assert 0 < len(reducible) < len(goals)  # boundaries such as prio(v) == prio(ppr) + 1 are not reducible

    def depths(reduce: bool) -> tuple[dict[int, int], set[int], str]:
        runs, never, why = bmc.reach_all(system, goals, max_depth=4, reduce=reduce)
        return {i: len(trace) - 1 for trace, met, _ in runs for i in met}, never, why

    full, reduced = depths(False), depths(True)
    assert full[2] == reduced[2] == ""
    assert full[1] == reduced[1] and full[0] == reduced[0]
    assert len(full[0]) > 50
