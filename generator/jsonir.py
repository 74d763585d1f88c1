"""IR -> JSON: a faithful, deterministic dump of the checked transition system (`irqspec parse --json`).

Every IR node becomes an object whose "node" key names its class and whose other keys are its fields in declaration
order (a field whose metadata has "omit_if" is left out when it has that value: IntType.runs of a range); positions
become "file:line:col" strings. Two runs on the same input give the same bytes.
"""

from __future__ import annotations

import dataclasses
import json

from .front.diagnostics import Span
from .ir import System


def to_data(value: object) -> object:
    """Plain JSON data for an IR value."""
    if isinstance(value, Span):
        return str(value) if value.line else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, object] = {"node": type(value).__name__}
        for f in dataclasses.fields(value):
            field_value = getattr(value, f.name)
            if "omit_if" in f.metadata and field_value == f.metadata["omit_if"]:
                continue  # a field added to a node later, left out where it is unused, so older IR reads the same
            out[f.name] = to_data(field_value)
        return out
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, int):
        # JSON readers in other languages lose precision past 2**53: large values (bits[256]) are written as ITF
        # writes them, {"#bigint": "..."}, never as a bare string that could be mistaken for a name
        return value if abs(value) < (1 << 53) else {"#bigint": str(value)}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def system_json(system: System) -> str:
    return json.dumps(to_data(system), indent=1, ensure_ascii=False) + "\n"
