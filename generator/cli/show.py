"""show: an ITF trace as a page people read (HTML, or SVG with --svg); check --html writes its counterexample so."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import EXIT_OK, OUT, UsageError, load_spec, writable
from .traces import _read_json


def _write(path: str, text: str, what: str) -> None:
    if path == "-":
        OUT.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot write the {what}: {err.strerror}") from None


def cmd_show(args: argparse.Namespace) -> int:
    from ..show import ShowError, render, sheet_of_itf

    if args.spec is None and (args.define or args.include):
        raise UsageError("-D and -I name constants and folders of a spec: they need --spec SPEC")
    if args.output != "-":
        writable(args.output, "-o")
    doc = _read_json(args.trace)
    system, sources = None, None
    if args.spec is not None:
        front = load_spec(argparse.Namespace(file=args.spec, define=args.define, include=args.include))
        system, sources = front.system, front.sources
    try:
        sheet = sheet_of_itf(doc, args.trace, system, args.spec or "", sources)
    except ShowError as err:
        raise UsageError(str(err)) from None
    kind = "SVG picture" if args.svg else "page"
    _write(args.output, render(sheet, svg=args.svg), kind)
    if args.output != "-":  # with -o - stdout holds the page alone
        lanes = sheet.cpu_lanes
        verdict = f"; {sheet.verdict.name} violated" if sheet.verdict is not None else ""
        loop = f"; the loop from step {sheet.loop}" if sheet.loop is not None else ""
        steps = len(sheet.columns) - 1
        OUT.write(f"{args.output}: {steps} step{'s' if steps != 1 else ''} on {lanes} vCPU "
                  f"lane{'s' if lanes != 1 else ''}{verdict}{loop} ({kind})\n")
    return EXIT_OK


def write_html_file(path: str, front, trace) -> None:
    """check --html: the counterexample `trace` of `front`'s spec as the page `show` writes."""
    from ..show import render_html, sheet_of_trace

    _write(path, render_html(sheet_of_trace(front.system, trace, front.system.file, front.sources)), "page")
