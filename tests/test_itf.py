"""Traces as ITF (runtime/itf.py): written by us, read by itf-py, read back by us, and replayed against the spec."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import itf_py
import pytest

from irqspec.cli import main
from irqspec.front.frontend import load_system
from irqspec.ir import BOOL, BitsType, EnumType, IntType, MapType, RecordType, domain_values
from irqspec.itf_types import descriptor, param_descriptors, var_descriptors
from irqspec.pybackend.explore import explore
from irqspec.smt import bmc
from irqspec.smt.replay import first_bad_step
from irqspec.runtime.itf import (
    ITFError,
    read_itf,
    trace_from_itf,
    trace_to_itf,
    value_from_itf,
    value_to_itf,
    write_itf,
)
from irqspec.runtime.trace import Step, Trace

SPEC = Path(__file__).resolve().parent.parent / "spec"

CPU = IntType(0, 1, "Cpu")
STAGE = EnumType("Stage", ("Idle", "Running"))
EVENT = RecordType("Event", (("valid", BOOL), ("vector", IntType(0, 255))))
TYPES = {
    "irr": MapType(CPU, BitsType(256)),
    "stage": MapType(CPU, STAGE),
    "event": EVENT,
    "big": IntType(0, 1 << 70),
    "flag": BOOL,
}
VARS = {name: descriptor(t) for name, t in TYPES.items()}
PARAMS = {"send": {"dst": descriptor(CPU), "v": descriptor(IntType(16, 255))}}


def sample_trace() -> Trace:
    s0 = {"irr": (0, 0), "stage": ("Idle", "Idle"), "event": (False, 0), "big": 0, "flag": False}
    s1 = {"irr": (0, 1 << 255 | 1 << 32), "stage": ("Idle", "Running"), "event": (True, 32), "big": (1 << 70) - 3,
          "flag": True}
    return Trace((Step(None, {}, s0), Step("send", {"dst": 1, "v": 32}, s1)), "no_lost_ipi", {"c": 1, "v": 32})


def test_written_trace_loads_with_itf_py() -> None:
    doc = json.loads(json.dumps(trace_to_itf(sample_trace(), VARS, PARAMS)))
    loaded = itf_py.trace_from_json(doc)
    assert loaded.vars[:5] == list(VARS)
    last = loaded.states[1].values
    assert last["irr"][1] == frozenset({32, 255})  # bits as the set of set-bit indices
    assert last["stage"][1] == "Running"
    assert last["event"].valid is True and last["event"].vector == 32
    assert last["big"] == (1 << 70) - 3  # written as {"#bigint": ...}
    assert last["mbt::actionTaken"] == "send"
    assert last["mbt::nondetPicks"].v.value == 32  # {"tag": "Some", "value": 32}, a record of picks
    assert loaded.states[0].values["mbt::actionTaken"] == "init"
    assert loaded.meta["irqspec::violated"] == "no_lost_ipi"


def test_trace_round_trips_through_itf(tmp_path: Path) -> None:
    path = tmp_path / "t.itf.json"
    write_itf(path, sample_trace(), VARS, PARAMS, {"source": "test"})
    back = read_itf(path, VARS, PARAMS)
    assert back == sample_trace()
    assert json.loads(path.read_text())["#meta"]["source"] == "test"


def test_itf_py_written_values_read_back() -> None:
    """ITF as itf-py writes it (every integer a #bigint, sets and maps of its own) reads with our descriptors."""
    raw = itf_py.value_to_json(frozenset({3, 40}))
    assert value_from_itf(raw, ("bits", 64)) == (1 << 3) | (1 << 40)
    assert value_from_itf(itf_py.value_to_json(7), ("int",)) == 7
    assert value_from_itf(itf_py.value_to_json({0: True, 1: False}), ("map", (0, 1), ("bool",))) == (True, False)


def test_reading_rejects_values_that_do_not_fit_their_type() -> None:
    with pytest.raises(ITFError):
        value_from_itf({"#set": [300]}, ("bits", 256))
    with pytest.raises(ITFError):
        value_from_itf("Sleeping", descriptor(STAGE))
    with pytest.raises(ITFError):
        value_from_itf({"#map": [[0, 1]]}, ("map", (0, 1), ("int",)))
    assert value_to_itf(-5, ("int",)) == -5


def test_enum_members_read_as_quint_writes_them() -> None:
    """Quint writes a member of a sum type without payload as a variant (issue 13, item 3); a variant with a payload,
    or a tag that is no member, is not a value of the enum."""
    stage = descriptor(STAGE)
    assert value_from_itf({"tag": "Running", "value": {"#tup": []}}, stage) == "Running"
    assert value_from_itf({"tag": "Idle"}, stage) == "Idle"
    assert value_from_itf({"#map": [[0, {"tag": "Idle", "value": {"#tup": []}}], [1, "Running"]]},
                          descriptor(MapType(CPU, STAGE))) == ("Idle", "Running")
    with pytest.raises(ITFError, match="expected one of Idle, Running"):
        value_from_itf({"tag": "Running", "value": 3}, stage)
    with pytest.raises(ITFError, match="expected one of Idle, Running"):
        value_from_itf({"tag": "Sleeping", "value": {"#tup": []}}, stage)


@pytest.fixture(scope="module")
def virq_small():
    return load_system(SPEC / "svm_virq.irq", {"VECTORS": "32..33", "TPR_WRITES": "32..33"})


def test_bmc_trace_written_as_itf_replays_against_the_transition_relation(virq_small, tmp_path: Path) -> None:
    result = bmc.check(virq_small, max_depth=8)
    assert result.trace is not None
    path = tmp_path / "cex.itf.json"
    write_itf(path, result.trace, var_descriptors(virq_small), param_descriptors(virq_small))
    back = read_itf(path, var_descriptors(virq_small), param_descriptors(virq_small))
    assert back == result.trace
    assert first_bad_step(virq_small, back) is None


def test_tampered_trace_does_not_replay(virq_small) -> None:
    result = bmc.check(virq_small, max_depth=8)
    assert result.trace is not None
    steps = list(result.trace.steps)
    third = steps[3]
    flipped = tuple(not b for b in third.state["in_guest"])
    steps[3] = dataclasses.replace(third, state={**third.state, "in_guest": flipped})
    assert first_bad_step(virq_small, Trace(tuple(steps))) == 3
    wrong_action = list(result.trace.steps)
    wrong_action[1] = dataclasses.replace(wrong_action[1], action="iret")
    assert first_bad_step(virq_small, Trace(tuple(wrong_action))) == 1


def test_itf_document_shape(virq_small) -> None:
    result = bmc.check(virq_small, max_depth=8)
    assert result.trace is not None
    doc = trace_to_itf(result.trace, var_descriptors(virq_small), param_descriptors(virq_small))
    assert doc["vars"][-2:] == ["mbt::actionTaken", "mbt::nondetPicks"]
    assert [s["#meta"]["index"] for s in doc["states"]] == list(range(len(result.trace.steps)))
    assert trace_from_itf(doc, var_descriptors(virq_small), param_descriptors(virq_small)).witness == result.witness


def _itf_py_value(value, t):
    """An IR value as the Python value itf-py writes: a set of indices for bits, a dict for a map, an object for a
    record, a plain string for an enum member."""
    if isinstance(t, BitsType):
        return frozenset(i for i in range(t.width) if value >> i & 1)
    if isinstance(t, MapType):
        return {k: _itf_py_value(v, t.codomain) for k, v in zip(domain_values(t.domain), value)}
    if isinstance(t, RecordType):
        return SimpleNamespace(**{f: _itf_py_value(v, ft) for v, (f, ft) in zip(value, t.fields)})
    return value


def test_a_trace_itf_py_writes_without_action_names_replays(tmp_path, capsys):
    """A trace written by itf-py, the ecosystem's writer (every integer a #bigint, no mbt:: fields, as Apalache
    writes them): `irqspec replay` infers each step's action and reports the violation at its end."""
    spec = Path(__file__).resolve().parent.parent / "spec" / "svm_virq.irq"
    defines = {"VECTORS": "32..32", "CR8_MAX": "0", "TPR_WRITES": "0..0"}
    system = load_system(spec, defines)
    result = explore(system)
    assert result.status == "violated" and result.trace is not None
    types = {v.name: v.type for v in system.vars}
    states = [itf_py.State({}, {name: _itf_py_value(value, types[name]) for name, value in step.state.items()})
              for step in result.trace.steps]
    doc = itf_py.trace_to_json(itf_py.Trace({"source": "itf-py"}, [], list(types), states, None))
    path = tmp_path / "itfpy.itf.json"
    path.write_text(json.dumps(doc))
    assert '"#bigint"' in path.read_text() and "mbt::" not in path.read_text()
    args = ["replay", str(spec), str(path)] + [x for k, v in defines.items() for x in ("-D", f"{k}={v}")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"all {len(states) - 1} steps replay" in out and "violates no_lost_ipi" in out
    assert out.count("inferred") == len(states) - 1
