"""The `irqspec` command: the only place that reads argv, prints, and picks exit codes.

Exit codes: 0 success (no violation, proved), 1 a property is violated or refuted, 2 usage or spec error,
3 unknown (timeout, solver gave up), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .diagnostics import SpecError
from .frontend import Frontend, load

EXIT_OK, EXIT_VIOLATED, EXIT_ERROR, EXIT_UNKNOWN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """A command line that names something that does not exist (an invariant, an engine option)."""


def _defines(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"-D takes NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _load(args: argparse.Namespace) -> Frontend:
    return load(Path(args.file), _defines(args.define), tuple(Path(p) for p in args.include))


def cmd_parse(args: argparse.Namespace) -> int:
    from .jsonir import system_json
    from .summary import summary

    front = _load(args)
    sys.stdout.write(system_json(front.system) if args.json else summary(front.system))
    return EXIT_OK


def _spec_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the spec (.irq)")
    p.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                   help="override a constant, e.g. -D NCPU=3 or -D VECTORS=16..255")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="another folder to look for imported modules in")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"parse": cmd_parse}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irqspec",
        description="Formal specs of interrupt delivery: parse and check them, find the shortest trace to a lost "
                    "interrupt with Z3, prove a fix, and generate Python models and pytest suites.")
    parser.add_argument("--version", action="version", version=f"irqspec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("parse", help="parse and check a spec; print a summary or the IR as JSON")
    _spec_arguments(p)
    p.add_argument("--json", action="store_true", help="print the checked IR as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SpecError as err:
        sys.stderr.write(err.render() + "\n")
        count = len(err.diagnostics)
        sys.stderr.write(f"{count} error{'s' if count != 1 else ''}\n")
        return EXIT_ERROR
    except UsageError as err:
        sys.stderr.write(f"irqspec: error: {err}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("irqspec: interrupted\n")
        return EXIT_INTERRUPTED


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
