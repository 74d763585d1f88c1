"""Trace files as records: one reader per format, shared by every consumer of recorded traces (validate, replay).

A reader turns a file into `Record`s: what one line (or one state) of the file says, in plain JSON-like values
(ints, strings, booleans, lists, dicts), with the position it came from. Readers know formats, not specs: mapping
records onto a spec's actions and variables is `generator.validation.mapping`'s job.

- `ndjson`: one JSON object per line, irqspec's native trace format;
- `tracecmd`: the text `trace-cmd report` and `perf script` print for KVM's tracepoints;
- ITF documents are read by `irqspec.runtime.itf` (they carry whole states, typed by the spec).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..front.diagnostics import Span


@dataclass(frozen=True)
class Record:
    """One event of a trace file: its kind (a tracepoint's or probe's name; for native NDJSON events "action"),
    its fields as plain values, and where in the file it was read (line and column of its start)."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    where: Span = Span("<trace>", 0, 0)


class TraceFileError(ValueError):
    """A trace file that does not follow its format: the message names what was expected, `where` the position."""

    def __init__(self, message: str, where: Span):
        super().__init__(f"{where}: {message}")
        self.message = message
        self.where = where
