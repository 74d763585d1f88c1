"""NDJSON traces, irqspec's native format: one JSON object per line, blank lines and `#` comment lines skipped.

Without a map, each line is an event in spec terms:

    {"action": "send_ipi", "params": {"src": 0, "dst": 1, "v": 48}, "state": {"irr[1]": [48]}}
    {"actions": ["vmexit", "send_ipi"], "state": {"in_guest[0]": false}}
    {"state": {"kicked[1]": true}}

With a map (generator/validation/mapping.py), a line is any object, and its `event` field names its kind (how a
recorder or a dtrace script writes it: `{"event": "vlapic_icrlo_write_handler", "vcpu": 0, "dest": 1, ...}`).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..front.diagnostics import Span
from . import Record, TraceFileError

NATIVE_KIND = "action"


def read_ndjson(text: str, file: str, kind_field: str | None = "event") -> list[Record]:
    """The records of an NDJSON text. A record's kind is its `kind_field` value (when the field is present and a
    string), else "action" (a native event)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        column = len(line) - len(line.lstrip()) + 1
        where = Span(file, number, column)
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise TraceFileError(f"expected one JSON object per line: {err.msg}",
                                 Span(file, number, column + err.colno - 1)) from None
        except RecursionError:
            raise TraceFileError("JSON nested too deeply to be an event", where) from None
        if not isinstance(value, dict):
            raise TraceFileError(f"expected a JSON object, found {type(value).__name__}", where)
        kind = value.get(kind_field) if kind_field else None
        out.append(Record(kind if isinstance(kind, str) else NATIVE_KIND, value, where))
    return out


def read_ndjson_file(path: str | Path, kind_field: str | None = "event") -> list[Record]:
    """The records of an NDJSON file (UTF-8)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceFileError("no such file", Span(str(path), 0, 0)) from None
    except IsADirectoryError:
        raise TraceFileError("is a folder, not a trace file", Span(str(path), 0, 0)) from None
    except UnicodeDecodeError as err:
        raise TraceFileError(f"not UTF-8 text (byte {err.start})", Span(str(path), 0, 0)) from None
    except OSError as err:
        raise TraceFileError(f"cannot read: {err.strerror}", Span(str(path), 0, 0)) from None
    return read_ndjson(text, str(path), kind_field)
