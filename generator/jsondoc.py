"""Results -> the JSON documents every command prints with `--json` (schema: docs/json.md,
docs/irqspec-result.schema.json).

Every document has the same envelope: the schema version, the command, the spec (file, module, constants), the
status, the exit code the command returns, the elapsed time; then what the command found. Values of the spec (states,
action parameters, witnesses) are written as ITF writes them, driven by their type (`irqspec.runtime.itf`): one encoding per
type, whatever the magnitude (a bits[N] value is always {"#set": [...]}, an integer a number or, beyond 2**53,
{"#bigint": "..."}). Deterministic: keys in a fixed order, no timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from irqspec.runtime.itf import value_to_itf
from irqspec.runtime.trace import Trace

from . import ir
from .itf_types import descriptor

SCHEMA_VERSION = 1


def integer(n: int) -> Any:
    """An integer as ITF writes it: a JSON number inside JavaScript's safe range, else {"#bigint": "..."}."""
    return value_to_itf(n, ("int",))


def _constant(value: object) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return integer(value)
    runs = ir.constant_runs(value)
    if runs is not None:  # a range constant as {"lo", "hi"}; any other set as the list of its runs
        shown = [{"lo": integer(lo), "hi": integer(hi)} for lo, hi in runs]
        return shown[0] if len(shown) == 1 else shown
    return str(value)


def spec_data(system: ir.System) -> dict[str, Any]:
    return {"file": system.file, "module": system.module,
            "constants": {c.name: _constant(c.value) for c in system.constants}}


def state_data(system: ir.System, state: Mapping[str, object]) -> dict[str, Any]:
    return {v.name: value_to_itf(state[v.name], descriptor(v.type)) for v in system.vars if v.name in state}


def params_data(system: ir.System, action: str | None, params: Mapping[str, object]) -> dict[str, Any]:
    if action is None:
        return {}
    types = {p.name: p.type for p in system.action(action).params}
    return {name: value_to_itf(value, descriptor(types[name])) if name in types else str(value)
            for name, value in params.items()}


def witness_data(system: ir.System, prop: str | None, witness: Mapping[str, object]) -> dict[str, Any]:
    """The values of the quantified variables for which `prop` fails (typed by their quantifier's domain)."""
    domains: dict[str, ir.Type] = {}
    expr = next((p.expr for p in (*system.invariants, *system.lemmas) if p.name == prop), None)
    while isinstance(expr, ir.Quant) and expr.kind == "forall":
        domains[expr.name] = expr.domain
        expr = expr.body
    for live in system.liveness:
        if live.name == prop:
            domains = {b.name: b.type for b in live.binders}
    out: dict[str, Any] = {}
    for name, value in witness.items():
        if name in domains:
            out[name] = value_to_itf(value, descriptor(domains[name]))
        elif isinstance(value, bool) or value is None:
            out[name] = value
        elif isinstance(value, int):
            out[name] = integer(value)
        elif isinstance(value, dict):  # a range witness: the action, its parameters, the variable, the value
            out[name] = {k: integer(v) if isinstance(v, int) and not isinstance(v, bool) else v
                         for k, v in value.items()}
        else:
            out[name] = str(value)
    return out


def trace_data(system: ir.System, trace: Trace | None) -> list[dict[str, Any]] | None:
    if trace is None:
        return None
    return [{"action": st.action, "params": params_data(system, st.action, st.params),
             "state": state_data(system, st.state)} for st in trace.steps]


def document(command: str, system: ir.System | None, status: str, exit_code: int, elapsed: float | None,
             **fields: Any) -> dict[str, Any]:
    """The envelope every command's --json shares, then the command's own fields."""
    out: dict[str, Any] = {"irqspec_json": SCHEMA_VERSION, "command": command,
                           "spec": spec_data(system) if system is not None else None,
                           "status": status, "exit_code": exit_code,
                           "elapsed": None if elapsed is None else round(elapsed, 3)}
    out.update(fields)
    return out


def dumps(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


__all__ = ["SCHEMA_VERSION", "document", "dumps", "integer", "params_data", "spec_data", "state_data", "trace_data",
           "witness_data"]
