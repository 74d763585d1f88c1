"""validate: is a recorded trace (NDJSON, ITF, trace-cmd/perf text) a behaviour of the spec?"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, OUT, UsageError, emit, load_spec

FORMATS = ("auto", "ndjson", "itf", "trace-cmd")


def _format(path: str, chosen: str) -> str:
    """The trace's format: as given, or by its name (.itf.json / .json: ITF, .ndjson / .jsonl: NDJSON), or by
    its first non-blank character (`{` over several lines: NDJSON; a `{"states"` document: ITF), else trace-cmd."""
    if chosen != "auto":
        return chosen
    name = path.lower()
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    if name.endswith(".json"):
        return "itf"
    try:
        head = Path(path).read_text(encoding="utf-8", errors="replace")[:4096].lstrip()
    except OSError:
        return "ndjson"  # the reader says what is wrong with the file
    return "ndjson" if head.startswith("{") else "trace-cmd"


def _events(args: argparse.Namespace, model, system):
    """The events of the trace file and the map (None without --map)."""
    from ..tracefiles import TraceFileError
    from ..tracefiles.ndjson import read_ndjson_file
    from ..tracefiles.tracecmd import read_tracecmd_file
    from ..validation.mapping import itf_events, mapped_events, read_map

    try:
        trace_map = read_map(args.map, model, system.module) if args.map else None
        fmt = _format(args.trace, args.format)
        if fmt == "itf":
            if trace_map is not None:
                raise UsageError("--map applies to NDJSON and trace-cmd records; an ITF trace is in spec terms")
            try:
                doc = json.loads(Path(args.trace).read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise UsageError(f"{args.trace}: no such file") from None
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
                raise UsageError(f"{args.trace}: not an ITF JSON document: {err}") from None
            if not isinstance(doc, dict):
                raise UsageError(f"{args.trace}: an ITF trace is a JSON object with 'states'")
            return itf_events(model, doc, args.trace), None, fmt
        if fmt == "trace-cmd":
            if trace_map is None:
                raise UsageError("a trace-cmd/perf trace needs --map: its tracepoints are not the spec's actions")
            records = read_tracecmd_file(args.trace)
        else:
            records = read_ndjson_file(args.trace, "event" if trace_map is not None else None)
        return mapped_events(model, records, trace_map), trace_map, fmt
    except TraceFileError as err:
        raise UsageError(str(err)) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from ..jsondoc import document, trace_data
    from ..pybackend.loadmodel import load_model
    from ..report import _source_text
    from ..validation import validate
    from ..validation.explain import explanation_lines

    front = load_spec(args)
    system = front.system
    model = load_model(system, "irqspec validate")
    read, trace_map, fmt = _events(args, model, system)
    if not read.events:
        raise UsageError(f"{args.trace}: no events (every record was ignored or the file is empty)")
    internal = tuple(args.internal) if args.internal else (trace_map.internal if trace_map else ())
    for a in internal:
        if a not in model.ACTIONS:
            raise UsageError(f"--internal {a}: {system.module} has no such action")
    max_hidden = args.max_hidden if args.max_hidden is not None else (trace_map.max_hidden if trace_map else 0)
    if max_hidden and not internal:
        raise UsageError("--max-hidden needs internal actions (--internal or the map's `internal`) to hide")
    sources = dict(front.sources)
    result = validate(system, model, read.events, internal, max_hidden, args.limit,
                      source_text=lambda span: _source_text(span, sources))
    code = {"consistent": EXIT_OK, "inconsistent": EXIT_VIOLATED}.get(result.verdict, EXIT_UNKNOWN)
    lines = explanation_lines(system, result.explanation, max_hidden) if result.explanation else []
    where = None
    if result.index is not None:
        record = read.records[result.index]
        where = {"event": result.index, "line": record.where.line, "kind": record.kind}
    if args.json:
        emit(document("validate", system, result.verdict, code, result.seconds, trace_file=args.trace, format=fmt,
                      events=result.events, skipped=read.skipped, max_hidden=max_hidden, internal=list(internal),
                      symbolic_events=result.symbolic, at=where, explanation=lines,
                      behaviour=trace_data(system, result.behaviour) if args.behaviour else None))
        return code
    rate = f"{result.events / result.seconds:,.0f} events/s" if result.seconds > 0 else ""
    via = f", {result.symbolic} of them with Z3" if result.symbolic else ""
    skipped = f" ({read.skipped} records ignored by the map)" if read.skipped else ""
    if result.verdict == "consistent":
        OUT.write(f"{args.trace}: consistent with {system.module}: all {result.events} events explained"
                  f"{skipped} in {result.seconds:.2f} s ({rate}{via})\n")
        if args.behaviour and result.behaviour is not None:
            from ..report import format_trace

            OUT.write(format_trace(system, result.behaviour) + "\n")
        return code
    assert where is not None
    record = read.records[result.index]
    if result.verdict == "unknown":
        OUT.write(f"UNKNOWN: {args.trace}: the solver gave no answer at event {result.index} "
                  f"({record.where})\n")
        return code
    ev = read.events[result.index]
    step = "/".join(ev.actions) if ev.actions else "an observation"
    if ev.params:
        step += "(" + ", ".join(f"{k}={v}" for k, v in ev.params.items()) + ")"
    OUT.write(f"{args.trace}: NOT consistent with {system.module}: event {result.index} ({record.where}: "
              f"{record.kind}, read as {step}) follows no behaviour of the spec that explains the events before it\n")
    for line in lines:
        OUT.write(f"  {line}\n")
    return code
