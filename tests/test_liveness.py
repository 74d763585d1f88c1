"""Liveness: `liveness NAME: P ~> Q`, `fair` / `strong fair` actions, the shortest fair lasso by BMC
(generator/smt/liveness.py) and fair cycles of the explicit graph (generator/pybackend/liveness.py), each lasso held
against the generated model by irqspec.runtime.lasso, which shares no code with either."""

from __future__ import annotations

import dataclasses
import json
import random
import re

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_paths import SPEC
from test_differential import _cond, random_specs
from test_reduction import random_spec as reduction_random_spec

from irqspec.front.diagnostics import SpecError
from irqspec.front.frontend import load_system
from irqspec.pybackend.explore import explore
from irqspec.pybackend.liveness import check_liveness as explore_liveness
from irqspec.pybackend.loadmodel import load_model
from irqspec.runtime.itf import trace_from_itf, trace_to_itf
from irqspec.runtime.lasso import lasso_problems
from irqspec.smt.liveness import check_liveness as bmc_liveness
from irqspec import reduction
from irqspec.itf_types import param_descriptors, var_descriptors

SCHEMA = json.loads((SPEC.parent / "docs" / "irqspec-result.schema.json").read_text())

TOGGLE = """module toggle
const N = 2
type Cpu = 0..N-1
var owed: Cpu -> bool
var busy: bool
init { owed = [c in Cpu: false] busy = false }
action send(c: Cpu) requires not owed[c] { owed'[c] = true }
DELIVER action deliver(c: Cpu) requires owed[c] and not busy { owed'[c] = false }
TOGGLE action toggle() { busy' = not busy }
liveness delivered: forall c in Cpu: owed[c] ~> not owed[c]
"""


def toggle(deliver: str, tog: str) -> str:
    return TOGGLE.replace("DELIVER ", deliver).replace("TOGGLE ", tog)


def problems(model, trace, prop, witness):
    states = [model.state_from_dict(st.state) for st in trace.steps]
    return lasso_problems(model, states, [(st.action, st.params) for st in trace.steps[1:]], trace.loop, prop, witness)


def both(system, max_depth: int = 12):
    """The explicit verdict and BMC's, each lasso checked by the runtime's lasso check; BMC's is never longer."""
    model = load_model(system)
    explicit = explore_liveness(system, model=model)
    assert explicit.status in ("violated", "holds")
    depth = len(explicit.trace) - 1 if explicit.status == "violated" else max_depth
    bmc = bmc_liveness(system, max_depth=depth)
    assert bmc.status == explicit.status, (explicit.reason, bmc.reason)
    for r in (explicit, bmc):
        if r.status == "violated":
            assert r.trace.loop == r.loop
            assert problems(model, r.trace, r.prop, r.witness) == []
    if bmc.status == "violated":
        assert len(bmc.trace) <= len(explicit.trace)
    return explicit, bmc


# ------------------------------------------------------------------------------------------------------ language


def test_fairness_and_liveness_reach_the_ir_and_the_summary():
    system = load_system("toggle.irq", text=toggle("fair ", "strong fair "))
    assert [a.fairness for a in system.actions] == ["", "weak", "strong"]
    (lv,) = system.liveness
    assert lv.name == "delivered" and [b.name for b in lv.binders] == ["c"]
    from irqspec.summary import summary

    text = summary(system)
    assert "deliver(c: Cpu = 0..1)  [2 instances; modifies owed; fair]" in text
    assert "toggle()  [1 instance; modifies busy; strong fair]" in text
    assert "liveness: delivered" in text


@pytest.mark.parametrize("text, message", [
    ("invariant i: a ~> a", "'~>' (leads to) is temporal"),
    ("liveness i: exists b in bool: a ~> b", "a liveness property is `P ~> Q`"),
    ("liveness i: a", "a liveness property is `P ~> Q`"),
    ("liveness i: forall b in bool: forall b in bool: a ~> b", "'b' is already bound by this property"),
    ("liveness i: (a ~> a) ~> a", "'~>' (leads to) is temporal"),
    ("liveness range: a ~> a", "'range' is the name of the implicit property"),
    ("liveness i: a ~> a\ninvariant i: a", "property"),
])
def test_liveness_misuse_is_a_positioned_error(text, message):
    spec = "module x\nvar a: bool\ninit { a = false }\naction t() { a' = not a }\n" + text + "\n"
    with pytest.raises(SpecError) as err:
        load_system("x.irq", text=spec)
    rendered = err.value.render()
    assert message in rendered
    assert re.search(r"x\.irq:\d+:\d+: error", rendered)


# ------------------------------------------------------------------------------------------- the two engines agree


@pytest.mark.parametrize("deliver, tog, verdict", [
    ("", "", "violated"),                           # no fairness: stutter with a vector owed
    ("fair ", "", "violated"),                      # toggle may stop with busy set
    ("fair ", "fair ", "violated"),                 # busy toggles: deliver is not enabled continuously
    ("fair ", "strong fair ", "violated"),
    ("strong fair ", "fair ", "holds"),             # enabled infinitely often, so taken
    ("strong fair ", "", "violated"),               # toggle may stop with busy set
])
def test_fairness_decides_delivery_and_both_engines_agree(deliver, tog, verdict):
    explicit, bmc = both(load_system("toggle.irq", text=toggle(deliver, tog)))
    assert explicit.status == verdict
    if verdict == "violated":
        assert explicit.prop == bmc.prop == "delivered"


def test_the_shortest_lasso_without_fairness_is_one_send_then_a_stutter():
    _, bmc = both(load_system("toggle.irq", text=toggle("", "")))
    steps = bmc.trace.steps
    assert len(steps) == 3 and steps[1].action == "send" and steps[2].action is None and bmc.loop == 1


def test_a_lasso_that_breaks_fairness_is_refused_by_the_runtime_check():
    system = load_system("toggle.irq", text=toggle("fair ", ""))
    model = load_model(system)
    explicit = explore_liveness(system, model=model)
    t = explicit.trace
    # the loop where busy is false and nothing happens: deliver(c) is enabled throughout and never taken
    unfair = [t.steps[0], t.steps[1], type(t.steps[1])(None, {}, t.steps[1].state)]
    bad = type(t)(tuple(unfair), t.violated, t.witness, 1)
    found = problems(model, bad, "delivered", explicit.witness)
    assert any("weakly fair" in p for p in found), found
    # and a loop that does not close, or a step that is not a step
    assert problems(model, type(t)(t.steps[:-1] + (t.steps[1],), t.violated, t.witness, 0), "delivered",
                    explicit.witness)


def test_a_property_that_holds_vacuously_and_one_that_never_starts():
    spec = ("module v\nvar a: 0..3\ninit { a = 0 }\nfair action up() requires a < 3 { a' = a + 1 }\n"
            "liveness reaches_top: a == 0 ~> a == 3\nliveness never: a == 2 and a == 1 ~> false\n")
    explicit, bmc = both(load_system("v.irq", text=spec))
    assert explicit.status == "holds"
    # without fairness the first one fails by stuttering at 0
    explicit, bmc = both(load_system("v.irq", text=spec.replace("fair action", "action")))
    assert explicit.status == "violated" and len(bmc.trace) - 1 == 1 and bmc.trace.steps[1].action is None


def test_strong_fairness_needs_the_streett_refinement():
    # `grant` is enabled only in state b; a cycle a <-> b would have to take it, but the cycle a -> a (stutter at a,
    # where grant is disabled) is fair: the refinement removes b and finds {a}
    spec = ("module s\nvar x: 0..2\ninit { x = 0 }\nfair action go() requires x == 0 { x' = 1 }\n"
            "action back() requires x == 1 { x' = 0 }\nstrong fair action grant() requires x == 1 { x' = 2 }\n"
            "liveness granted: x == 0 ~> x == 2\n")
    explicit, bmc = both(load_system("s.irq", text=spec))
    assert explicit.status == "holds"  # go is weakly fair: x = 0 cannot stutter; at 1 grant must come
    explicit, bmc = both(load_system("s.irq", text=spec.replace("strong fair action grant", "fair action grant")))
    assert explicit.status == "violated"  # go, back, go, back: grant is enabled only every other state


WHEN = """module w
var x: 0..2
var kicked: bool
init { x = 0 kicked = false }
action kick() requires x == 0 { kicked' = true }
FAIR action leave() requires x == 0 WHEN { x' = 1 kicked' = false }
fair action back() requires x == 1 { x' = 0 }
liveness leaves_when_kicked: kicked ~> x == 1
"""


@pytest.mark.parametrize("fair, when, verdict", [
    ("", "", "violated"),                            # nothing forces the exit
    ("fair ", "", "holds"),                          # leave is always forced
    ("fair ", "when kicked ", "holds"),              # forced once kicked, and kicked stays until it leaves
    ("fair ", "when not kicked ", "violated"),       # its fairness never applies once kicked
])
def test_a_when_clause_restricts_fairness_to_its_states(fair, when, verdict):
    explicit, bmc = both(load_system("w.irq", text=WHEN.replace("FAIR ", fair).replace("WHEN ", when)))
    assert explicit.status == verdict


def test_a_when_clause_needs_a_fair_action():
    with pytest.raises(SpecError) as err:
        load_system("w.irq", text=WHEN.replace("FAIR ", "").replace("WHEN ", "when kicked "))
    assert "this action is not fair" in err.value.render()


# ------------------------------------------------------------------------------------------------ random specs


@st.composite
def random_live_specs(draw) -> str:
    """test_differential's random specs with some actions fair or strongly fair (some with a `when` clause) and a
    liveness property over a binder."""
    text = draw(random_specs())
    lines = text.splitlines()
    vs = _vars_of(text)
    out: list[str] = []
    fairness = ""
    for line in lines:
        if line.startswith("action "):
            fairness = draw(st.sampled_from(["", "", "fair ", "strong fair "]))
            line = fairness + line
        if line == "{" and fairness and draw(st.integers(0, 2)) == 0:
            out.append(f"  when {_cond(draw, vs, 'p')}")
        out.append(line)
        if line == "}":
            fairness = ""
    p = draw(st.sampled_from(["true", _cond(draw, vs, "r")]))
    q = draw(st.sampled_from([_cond(draw, vs, "r"), f"({_cond(draw, vs, 'r')} and {_cond(draw, vs, 'r')})"]))
    out.append(f"liveness live: forall r in 0..1: {p} ~> {q}")
    return "\n".join(out) + "\n"


def _vars_of(text: str) -> list[dict]:
    """The variables of a random spec as test_differential's generators describe them, read back from its text."""
    vs = []
    consts = dict(re.findall(r"^const (S\d+) = (.*)$", text, re.M))
    enums = dict(re.findall(r"^type (E\d+) = enum \{ (.*) \}$", text, re.M))
    for name, typ in re.findall(r"^var (v\d+): (.*)$", text, re.M):
        if typ == "bool":
            vs.append({"name": name, "kind": "bool"})
        elif typ in enums:
            vs.append({"name": name, "kind": "enum", "members": enums[typ].split(", ")})
        elif typ in consts:
            members = _members(consts[typ])
            vs.append({"name": name, "kind": "set", "members": members, "set": typ})
        elif typ.endswith("-> bool") and typ.split(" ->")[0] in consts:
            vs.append({"name": name, "kind": "map_set", "members": _members(consts[typ.split(" ->")[0]]),
                       "set": typ.split(" ->")[0]})
        elif typ.startswith("bits["):
            vs.append({"name": name, "kind": "bits"})
        elif typ == "0..1 -> bool":
            vs.append({"name": name, "kind": "map_bool"})
        elif typ.startswith("0..1 -> 0.."):
            vs.append({"name": name, "kind": "map_range", "lo": 0, "hi": int(typ.rsplit("..", 1)[1])})
        else:
            lo, hi = (int(x) for x in typ.split(".."))
            vs.append({"name": name, "kind": "range", "lo": lo, "hi": hi})
    return vs


def _members(text: str) -> list[int]:
    out = []
    for item in text.split(", "):
        lo, _, hi = item.partition("..")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_live_specs())
def test_random_specs_with_fairness_bmc_and_the_explicit_search_agree(text):
    both(load_system("random_spec.irq", text=text), max_depth=8)


# ---------------------------------------------------------------------------------------------------- outputs


def test_a_lasso_goes_through_itf_with_its_loop_index():
    system = load_system("toggle.irq", text=toggle("fair ", ""))
    _, bmc = both(system)
    doc = trace_to_itf(bmc.trace, var_descriptors(system), param_descriptors(system))
    assert doc["loop"] == bmc.loop and len(doc["states"]) == len(bmc.trace) - 1
    back = trace_from_itf(json.loads(json.dumps(doc)), var_descriptors(system), param_descriptors(system))
    assert back == bmc.trace


def test_check_and_explore_report_a_lasso(tmp_path, capsys):
    from irqspec.cli import main

    spec = tmp_path / "toggle.irq"
    spec.write_text(toggle("fair ", "fair "))
    itf = tmp_path / "lasso.itf.json"
    assert main(["check", str(spec), "--itf", str(itf)]) == 1
    out = capsys.readouterr().out
    assert "-- the loop starts here" in out and "VIOLATED: liveness delivered for c = 0: a fair lasso of" in out
    assert "fair deliver(c=0): not enabled in the state of step" in out
    assert json.loads(itf.read_text())["loop"] >= 0
    assert main(["explore", str(spec)]) == 1
    assert "VIOLATED: liveness delivered" in capsys.readouterr().out
    assert main(["check", str(spec), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["invariant"] == "delivered" and isinstance(doc["loop"], int) and doc["witness"] == {"c": 0}
    spec.write_text(toggle("strong fair ", "fair "))
    assert main(["check", str(spec)]) == 0
    assert "no fair lasso of up to 20 steps" in capsys.readouterr().out
    assert main(["explore", str(spec), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["loop"] is None
    assert main(["check", str(spec), "--inv", "delivered", "--max-depth", "6"]) == 0
    assert main(["check", str(spec), "--inv", "delivred"]) == 2
    assert "did you mean 'delivered'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the reduction (docs/reduction.md)

LIVE_PROPS = [("s[v]", "not s[v]"), ("t[v]", "not t[v] or prio(v) < k"), ("s[v] and t[v]", "not s[v]"),
              ("true", "x == 0"), ("s[v]", "x >= v"), ("t[v] and prio(v) > k", "not t[v]")]
FAIR = ["fair action drain() requires s != 0 { s' = s & ~bit(highest(s)) }",
        "strong fair action settle() requires t != 0 and prio(highest(t)) > k { t' = t & ~bit(lowest(t)) }",
        "fair action reset() requires x != 0 when k == 0 { x' = 0 }"]


def random_live_reducible(rng: random.Random) -> str:
    text = reduction_random_spec(rng).replace("invariant inv:", "lemma unused:")
    p, q = rng.choice(LIVE_PROPS)
    fair = "\n".join(rng.sample(FAIR, rng.randint(1, 3)))
    return f"{text}{fair}\nliveness live: forall v in VECTORS: {p} ~> {q}\n"


@pytest.mark.parametrize("seed", range(16))
def test_random_data_independent_specs_give_the_same_lasso_length_reduced_and_full(seed):
    system = load_system("rnd.irq", {"VECTORS": "16..79"}, text=random_live_reducible(random.Random(seed)))
    analysis = reduction.analyse(system, liveness=True)
    assert analysis.sorts, analysis.reason
    full = bmc_liveness(system, max_depth=4, reduce=False)
    reduced = bmc_liveness(system, max_depth=4)
    assert (full.status, full.depth_reached) == (reduced.status, reduced.depth_reached)
    if reduced.status == "violated":
        assert problems(load_model(system), reduced.trace, reduced.prop, reduced.witness) == []


def test_a_fair_action_over_vectors_turns_the_lasso_reduction_off():
    text = random_live_reducible(random.Random(1)) + "fair action take(v: VECTORS) requires s[v] { s' = s & ~bit(v) }\n"
    system = load_system("rnd.irq", {"VECTORS": "16..79"}, text=text)
    why = reduction.analyse(system, liveness=True).reason
    assert "the fair action parameter take(v) ranges over vectors" in why
    assert reduction.analyse(system).sorts  # the safety queries do not read fairness: their reduction stands


def test_the_cr8_gap_is_the_same_seven_step_lasso_reduced_and_full():
    system = load_system(SPEC / "svm_evtinj_cr8.irq", {"VECTORS": "16..63", "TPR_WRITES": "16..63"})
    reduced = bmc_liveness(system, max_depth=8)
    full = bmc_liveness(system, max_depth=8, reduce=False)
    assert (reduced.status, reduced.depth_reached) == (full.status, full.depth_reached) == ("violated", 7)
    assert "vectors reduced" in reduced.reduction and "fixed to the first" in reduced.reduction
    assert problems(load_model(system), reduced.trace, reduced.prop, reduced.witness) == []


# ------------------------------------------------------------------------------------------ the CR8 gap of bhyve

SMALL_CR8 = {"VECTORS": "16..16", "TPR_WRITES": "16..16", "CR8_MAX": "1"}


def test_check_finds_the_cr8_gap_at_full_size(capsys):
    from irqspec.cli import main

    assert main(["check", str(SPEC / "svm_evtinj_cr8.irq")]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED: liveness delivered for c = 0" in out and "a fair lasso of 7 steps" in out
    # the TPR hold (a CR8 write, synced at the IPI's exit), VMRUN with the vector held back, CR8 lowered without an
    # exit, then the loop: vCPU 0 never leaves the guest
    prefix, loop = out.split("-- the loop starts here")
    steps = re.findall(r"^step \d+ +(\w+\([^)]*\)|stutter)", prefix, re.M)
    # which CR8 values Z3 picks is its choice: any hold at or above the vector's class, any later value below it
    send = next(i for i, s in enumerate(steps) if s.startswith("send_ipi(") and "dst=0" in s)
    vclass = int(re.search(r"v=(0x[0-9a-f]+|\d+)", steps[send]).group(1), 0) >> 4

    def cr8_writes(part: list[str]) -> list[int]:
        return [int(m.group(1)) for s in part if (m := re.fullmatch(r"write_cr8\(c=0, value=(\d+)\)", s))]

    assert any(value >= vclass for value in cr8_writes(steps[:send]))
    run = steps.index("vmrun(c=0)", send + 1)
    assert any(value < vclass for value in cr8_writes(steps[run + 1:]))
    assert "vmexit(c=0)" not in loop and "in_guest[0]" not in loop


@pytest.mark.slow
@pytest.mark.parametrize("intercept, verdict", [("false", "violated"), ("true", "holds")])
def test_the_cr8_gap_and_its_kvm_cure_explored_exhaustively_agree_with_bmc(intercept, verdict):
    system = load_system(SPEC / "svm_evtinj_cr8.irq", {**SMALL_CR8, "CR8_INTERCEPT": intercept})
    model = load_model(system)
    explicit = explore_liveness(system, model=model)
    assert explicit.status == verdict
    bmc = bmc_liveness(system, max_depth=len(explicit.trace) - 1 if explicit.trace else 10)
    assert bmc.status == verdict
    for r in (explicit, bmc):
        if r.trace is not None:
            assert problems(model, r.trace, r.prop, r.witness) == []
    if verdict == "violated":
        assert len(bmc.trace) - 1 == 7 <= len(explicit.trace) - 1


# ------------------------------------------------------------------------------- prove: liveness to safety (l2s)


def l2s_verdict(system, prop: str, engine: str = "auto", timeout: float = 30):
    from irqspec.api import prove_crosschecked
    from irqspec.l2s import lasso_system, to_lasso

    augmented, monitor = lasso_system(system, prop)
    result, cross = prove_crosschecked(augmented, None, engine=engine, timeout=timeout)
    lasso = to_lasso(result.trace, monitor, system) if result.status == "refuted" and \
        result.invariant == "no_fair_lasso" else None
    if cross is not None:
        assert cross.status in ("agrees", "partial"), cross.detail
    return result, lasso


@pytest.mark.parametrize("deliver, tog, verdict", [
    ("", "", "violated"), ("fair ", "fair ", "violated"), ("strong fair ", "fair ", "holds"),
    ("strong fair ", "", "violated")])
def test_prove_decides_liveness_through_its_lasso_system(deliver, tog, verdict):
    system = load_system("toggle.irq", text=toggle(deliver, tog))
    result, lasso = l2s_verdict(system, "delivered")
    assert result.status == {"holds": "proved", "violated": "refuted"}[verdict], result.reason
    if lasso is not None:
        assert problems(load_model(system), lasso, "delivered", lasso.witness) == []
        assert lasso.loop is not None and lasso.steps[-1].state == lasso.steps[lasso.loop].state


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_live_specs())
def test_random_specs_with_fairness_prove_never_contradicts_the_explicit_search(text):
    system = load_system("random_spec.irq", text=text)
    explicit = explore_liveness(system)
    result, lasso = l2s_verdict(system, "live", timeout=20)
    if result.status == "proved":
        assert explicit.status == "holds", text
    if result.status == "refuted" and lasso is None:  # the spec leaves a range: the safety search sees it too
        only_range = explore(dataclasses.replace(system, invariants=())).invariant
        assert result.invariant.startswith("range") and only_range.startswith("range:"), text
    elif result.status == "refuted":
        assert explicit.status == "violated", text
        assert problems(load_model(system), lasso, "live", lasso.witness) == [], text


def test_the_prove_command_on_liveness(tmp_path, capsys):
    from irqspec.cli import main

    spec = tmp_path / "toggle.irq"
    spec.write_text(toggle("strong fair ", "fair "))
    assert main(["prove", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "PROVED liveness delivered by" in out and "cross-check against the generated model" in out
    spec.write_text(toggle("fair ", "fair "))
    assert main(["prove", str(spec), "--inv", "delivered", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["status"] == "refuted" and doc["invariant"] == "delivered" and isinstance(doc["loop"], int)


# ------------------------------------------------------------------------------------------- generated lasso tests

TOGGLE_ADAPTER = '''
import toggle_model as m


class ModelAdapter:
    """An implementation that is the model: it follows every lasso."""

    module = "toggle"
    observes = tuple(m.VAR_NAMES)
    actions = {name: "do_" + name for name in m.ACTIONS}

    def reset(self):
        self.s = m.initial_state()

    def observe(self):
        return m.state_to_dict(self.s)

    def __getattr__(self, method):
        name = method[len("do_"):]
        if not method.startswith("do_") or name not in m.ACTIONS:
            raise AttributeError(method)

        def act(**params):
            self.s = m.step(self.s, name, params)
        return act

'''


def test_gen_pins_a_lasso_and_drives_its_loop_on_the_implementation(tmp_path):
    import os
    import subprocess
    import sys

    from irqspec.pybackend.suites import generate_all

    spec = tmp_path / "toggle.irq"
    spec.write_text(toggle("fair ", "fair "))
    result = generate_all(spec, {}, "irqspec gen toggle.irq", max_depth=6)
    out = tmp_path / "suite"
    out.mkdir()
    for name, text in result.files.items():
        (out / name).write_text(text)
    text = (out / "test_toggle_liveness.py").read_text()
    assert "def test_delivered_never_arrives(implementation):" in text and "unroll(lasso, 1, 3)" in text
    targets = json.loads((out / "toggle_targets.json").read_text())
    assert targets["targets"]["liveness: delivered"]["status"] == "violated"
    (tmp_path / "toggle_adapter.py").write_text(TOGGLE_ADAPTER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(out)]))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "pytest", str(out / "test_toggle_liveness.py"), "-q", "-p",
                               "no:cacheprovider", *args], capture_output=True, text=True, cwd=out, env=env,
                              timeout=120)

    alone = run()
    assert alone.returncode == 0, alone.stdout + alone.stderr
    follows = run("--irqspec-adapter=toggle_adapter:ModelAdapter")
    assert follows.returncode == 1 and "the implementation follows the fair lasso round its loop 3 times, and " \
        "delivered still waits for {'c': 0}" in follows.stdout, follows.stdout


# ---------------------------------------------------------------------------------------------------- deadlock

DEADLOCKS = "module dl\nvar a: 0..3\ninit { a = 0 }\naction up() requires a < 3 { a' = a + 1 }\n"


def test_explore_reports_a_deadlock_by_default_and_check_when_asked(tmp_path, capsys):
    from irqspec.cli import main

    spec = tmp_path / "dl.irq"
    spec.write_text(DEADLOCKS)
    assert main(["explore", str(spec)]) == 1
    assert "VIOLATED: deadlock: no action is enabled in the last state" in capsys.readouterr().out
    assert main(["explore", str(spec), "--no-deadlock"]) == 0
    capsys.readouterr()
    assert main(["check", str(spec), "--deadlock", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert (doc["invariant"], doc["depth"]) == ("deadlock", 3)
    assert main(["check", str(spec)]) == 0
    with pytest.raises(SpecError) as err:
        load_system("x.irq", text=DEADLOCKS + "invariant deadlock: a < 9\n")
    assert "'deadlock' names the implicit property" in err.value.render()


@st.composite
def guarded_specs(draw) -> str:
    """test_differential's random specs with every action guarded and the invariant true, so that deadlocks show."""
    text = draw(random_specs())
    vs = _vars_of(text)
    out: list[str] = []
    for line in text.splitlines():
        if line == "{" and out[-1].startswith("action "):
            out.append(f"  requires {_cond(draw, vs, 'p')}")
        out.append("invariant inv: true" if line.startswith("invariant inv:") else line)
    return "\n".join(out) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(guarded_specs())
def test_random_specs_explore_and_check_find_deadlocks_at_the_same_depth(text):
    from irqspec.smt.bmc import check

    system = load_system("random_spec.irq", text=text)
    model = load_model(system)
    explicit = explore(system, model=model, deadlock=True)
    assert explicit.status in ("violated", "holds")
    bmc = check(system, max_depth=len(explicit.trace) - 1 if explicit.trace else 8, deadlock=True)
    assert bmc.status == explicit.status
    for r in (explicit, bmc):
        if r.status == "violated" and r.invariant == "deadlock":
            last = model.state_from_dict(r.trace.last.state)
            assert list(model.enabled_actions(last)) == []
    if bmc.status == "violated":
        assert len(bmc.trace) == len(explicit.trace)


def test_the_python_api_checks_and_proves_liveness():
    import irqspec

    bad = load_system("toggle.irq", text=toggle("fair ", "fair "))
    found = irqspec.check_liveness(bad, max_depth=6)
    assert found.status == "violated" and found.trace.loop == found.loop
    result, lasso = irqspec.prove_liveness(bad, "delivered")
    assert result.status == "refuted" and lasso is not None and lasso.loop is not None
    result, lasso = irqspec.prove_liveness(load_system("toggle.irq", text=toggle("strong fair ", "fair ")),
                                           "delivered")
    assert result.status == "proved" and lasso is None
