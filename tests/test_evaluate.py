"""generator/evaluate.py (the reading the trace printer uses) held against the generated model, which is rendered from
the same operator table: on random states of the shipped specs, the corpus and random specs (name-reusing ones
included), every property, guard and next state agrees, and a range fault is raised by both or neither."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from spec_paths import ROOT, SEED_SPECS, SPEC
from test_differential import random_specs
from test_name_reuse import name_reusing_specs
from test_semantics_agree import gen_args, python_reading

from irqspec import ir
from irqspec.evaluate import enabled, evaluate, operator_reading, run_action
from irqspec.front.frontend import load_system
from irqspec.pybackend.loadmodel import load_model
from irqspec.semantics import OPERATORS
from irqspec.runtime.model import Deadlock, walk
from irqspec.runtime.values import RangeViolation

CORPUS = ROOT / "tests" / "corpus"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_template_reads_as_its_python_meaning(name):
    rng = random.Random(name)
    for width in (1, 8, 256):
        for _ in range(30):
            args = [value for value, _ in gen_args(rng, name, width)]
            assert operator_reading(name, width)(tuple(args)) == python_reading(name, width)(*args), (name, args)


def _states(model, steps: int, seed: int) -> list:
    states = [model.initial_state()]
    try:
        walk(model, steps, seed=seed, on_step=lambda action, args, s: states.append(s))
    except (Deadlock, RangeViolation):  # a random spec may leave a range: the states before it still count
        pass
    return states


def _agree_on_states(system, model, states) -> None:
    """Every reading the report relies on, on each state: properties, guards, next states, witnesses."""
    props = [(p, model.INVARIANTS) for p in system.invariants] + [(p, model.LEMMAS) for p in system.lemmas] \
        + [(p, model.COVERS) for p in system.covers]
    for s in states:
        state = model.state_to_dict(s)
        for prop, table in props:
            assert bool(evaluate(system, prop.expr, state)) == bool(table[prop.name](s)), (prop.name, state)
        for action in system.actions:
            info = model.ACTIONS[action.name]
            for args in itertools.product(*[list(domain) for _, domain in info.params]):
                params = {p.name: a for p, a in zip(action.params, args)}
                assert enabled(system, action, state, params) == bool(info.enabled(s, *args)), (action.name, params)
                if not info.enabled(s, *args):
                    continue
                try:
                    expected = model.state_to_dict(info.apply(s, *args))
                except RangeViolation as err:
                    with pytest.raises(RangeViolation) as ours:
                        run_action(system, action, state, params)
                    assert str(ours.value) == str(err)
                    continue
                assert run_action(system, action, state, params).post == expected, (action.name, params, state)
        for name, witness in model.violated_invariants(s):  # the body is false at the model's witness
            body, env = system.invariant(name).expr, {}
            while isinstance(body, ir.Quant) and body.kind == "forall":
                env[body.uid] = witness.get(body.name)
                body = body.body
            assert not evaluate(system, body, state, env), (name, witness)


@pytest.mark.parametrize("spec", SEED_SPECS)
def test_evaluator_agrees_with_the_generated_model_on_random_states_of_the_shipped_specs(spec):
    system = load_system(SPEC / spec, {"VECTORS": "32..33", "TPR_WRITES": "32..33"})
    model = load_model(system)
    _agree_on_states(system, model, _states(model, 300, seed=11))


@pytest.mark.parametrize("spec", sorted(p.name for p in CORPUS.glob("*.irq")))
def test_evaluator_agrees_with_the_generated_model_on_the_corpus(spec):
    system = load_system(CORPUS / spec)
    model = load_model(system)
    _agree_on_states(system, model, _states(model, 200, seed=3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_evaluator_agrees_with_the_generated_model_on_random_specs(text):
    system = load_system("random_spec.irq", text=text)
    model = load_model(system)
    _agree_on_states(system, model, _states(model, 40, seed=1))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name_reusing_specs())
def test_evaluator_agrees_with_the_generated_model_on_name_reusing_specs(text):
    system = load_system("name_reuse.irq", text=text)
    model = load_model(system)
    _agree_on_states(system, model, _states(model, 40, seed=2))
