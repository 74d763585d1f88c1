"""examples/bhyve_svm/tracing.py and its maps: recording leaves the emulation as it was, records are plain JSON and
deterministic per seed, and svm_evtinj.map.toml reads every post-fix run back as its steps of svm_evtinj, one record
per step, each record's observations true of the spec's state (the hostonly map: the host's steps, with the guest's
and the CPU's hidden)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from examples.bhyve_svm import tracing
from examples.bhyve_svm.tracing import (Recorder, first_lost_ipi, load_model, losing_prefix_seeds, new_adapter,
                                        random_run, record_run, record_steps, write_ndjson)
from irqspec.runtime.conformance import check_implementation

PORT = Path(tracing.__file__).parent
SEEDS = range(4)
STEPS = 200


def load_map(name: str) -> dict[str, Any]:
    return tomllib.loads((PORT / name).read_text())


FULL = load_map("svm_evtinj.map.toml")
HOSTONLY = load_map("svm_evtinj_hostonly.map.toml")


# --------------------------------------------------------------- reading a map (the part of validate these need)


def rule_for(mapping: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The rule of `mapping` that `record` falls under, None when its kind is ignored; LookupError when none is."""
    kind = record["event"]
    if kind in mapping.get("ignore", []):
        return None
    if kind not in mapping["events"]:
        raise LookupError(f"no rule for record kind {kind}")
    rules = mapping["events"][kind]
    for rule in rules if isinstance(rules, list) else [rules]:
        if all(record.get(field) == value for field, value in rule.get("when", {}).items()):
            return rule
    raise LookupError(f"no rule of {kind} matches {record}")


def fill(template: Any, record: Mapping[str, Any]) -> Any:
    """"{field}" alone: the record field's value; other strings formatted with the record's fields."""
    if not isinstance(template, str):
        return template
    whole = re.fullmatch(r"\{(\w+)\}", template)
    return record[whole.group(1)] if whole else template.format(**record)


def as_json(value: Any, desc: tuple) -> Any:
    """A model value (IR representation) in the map's plain JSON: bits as set indices, records as objects, maps as
    lists over their domain."""
    kind = desc[0]
    if kind == "bits":
        return [i for i in range(desc[1]) if value >> i & 1]
    if kind == "record":
        return {name: as_json(v, d) for (name, d), v in zip(desc[1], value)}
    if kind == "map":
        return [as_json(v, desc[2]) for v in value]
    return value


def lookup(model: Any, s: Any, path: str) -> Any:
    """The value of a spec path (`name`, `name[key]`, `name[key].field`) in state `s`, in plain JSON."""
    name, key, field = re.fullmatch(r"(\w+)(?:\[(\w+)\])?(?:\.(\w+))?", path).groups()  # type: ignore[union-attr]
    desc = model.VAR_TYPES[name]
    value = as_json(getattr(s, name), desc)
    if key is not None:
        value = value[list(desc[1]).index(int(key))]
    return value[field] if field is not None else value


def read_back(mapping: Mapping[str, Any], model: Any, records: Iterable[Mapping[str, Any]],
              hidden: Iterable[tuple[str, dict[str, Any]]] = ()) -> list[tuple[str, dict[str, Any]]]:
    """The steps `records` stand for under `mapping`, each taken on the model as its record comes and every record's
    observations held against the model's state then. `hidden` gives, per recorded step, the internal steps taken
    just before it (what a validator would have to find): [(action, params)] lists keyed by step number."""
    hidden_before = dict(hidden)
    s = model.initial_state()
    steps: list[tuple[str, dict[str, Any]]] = []
    for record in records:
        rule = rule_for(mapping, record)
        if rule is None:
            continue
        if "action" in rule:
            for action, params in hidden_before.get(len(steps), []):
                s = model.step(s, action, params)
            params = {p: fill(v, record) for p, v in rule.get("params", {}).items()}
            info = model.ACTIONS[rule["action"]]
            assert info.enabled(s, *[params[p] for p, _ in info.params]), (rule["action"], params, record)
            s = model.step(s, rule["action"], params)
            steps.append((rule["action"], params))
        for path, value in rule.get("state", {}).items():
            assert lookup(model, s, fill(path, record)) == fill(value, record), (path, record)
    return steps


# ------------------------------------------------------------------------------------------------ recording


@pytest.mark.parametrize("variant", ["prefix", "postfix"])
def test_recording_changes_no_state_the_spec_observes(variant):
    model = load_model(variant)
    for seed in SEEDS:
        plain, traced = new_adapter(variant), new_adapter(variant)
        traced.machine.recorder = recorder = Recorder()
        s = model.initial_state()
        for i, (action, params) in enumerate(random_run(variant, seed, STEPS), start=1):
            getattr(plain, action)(**params)
            getattr(traced, action)(**params)
            s = model.step(s, action, params)
            assert traced.observe() == plain.observe(), (seed, i, action)
            check_implementation(model, i, action, s, traced)
        assert len(recorder.records) >= STEPS


def test_a_machine_without_a_recorder_records_nothing():
    adapter = new_adapter("postfix")
    assert adapter.machine.recorder is None
    adapter.vmrun(0)
    adapter.send_ipi(0, 1, 47)
    assert adapter.machine.recorder is None


@pytest.mark.parametrize("variant", ["prefix", "postfix"])
def test_records_are_deterministic_per_seed_and_plain_json(variant):
    records = record_run(variant, 7, STEPS)
    assert records == record_run(variant, 7, STEPS)
    assert records != record_run(variant, 8, STEPS)
    assert json.loads(json.dumps(records)) == records
    assert all(isinstance(r["event"], str) and isinstance(r["vcpu"], int) for r in records)
    assert {r["event"] for r in records} <= set(tracing.PROBES)


def test_a_send_ipi_record_carries_sender_target_vector_and_the_target_after():
    steps = record_steps("postfix", [("vmrun", {"c": 1}), ("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 1,
                                                                                               "v": 48})])
    icr = [r for r in steps[2] if r["event"] == "vlapic_icrlo_write_handler"]
    assert icr == [{"event": "vlapic_icrlo_write_handler", "vcpu": 0, "dest": 1, "vector": 48, "irr": [48],
                    "kicked": True}]
    assert [r["event"] for r in steps[2]] == ["vlapic_icrlo_write_handler", "svm_vmexit", "guest_send_ipi"]


def test_the_prefix_exit_records_the_late_accept():
    run = [("vmrun", {"c": 0}), ("send_ipi", {"src": 0, "dst": 0, "v": 47}), ("vmrun", {"c": 0}),
           ("take_virq", {"c": 0}), ("vmexit", {"c": 0})]
    steps = record_steps("prefix", run)
    assert [r["event"] for r in steps[3]] == ["cpu_take_virq"]
    assert [(r["event"], r.get("irr"), r.get("isr")) for r in steps[4]] == [
        ("vlapic_intr_accepted", [], [47]), ("svm_vmexit", [], [47])]


# --------------------------------------------------------------------------------------------------- the maps


@pytest.mark.parametrize("mapping", [FULL, HOSTONLY], ids=["full", "hostonly"])
def test_the_map_names_its_spec_actions_and_known_record_kinds(mapping):
    model = load_model("postfix")
    assert mapping["spec"] == model.SPEC == "svm_evtinj"
    kinds = set(mapping["events"]) | set(mapping["ignore"])
    assert kinds <= set(tracing.PROBES)
    assert not set(mapping["events"]) & set(mapping["ignore"])
    rules = [r for rs in mapping["events"].values() for r in (rs if isinstance(rs, list) else [rs])]
    mapped = {r["action"] for r in rules if "action" in r}
    assert mapped | set(mapping["internal"]) == set(model.ACTIONS)
    assert not mapped & set(mapping["internal"])


@pytest.mark.parametrize("mapping", [FULL, HOSTONLY], ids=["full", "hostonly"])
def test_every_record_kind_of_a_postfix_run_is_ignored_or_has_a_rule(mapping):
    seen = set()
    for seed in SEEDS:
        for record in record_run("postfix", seed, STEPS):
            rule_for(mapping, record)
            seen.add(record["event"])
    assert seen == set(tracing.PROBES) - {"cpu_take_virq"}, "the runs exercise every post-fix probe"


def test_each_step_of_a_postfix_run_is_one_mapped_record():
    model = load_model("postfix")
    for seed in SEEDS:
        run = random_run("postfix", seed, STEPS)
        per_step = record_steps("postfix", run)
        for (action, params), records in zip(run, per_step):
            rules = [rule_for(FULL, r) for r in records]
            stand_for = [(rule["action"], {p: fill(v, r) for p, v in rule.get("params", {}).items()})
                         for r, rule in zip(records, rules) if rule is not None and "action" in rule]
            assert stand_for == [(action, params)], records
        assert read_back(FULL, model, [r for records in per_step for r in records]) == run


def test_the_hostonly_map_reads_the_host_steps_with_the_guest_and_cpu_hidden():
    model = load_model("postfix")
    internal = set(HOSTONLY["internal"])
    longest = 0
    for seed in SEEDS:
        run = random_run("postfix", seed, STEPS)
        per_step = record_steps("postfix", run)
        host = [(a, p) for a, p in run if a not in internal]
        hidden: dict[int, list] = {}
        pending: list = []
        for action, params in run:
            if action in internal:
                pending.append((action, params))
            else:
                hidden[len(hidden)] = pending
                longest = max(longest, len(pending))
                pending = []
        for (action, params), records in zip(run, per_step):
            stand_for = [rule for rule in (rule_for(HOSTONLY, r) for r in records) if rule and "action" in rule]
            assert len(stand_for) == (action not in internal)
        assert read_back(HOSTONLY, model, [r for records in per_step for r in records], hidden.items()) == host
    assert longest > 0


# ------------------------------------------------------------------------------------------ traces of the bug


def test_losing_prefix_seeds_are_runs_that_lose_an_ipi():
    seeds = losing_prefix_seeds(2, STEPS)
    assert len(seeds) == 2
    assert all(first_lost_ipi(seed, STEPS) is not None for seed in seeds)
    assert all(first_lost_ipi(seed, STEPS) is None for seed in range(seeds[-1]) if seed not in seeds)
    assert any(r["event"] == "cpu_take_virq" for r in record_run("prefix", seeds[0], STEPS))


def test_a_prefix_trace_has_a_rule_for_every_record_but_is_no_run_of_svm_evtinj():
    records = record_run("prefix", losing_prefix_seeds(1, STEPS)[0], STEPS)
    for record in records:
        rule_for(FULL, record)
    with pytest.raises(AssertionError):
        read_back(FULL, load_model("postfix"), records)


# ---------------------------------------------------------------------------------------------------- output


def test_write_ndjson_round_trips_one_sorted_compact_object_per_line(tmp_path):
    records = record_run("postfix", 1, 50)
    path = tmp_path / "trace.ndjson"
    write_ndjson(records, path)
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == records
    assert lines == [json.dumps(r, sort_keys=True, separators=(",", ":")) for r in records]


def test_the_entry_point_writes_the_run_of_its_seed(tmp_path):
    path = tmp_path / "trace.ndjson"
    assert tracing.main(["--variant", "postfix", "--seed", "1", "--steps", "50", "-o", str(path)]) == 0
    assert [json.loads(line) for line in path.read_text().splitlines()] == record_run("postfix", 1, 50)
