"""The Python code generator: generated reference models and property tests import, run, and mean the spec."""

from __future__ import annotations

import ast
import hashlib
import importlib
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from irqspec.pybackend.codegen import generate_model, generate_property_tests
from irqspec.front.frontend import load_system
from irqspec.pybackend.pyexpr import RESERVED, doc_literal, mangle
from irqspec.runtime.model import take, walk
from irqspec.runtime.values import RangeViolation

from spec_paths import SEED_SPECS, SPEC

SMALL = {"VECTORS": "32..33", "TPR_WRITES": "32..33"}

HOSTILE = '''--- Names that are Python keywords, builtins, dunders; a doc with \'\'\' and """ and a \\ backslash, a "quote", and \u00e9.
module hostile

--- N: ends with a quote"
const N = 2
type lambda = 0..N-1
type None = enum { pass, True, __class__ }
type Rec = record { yield: bool, __dict__: 0..3 }

--- class """ doc \\x00 \'\'\'
var class: lambda -> bool
var print: lambda -> 0..3
var __init__: bits[8]
var State: lambda -> None
var s: Rec
var x_: None -> bool

init {
  class = [c in lambda: false]
  print = [c in lambda: 0]
  __init__ = 0
  State = [c in lambda: pass]
  s = {yield: false, __dict__: 0}
  x_ = [m in None: false]
}

--- a def named like the API: initial_state
def initial_state(self: lambda): lambda = self

--- an action named return with a parameter named yield
action return(yield: lambda, other: None)
  requires not class[yield]
{
  let len = print[initial_state(yield)] + 1
  class'[yield] = true
  print'[yield] = len
  __init__'[yield] = true
  State'[yield] = other
  s'.__dict__ = s.__dict__ + 1
  x_'[other] = true
}

action enabled_return(self: lambda)
  requires class[self]
{
  class'[self] = false
  if State[self] == True {
    __init__' = __init__ | bit(self + 4)
  } else {
  }
}

invariant __eq__: forall int in lambda: print[int] <= 3 and (let sum = print[int] in sum >= 0)
invariant ACTIONS: forall print_ in lambda, u in None: x_[u] or not x_[u]
cover __hash__: exists c in lambda: class[c]
'''


def _generate(spec: Path, defines: dict[str, str] | None = None, text: str | None = None) -> tuple[str, str]:
    system = load_system(spec, defines, text=text)
    raw = text.encode() if text is not None else spec.read_bytes()
    source = generate_model(system, spec.name, hashlib.sha256(raw).hexdigest(), f"irqspec gen {spec.name}")
    return system.module, source


@pytest.fixture
def load_model(tmp_path, monkeypatch):
    """Generate a spec's model into tmp_path and import it (under its own module name, found on sys.path)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded: list[str] = []

    def load(spec: Path, defines: dict[str, str] | None = None, text: str | None = None):
        module, source = _generate(spec, defines, text)
        (tmp_path / f"{module}_model.py").write_text(source)
        name = f"{module}_model"
        sys.modules.pop(name, None)
        importlib.invalidate_caches()
        loaded.append(name)
        return importlib.import_module(name)

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


@pytest.mark.parametrize("spec", SEED_SPECS)
def test_initial_state_satisfies_invariants(load_model, spec):
    model = load_model(SPEC / spec)
    s = model.initial_state()
    assert model.violated_invariants(s) == []
    assert list(model.enabled_actions(s)), "some action is enabled initially"


@pytest.mark.parametrize("defines", [SMALL, {}], ids=["vectors-32-33", "vectors-16-255"])
def test_random_walks_of_evtinj_never_lose_an_ipi(load_model, defines):
    model = load_model(SPEC / "svm_evtinj.irq", defines)
    for seed in range(3):
        def check(action, args, s):
            assert model.violated_invariants(s) == [], (action, args, s)
        walk(model, 2000, seed=seed, on_step=check)


def test_enabled_actions_agree_with_guards(load_model):
    model = load_model(SPEC / "svm_evtinj.irq", SMALL)
    rng = random.Random(7)
    s = model.initial_state()
    for _ in range(300):
        listed = {(a, tuple(p.values())) for a, p in model.enabled_actions(s)}
        every = {(name, args) for name, info in model.ACTIONS.items()
                 for args in _product([list(d) for _, d in info.params]) if info.enabled(s, *args)}
        assert listed == every
        action, params = rng.choice(sorted(listed, key=repr))
        s = model.ACTIONS[action].apply(s, *params)


def _product(domains):
    if not domains:
        yield ()
        return
    for v in domains[0]:
        for rest in _product(domains[1:]):
            yield (v, *rest)


@pytest.mark.parametrize("v", [32, 200])
def test_second_ipi_merges_into_stale_irr_and_is_lost(load_model, v):
    model = load_model(SPEC / "svm_virq.irq")
    s = model.initial_state()
    run = [("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": v}), ("vmrun", {"c": 1}),
           ("take_virq", {"c": 1}), ("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": v}),
           ("vmexit", {"c": 1})]
    for i, (action, params) in enumerate(run):
        assert (action, params) in list(model.enabled_actions(s)), f"step {i} is enabled"
        assert model.violated_invariants(s) == []
        s = take(model, s, action, params)
    assert model.violated_invariants(s) == [("no_lost_ipi", {"c": 1, "v": v})]


def test_sender_exit_resolves_its_posted_vector_in_pending_spec(load_model):
    # Regression: the sender's ICR-write exit once left its own posted vector unresolved, and the next vmrun
    # overwrote V_INTR_VECTOR, losing it. The exit now runs svm_update_virqinfo on the sender too.
    model = load_model(SPEC / "svm_virq_pending.irq", SMALL)
    s = model.initial_state()
    run = [("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": 32}), ("vmrun", {"c": 1}),
           ("send_ipi", {"src": 1, "dst": 0, "v": 33}), ("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1, "v": 33}),
           ("vmrun", {"c": 1})]
    for action, params in run:
        s = take(model, s, action, params)
        assert model.LEMMAS["nothing_posted_in_host"](s)
        assert model.violated_invariants(s) == []


def test_action_refuses_a_disabled_instance(load_model):
    model = load_model(SPEC / "svm_virq.irq", SMALL)
    with pytest.raises(AssertionError, match="take_virq is not enabled"):
        model.take_virq(model.initial_state(), 0)


@pytest.mark.parametrize("spec", SEED_SPECS)
def test_generation_is_deterministic(spec):
    assert _generate(SPEC / spec)[1].encode() == _generate(SPEC / spec)[1].encode()


def test_header_names_spec_hash_and_command():
    _, source = _generate(SPEC / "svm_evtinj.irq")
    digest = hashlib.sha256((SPEC / "svm_evtinj.irq").read_bytes()).hexdigest()
    head = source.splitlines()[:3]
    assert "svm_evtinj.irq" in head[0] and digest in head[0] and "irqspec gen" in head[1] and "Do not edit" in head[2]


def test_repr_shows_bit_vectors_as_vector_sets(load_model):
    model = load_model(SPEC / "svm_evtinj.irq")
    s = take(model, take(model, model.initial_state(), "vmrun", {"c": 0}), "send_ipi", {"src": 0, "dst": 1, "v": 33})
    s = take(model, s, "vmrun", {"c": 0})
    s = take(model, s, "send_ipi", {"src": 0, "dst": 1, "v": 32})
    text = repr(s)
    assert "irr={0: {}, 1: {0x20, 0x21}}" in text
    assert "eventinj={0: {valid: False, vector: 0}" in text and "stage={0: Idle, 1: Idle}" in text


def test_state_is_immutable_hashable_and_round_trips_through_itf(load_model):
    model = load_model(SPEC / "svm_evtinj.irq", SMALL)
    s = take(model, model.initial_state(), "vmrun", {"c": 1})
    with pytest.raises(AttributeError):
        s.irr = (1, 1)  # type: ignore[misc]
    assert hash(s) == hash(take(model, model.initial_state(), "vmrun", {"c": 1}))
    assert s != tuple(s) and s.in_guest == (False, True)
    assert model.from_itf(model.to_itf(s)) == s
    assert model.state_from_dict(model.state_to_dict(s)) == s


def test_hostile_identifiers_generate_code_that_imports_and_runs(load_model, tmp_path):
    model = load_model(tmp_path / "hostile.irq", text=HOSTILE)
    s = model.initial_state()
    assert model.violated_invariants(s) == [] and model.check_covers(s) == []
    assert "''' and \"\"\" and a \\ backslash" in model.__doc__ and "\u00e9" in model.__doc__
    assert model.initial_state_(1) == 1  # the spec's def initial_state does not replace the API's
    s = take(model, s, "return", {"yield": 1, "other": "True"})
    assert s.class_ == (False, True) and s.u__init___ == 0b10 and s.x__ == (False, True, False)
    assert model.check_covers(s) == ["__hash__"]
    s = take(model, s, "enabled_return", {"self": 1})
    assert s.u__init___ == 0b100010
    for _ in range(2):
        s = take(model, s, "return", {"yield": 1, "other": "pass"})
        s = take(model, s, "enabled_return", {"self": 1})
    with pytest.raises(RangeViolation, match="outside 0..3"):
        take(model, s, "return", {"yield": 1, "other": "pass"})
    source = (tmp_path / "hostile_model.py").read_text()
    assert source.isascii() and "eval(" not in source and "exec(" not in source
    imports = [n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert {n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in imports} \
        <= {"operator", "irqspec.runtime", "irqspec.runtime.model", "irqspec.runtime.values"}


@pytest.mark.parametrize("name", ["class", "None", "print", "__init__", "State", "initial_state", "x_", "_x", "s",
                                  "bit", "enabled_actions", "lambda", "match"])
def test_mangled_names_are_safe(name):
    py = mangle(py_name := name)
    assert py.isidentifier() and py not in RESERVED and not py.startswith("_") and py_name
    compile(f"{py} = 1", "<test>", "exec")


def test_mangle_is_injective_on_lookalikes():
    names = ["x", "x_", "x__", "_x", "u_x", "u_x_", "print", "print_", "__init__", "u__init___"]
    assert len({mangle(n) for n in names}) == len(names)


@pytest.mark.parametrize("text", ['plain', 'ends with "', '"""', "'''", "back\\slash", "\\", 'a ""quoted"" word',
                                  "caf\u00e9 \U0001F600", "nul\x00 and tab\t", "two\nlines\n"])
def test_doc_literal_round_trips(text):
    literal = doc_literal(text, "    ")
    assert literal.isascii()
    value = ast.literal_eval(literal)
    assert value.replace("\n    ", "\n") == text


# -------------------------------------------------------------------------------------------------- property tests


def _property_machine(tmp_path, monkeypatch, spec: str, defines: dict[str, str]):
    monkeypatch.syspath_prepend(str(tmp_path))
    module, source = _generate(SPEC / spec, defines)
    (tmp_path / f"{module}_model.py").write_text(source)
    system = load_system(SPEC / spec, defines)
    test_name = f"test_{module}_properties"
    (tmp_path / f"{test_name}.py").write_text(generate_property_tests(system, f"{module}_model"))
    for name in (f"{module}_model", test_name):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
    test_module = importlib.import_module(test_name)
    machine = next(v for k, v in vars(test_module).items() if k.endswith("PropertiesMachine"))
    return machine


@pytest.mark.parametrize("spec", ["svm_evtinj.irq", "svm_virq_pending.irq"])
def test_property_test_passes_on_correct_specs(tmp_path, monkeypatch, spec):
    machine = _property_machine(tmp_path, monkeypatch, spec, SMALL)
    case = machine.TestCase
    case.settings = settings(max_examples=40, stateful_step_count=30, deadline=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink))
    case("runTest").runTest()


@pytest.mark.slow
def test_property_test_finds_and_shrinks_the_lost_ipi(tmp_path, monkeypatch):
    machine = _property_machine(tmp_path, monkeypatch, "svm_virq.irq", SMALL)
    case = machine.TestCase
    case.settings = settings(max_examples=3000, stateful_step_count=25, deadline=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), print_blob=False,
                             phases=(Phase.generate, Phase.shrink))
    with pytest.raises(AssertionError, match="no_lost_ipi") as failure:
        case("runTest").runTest()
    message = str(failure.value)
    steps = [line for line in message.splitlines() if line[:1].isdigit()]
    assert len(steps) - 1 <= 12, message  # shrinking is heuristic: near the 7-step shortest trace
    assert "witness {'c'" in message


def test_generated_property_test_file_is_plain_python():
    system = load_system(SPEC / "svm_evtinj.irq")
    text = generate_property_tests(system, "svm_evtinj_model")
    ast.parse(text)
    assert "import svm_evtinj_model as model" in text and "TestSvmEvtinjProperties" in text
    with pytest.raises(ValueError):
        generate_property_tests(system, "os; import x")


def test_hostile_spec_suites_generate_import_and_pass(tmp_path):
    """Code-generation safety: the whole suite of a spec with adversarial identifiers and doc comments runs, and the
    generated files import only the runtime, the test libraries and the standard library (no spec text reaches an
    import statement, eval, exec or compile)."""
    import ast
    import subprocess
    import sys

    from irqspec.pybackend.suites import generate_all

    spec = tmp_path / "hostile.irq"
    spec.write_text(HOSTILE, encoding="utf-8")
    result = generate_all(spec, {}, "irqspec gen hostile.irq", max_depth=6)
    out = tmp_path / "suite"
    out.mkdir()
    allowed = {"pytest", "hypothesis", "operator", "os", "sys", "importlib", "pathlib", "hostile_model",
               "__future__"}

    def ok(module: str) -> bool:  # of irqspec, only the runtime: never the generator, never a plain `runtime`
        return module.split(".")[0] in allowed or module == "irqspec.runtime" or module.startswith("irqspec.runtime.")

    for name, text in result.files.items():
        (out / name).write_text(text, encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(ok(a.name) for a in node.names), (name, ast.dump(node))
            elif isinstance(node, ast.ImportFrom):
                assert ok(node.module or ""), (name, node.module)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "__import__"), name
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(out)], capture_output=True,
                         text=True, cwd=out, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout


STUCK = """module stuck

var x: 0..3

init {
  x = 0
}

action inc()
  requires x < 2
{
  x' = x + 1
}

--- named like the model's function that evaluates witnesses: the spec's name must not replace it
invariant invariant_fails_at: forall i in 0..3, j in 0..1: i != x or j == 0 or x < 1
"""


@pytest.mark.parametrize("text", [STUCK, "module idle\n\nvar x: 0..3\n\ninit {\n  x = 0\n}\n\ninvariant low: x < 1\n"],
                         ids=["deadlock", "no-actions"])
def test_state_machine_stutters_where_no_action_is_enabled(load_model, tmp_path, text):
    from hypothesis.stateful import run_state_machine_as_test

    from irqspec.runtime.stateful import build_state_machine

    model = load_model(tmp_path / "spec.irq", text=text)
    runs = []

    class Recorded(build_state_machine(model, check_invariants=False)):  # STUCK breaks its invariant
        def teardown(self):
            runs.append((len(self.steps) - 1, self.stutters))

    run_state_machine_as_test(Recorded, settings=settings(max_examples=10, stateful_step_count=6, deadline=None,
                                                          derandomize=True, database=None))
    assert runs and all(steps <= 2 for steps, _ in runs)  # a run moves at most twice, then no action is enabled
    assert any(stutters > 0 for _, stutters in runs)


def test_invariant_fails_at_evaluates_a_witness(load_model, tmp_path):
    model = load_model(tmp_path / "stuck.irq", text=STUCK)
    s = take(model, model.initial_state(), "inc", {})
    assert model.violated_invariants(s) == [("invariant_fails_at", {"i": 1, "j": 1})]
    assert model.invariant_fails_at(s, "invariant_fails_at", {"i": 1, "j": 1})
    assert not model.invariant_fails_at(s, "invariant_fails_at", {"i": 0, "j": 1})  # the invariant holds there
    assert not model.invariant_fails_at(s, "invariant_fails_at", {"i": 1, "j": 2})  # outside j's domain
    assert not model.invariant_fails_at(s, "invariant_fails_at", {"i": 1})  # not a witness of this invariant
    assert model.INVARIANTS["invariant_fails_at"](s) is False
