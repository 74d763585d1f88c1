"""The argument parser of every command, and the argument types."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__
from .common import MEMORY_HELP, nonnegative_float, nonnegative_int, positive, positive_int


def spec_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the spec (.irq)")
    p.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                   help="override a constant, e.g. -D NCPU=3 or -D VECTORS=16..255")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="another folder to look for imported modules in")




def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irqspec",
        description="Formal specs of interrupt delivery: parse and check them, find the shortest trace to a lost "
                    "interrupt with Z3, prove a fix, and generate Python models and pytest suites.")
    parser.add_argument("--version", action="version", version=f"irqspec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("parse", help="parse and check a spec; print a summary or the IR as JSON")
    spec_arguments(p)
    p.add_argument("--json", action="store_true", help="print the checked IR as JSON (docs/json.md)")
    p = sub.add_parser("check", help="bounded model checking: the shortest trace that violates an invariant")
    spec_arguments(p)
    p.add_argument("--inv", action="append", default=[], metavar="NAME", help="check only this invariant (repeatable)")
    p.add_argument("--max-depth", type=nonnegative_int, default=20, metavar="K",
                   help="longest trace to look for (default 20)")
    p.add_argument("--timeout", type=positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--memory", type=positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--itf", metavar="PATH", help="write the counterexample as an ITF JSON trace")
    p.add_argument("--html", metavar="PATH", help="write the counterexample as the page irqspec show makes "
                                                  "(docs/show.md)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p.add_argument("--full", action="store_true", help="show every variable of a counterexample's last state, "
                                                       "not only what changed")
    p.add_argument("--no-reduce", action="store_true",
                   help="decide every depth on the full vector domain, not on representative vectors, and leave "
                        "a symmetric witness free (docs/reduction.md)")
    p.add_argument("--deadlock", action="store_true",
                   help="also look for a reachable state where no action is enabled (on the full vector domain: "
                        "the reduction does not keep deadlocks; explore looks for them by default)")
    p = sub.add_parser("explore", help="explicit-state breadth-first search: the shortest violating run, or the "
                                       "number of reachable states and the diameter")
    spec_arguments(p)
    p.add_argument("--itf", metavar="PATH", help="write the counterexample as an ITF JSON trace")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p.add_argument("--full", action="store_true", help="show every variable of a counterexample's last state, "
                                                       "not only what changed")
    p.add_argument("--max-states", type=positive_int, default=None, metavar="N",
                   help="stop after N distinct states (exit 3)")
    p.add_argument("--max-depth", type=positive_int, default=None, metavar="K",
                   help="explore runs of at most K steps (exit 3 when states lie deeper)")
    p.add_argument("--memory", type=positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--symmetry", action="store_true",
                   help="keep one state per orbit under permutations of the vCPUs when they are a scalarset "
                        "(docs/reduction.md); prints both counts, and says why when the spec is not symmetric")
    p.add_argument("--no-deadlock", action="store_true",
                   help="do not report a reachable state where no action is enabled (by default it is a violation, "
                        "as in TLC: such a state stutters forever)")
    p = sub.add_parser("prove", help="unbounded proof of the invariants (induction, lemma inference, k-induction, "
                                     "Spacer)")
    spec_arguments(p)
    p.add_argument("--inv", action="append", default=[], metavar="NAME", help="prove only this invariant (repeatable)")
    p.add_argument("--engine", choices=["induction", "kind", "spacer", "infer", "auto"], default="auto",
                   help="proof engine; infer finds the lemmas itself (docs/infer.md); auto runs them as a portfolio "
                        "(default)")
    p.add_argument("--write-lemmas", metavar="FILE", type=Path, default=None,
                   help="with --engine infer: write the inferred lemmas to FILE, as spec source to paste or import")
    p.add_argument("--max-k", type=positive_int, default=10, metavar="K",
                   help="largest k for k-induction (default 10)")
    p.add_argument("--crosscheck", type=nonnegative_float, default=2.0, metavar="S",
                   help="after a proof, hold its certificate against the generated model's reachable states for up "
                        "to S seconds (default 2; 0: skip)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p.add_argument("--full", action="store_true", help="show every variable of a counterexample's last state, "
                                                       "not only what changed")
    p.add_argument("--timeout", type=positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--memory", type=positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the portfolio's engines (induction, k-induction, Spacer) as tasks on the Dask "
                        "scheduler at ADDRESS (tcp://host:8786): the first answer wins, the others are cancelled")
    p.add_argument("--connect-timeout", type=positive, default=10.0, metavar="S",
                   help="how long to wait for --scheduler to answer (default 10)")
    p = sub.add_parser("gen", help="generate the Python reference model and pytest suites of a spec")
    spec_arguments(p)
    p.add_argument("-o", dest="output", default="generated_tests", metavar="DIR",
                   help="where to write the model and the suites (default generated_tests)")
    p.add_argument("--max-depth", type=nonnegative_int, default=20, metavar="K",
                   help="longest trace to look for when finding counterexamples and covering paths (default 20)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (docs/json.md)")
    p.add_argument("--timeout", type=positive, default=None, metavar="S", help="bound on each solver question")
    p.add_argument("--memory", type=positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--property-examples", type=positive_int, default=None, metavar="N",
                   help="random runs of the property test (default 30; IRQSPEC_PROPERTY_EXAMPLES overrides at run time)")
    p.add_argument("--property-steps", type=positive_int, default=None, metavar="N",
                   help="steps per random run (default 20; IRQSPEC_PROPERTY_STEPS overrides at run time)")
    p.add_argument("--atomic", action="append", default=[], metavar="A+B",
                   help="an atomic step of the implementation (the adapter's `atomic`): actions A then B taken as "
                        "one step; tests then use runs it can execute where one exists (repeatable)")
    p.add_argument("--kill-mutants", action="store_true",
                   help="hold the spec's mutants (as irqspec mutate makes them) against the suite, and add a test "
                        "for each one it does not kill that a run tells apart (test_<module>_mutants.py)")
    p = sub.add_parser("mutate", help="mutants of the spec: each killed by the generated suite, proved equivalent, "
                                      "or shown with the shortest run that tells it apart")
    spec_arguments(p)
    p.add_argument("--max-depth", type=nonnegative_int, default=10, metavar="K",
                   help="the depth the suite is generated with (default 10)")
    p.add_argument("--limit", type=positive_int, default=400, metavar="N", help="at most N mutants (default 400)")
    p.add_argument("--proof-timeout", type=positive, default=60.0, metavar="S",
                   help="bound on each equivalence proof (default 60)")
    p.add_argument("--timeout", type=positive, default=None, metavar="S",
                   help="bound on the whole command (exit 3)")
    p.add_argument("--all", action="store_true", help="list killed and equivalent mutants too")
    p.add_argument("--without-mutant-tests", action="store_true",
                   help="hold the mutants against the suite gen writes without --kill-mutants (by default the "
                        "suite includes its mutant tests, as gen --kill-mutants writes it)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (docs/json.md)")
    p = sub.add_parser("sweep", help="one engine at every point of a grid of constants, each point a task on Dask "
                                     "(a LocalCluster by default)")
    spec_arguments(p)
    p.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="an axis of the grid (repeatable): NCPU=2..8 is 7 points, VECTORS=16..255,32..33 two sets "
                        "(separate sets that have commas of their own with ';')")
    p.add_argument("--engine", choices=["check", "prove", "explore"], default="check",
                   help="what to run at each point (default check: the shortest counterexample)")
    p.add_argument("--inv", action="append", default=[], metavar="NAME", help="only this invariant (repeatable)")
    p.add_argument("--max-depth", type=nonnegative_int, default=None, metavar="K",
                   help="check: longest trace to look for (default 20); explore: longest run")
    p.add_argument("--max-states", type=positive_int, default=None, metavar="N",
                   help="explore: stop a point after N distinct states (it is then unknown)")
    p.add_argument("--point-timeout", type=positive, default=None, metavar="S",
                   help="give each point S seconds; a point that runs out is unknown")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="workers of the LocalCluster (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask scheduler at ADDRESS (tcp://host:8786) instead of a LocalCluster; its "
                        "workers need irqspec and the spec at the same path")
    p.add_argument("--connect-timeout", type=positive, default=10.0, metavar="S",
                   help="how long to wait for --scheduler to answer (default 10)")
    p.add_argument("--serial", action="store_true", help="run the points here, one after another, without Dask")
    p.add_argument("--csv", metavar="PATH", help="also write the table as CSV")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p = sub.add_parser("export", help="write the spec as a TLA+ module with its TLC configuration, or as a Quint "
                                      "module (docs/export.md)")
    spec_arguments(p)
    language = p.add_mutually_exclusive_group()
    language.add_argument("--tla", dest="language", action="store_const", const="tla", default="tla",
                          help="a TLA+ module NAME.tla and a TLC configuration NAME.cfg (the default)")
    language.add_argument("--quint", dest="language", action="store_const", const="quint",
                          help="a Quint module NAME.qnt (quint typecheck / quint run)")
    p.add_argument("-o", dest="output", required=True, metavar="DIR", help="the folder to write into")
    p.add_argument("--no-deadlock", action="store_true",
                   help="the configuration does not check deadlock (CHECK_DEADLOCK FALSE), as explore --no-deadlock")
    p = sub.add_parser("replay", help="replay an ITF trace on the spec's reference model; report the first mismatch")
    spec_arguments(p)
    p.add_argument("trace", help="an ITF JSON trace (from irqspec check --itf, Quint or Apalache)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p = sub.add_parser("show", help="an ITF trace as a page people read: a lane per vCPU, a column per step, "
                                    "registers as they change (docs/show.md)")
    p.add_argument("trace", help="an ITF JSON trace (from irqspec check --itf, Quint or Apalache)")
    p.add_argument("--spec", metavar="SPEC", default=None,
                   help="the spec the trace is of (.irq): its types, doc comments and why the property fails; "
                        "without it the lanes and types are read from the values")
    p.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                   help="with --spec: override a constant, e.g. -D NCPU=3 or -D VECTORS=16..255")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="with --spec: another folder to look for imported modules in")
    p.add_argument("-o", dest="output", required=True, metavar="OUT",
                   help="the file to write (OUT.html, or OUT.svg with --svg; - for stdout)")
    p.add_argument("--svg", action="store_true", help="write an SVG picture instead of an HTML page")
    p = sub.add_parser("validate", help="is a recorded trace (NDJSON, ITF, trace-cmd/perf text) a behaviour of the "
                                        "spec? the first event none explains, and why (docs/validate.md)")
    spec_arguments(p)
    p.add_argument("trace", help="the recorded trace")
    p.add_argument("--map", metavar="MAP", help="a TOML map from the trace's records to the spec's actions and "
                                                "variables (needed for trace-cmd text and non-native NDJSON)")
    p.add_argument("--format", choices=("auto", "ndjson", "itf", "trace-cmd"), default="auto",
                   help="the trace's format (default: from its name and first line)")
    p.add_argument("--max-hidden", "-k", type=nonnegative_int, default=None, metavar="K",
                   help="unrecorded steps of internal actions allowed before each event (default: the map's, or 0)")
    p.add_argument("--internal", action="append", default=[], metavar="ACTION",
                   help="an action that may happen unrecorded (repeatable; default: the map's `internal`)")
    p.add_argument("--limit", type=positive_int, default=100_000, metavar="N",
                   help="states kept explicitly before the check goes on with Z3 (default 100000)")
    p.add_argument("--behaviour", action="store_true", help="print the behaviour found (with --json: include it)")
    p.add_argument("--timeout", type=positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p = sub.add_parser("lsp", help="the language server for .irq files: diagnostics as you type, hover, go to "
                                   "definition, completion (docs/lsp.md)")
    p.add_argument("--stdio", action="store_true", default=True,
                   help="talk to the editor on stdin and stdout (the default, and the only channel)")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="another folder to look for imported modules in")
    return parser
