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


class _LiveLine:
    """The progress line on a terminal: rewritten in place, cleared before the result is printed."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False
        self.depth = -1  # the deepest depth found clean so far (reported when interrupted)
        self.elapsed = 0.0

    def __call__(self, depth: int, elapsed: float) -> None:
        self.depth, self.elapsed = depth, elapsed
        if self.enabled:
            sys.stderr.write(f"\r  depth {depth} clean, {elapsed:.1f} s ")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 40 + "\r")
            sys.stderr.flush()


def _run_with_memory_limit(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """--memory MB: run the command in a child process whose address space may grow by at most MB beyond what it
    holds now. Z3 running out of memory can abort the process (its C++ out-of-memory error is not always turned into
    an answer), so the limit is enforced and observed from outside: a child that dies of it is an "unknown" (exit 3),
    never a verdict."""
    import os
    import resource
    import signal

    import z3  # noqa: F401 - loaded before the limit is measured: mapping the solver library is not the solving

    sys.stdout.flush()
    sys.stderr.flush()
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * page
    pid = os.fork()
    if pid == 0:  # the child: limit itself, run the command, leave with its exit code
        code = EXIT_UNKNOWN
        try:
            limit = current + int(args.memory * (1 << 20))
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            code = fn(args)
        except MemoryError:
            code = 100
        except SpecError as err:
            sys.stderr.write(err.render() + "\n")
            code = EXIT_ERROR
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except KeyboardInterrupt:
            os.kill(pid, signal.SIGINT)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) != 100:
        return os.WEXITSTATUS(status)
    how = "ran out of memory" if os.WIFEXITED(status) else f"was ended by signal {os.WTERMSIG(status)}"
    sys.stdout.write(f"UNKNOWN: the solving process {how} under --memory {args.memory:g} MB\n")
    return EXIT_UNKNOWN


def _peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _z3_interrupted(reason: str) -> bool:
    """Z3 catches Ctrl-C itself and answers "unknown" with this reason: that is the user stopping us, not a result."""
    return "interrupted from keyboard" in reason or "canceled" in reason


def _solver_errors(fn: Callable[[], object]) -> object:
    from .smt.system import UnknownProperty

    try:
        return fn()
    except UnknownProperty as err:
        raise UsageError(str(err.args[0]) if err.args else "unknown property") from None


def cmd_check(args: argparse.Namespace) -> int:
    from .report import format_trace, format_witness
    from .smt.bmc import check

    front = _load(args)
    system = front.system
    live = _LiveLine(sys.stderr.isatty() and not args.json)
    try:
        result = _solver_errors(lambda: check(system, args.inv or None, max_depth=args.max_depth,
                                              timeout=args.timeout, progress=live))
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: no violation up to depth {live.depth} ({live.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    if result.status == "unknown" and _z3_interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted: no violation up to depth {result.depth_reached} "
                         f"({result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    if args.itf and result.trace is not None:
        from runtime.itf import write_itf
        from .itf_types import param_descriptors, var_descriptors

        write_itf(args.itf, result.trace, var_descriptors(system), param_descriptors(system),
                  {"source": system.file, "irqspec::module": system.module})
    if args.json:
        from .jsonir import to_data

        out = {"status": result.status, "depth": result.depth_reached, "invariant": result.invariant,
               "witness": to_data(result.witness), "reason": result.reason, "elapsed": round(result.elapsed, 3),
               "trace": None if result.trace is None else [
                   {"action": st.action, "params": to_data(st.params), "state": to_data(st.state)}
                   for st in result.trace.steps]}
        import json

        sys.stdout.write(json.dumps(out, indent=1) + "\n")
    elif result.status == "violated":
        assert result.trace is not None
        sys.stdout.write(format_trace(system, result.trace) + "\n")
        where = f" for {format_witness(result.witness)}" if result.witness else ""
        sys.stdout.write(f"VIOLATED: {result.invariant}{where}, after {result.depth_reached} steps "
                         f"({result.elapsed:.2f} s)\n")
        if args.itf:
            sys.stdout.write(f"trace written to {args.itf} (ITF)\n")
    elif result.status == "holds":
        sys.stdout.write(f"no violation up to depth {result.depth_reached} ({result.elapsed:.2f} s)\n")
    else:
        sys.stdout.write(f"UNKNOWN after depth {result.depth_reached}: {result.reason}\n")
    return {"violated": EXIT_VIOLATED, "holds": EXIT_OK}.get(result.status, EXIT_UNKNOWN)


def cmd_prove(args: argparse.Namespace) -> int:
    from .report import format_certificate, format_params, format_trace, format_witness
    from .smt.prove import prove

    system = _load(args).system
    result = _solver_errors(lambda: prove(system, args.inv or None, engine=args.engine, timeout=args.timeout,
                                          max_k=args.max_k))
    if result.status == "proved":
        cert = result.certificate
        sys.stdout.write(f"PROVED by {result.engine} ({result.elapsed:.2f} s), unbounded\n")
        if cert is not None:
            sys.stdout.write(f"certificate ({cert.engine}, k = {cert.k}; re-checked by three independent queries:"
                             f" init => C, C and step => C', C => property):\n")
            sys.stdout.write("\n".join("  " + line for line in format_certificate(cert.text).splitlines()) + "\n")
        return EXIT_OK
    if result.status == "refuted":
        sys.stdout.write(f"REFUTED by {result.engine}: {result.invariant}\n")
        if result.trace is not None:
            sys.stdout.write(format_trace(system, result.trace) + "\n")
            if result.trace.witness:
                sys.stdout.write(f"violated for {format_witness(result.trace.witness)}\n")
        return EXIT_VIOLATED
    if _z3_interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted ({result.engine}, {result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    sys.stdout.write(f"UNKNOWN ({result.engine}): {result.reason}\n")
    cti = result.cti
    if cti is not None:
        from .report import changes, format_value

        types = {v.name: v.type for v in system.vars}
        sys.stdout.write(f"counterexample to induction: {cti.broken} breaks"
                         f"{' for ' + format_witness(cti.witness) if cti.witness else ''}\n  pre-state:\n")
        for v in system.vars:
            sys.stdout.write(f"    {v.name} = {format_value(cti.pre[v.name], v.type)}\n")
        if cti.action is not None and cti.post is not None:
            sys.stdout.write(f"  step: {format_params(cti.params, system, cti.action)}\n  changes:\n")
            for v in system.vars:
                for line in changes(v.name, cti.pre[v.name], cti.post[v.name], types[v.name]):
                    sys.stdout.write(f"    {line}\n")
        sys.stdout.write("  (add a lemma that rules out the pre-state, or try --engine spacer)\n")
    return EXIT_UNKNOWN


def cmd_replay(args: argparse.Namespace) -> int:
    import json

    from runtime.conformance import Divergence, replay
    from runtime.itf import ITFError
    from .loadmodel import load_model

    system = _load(args).system
    model = load_model(system, "irqspec replay")
    try:
        doc = json.loads(Path(args.trace).read_text(encoding="utf-8"))
        trace = model.trace_from_itf(doc)
    except FileNotFoundError:
        raise UsageError(f"{args.trace}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{args.trace}: not a JSON file: {err}") from None
    except (ITFError, KeyError, TypeError, ValueError) as err:
        raise UsageError(f"{args.trace}: not an ITF trace of {system.module}'s variables: {err}") from None
    if not trace.steps:
        raise UsageError(f"{args.trace}: the trace has no states")
    try:
        replay(model, [(st.action, st.params, st.state) for st in trace.steps])
    except Divergence as div:
        sys.stdout.write(f"{args.trace}: {div}\n")
        return EXIT_VIOLATED
    except ValueError as err:
        raise UsageError(f"{args.trace}: {err}") from None
    violated = model.violated_invariants(model.state_from_dict(trace.steps[-1].state))
    sys.stdout.write(f"{args.trace}: all {len(trace.steps) - 1} steps replay on the model of {system.module}\n")
    for name, witness in violated:
        sys.stdout.write(f"  the last state violates {name} for {witness}\n")
    return EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    from .explore import ExploreInterrupted, explore
    from .report import format_trace, format_witness

    system = _load(args).system
    live = _ExploreLine(sys.stderr.isatty())
    try:
        limit = args.memory
        result = explore(system, max_states=args.max_states, max_depth=args.max_depth, progress=live,
                         should_stop=(lambda: _peak_memory_mb() > limit) if limit else None)
    except ExploreInterrupted as stop:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted after {stop.states} distinct states, depth {stop.depth} "
                         f"({stop.elapsed:.2f} s)\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    rate = f"{result.states_per_second:,.0f} states/s"
    if result.status == "violated":
        assert result.trace is not None
        sys.stdout.write(format_trace(system, result.trace) + "\n")
        where = f" for {format_witness(result.witness)}" if result.witness else ""
        sys.stdout.write(f"VIOLATED: {result.invariant}{where}, after {len(result.trace) - 1} steps "
                         f"({result.states} distinct states, {result.elapsed:.2f} s, {rate})\n")
        return EXIT_VIOLATED
    if result.status == "holds":
        sys.stdout.write(f"no violation: {result.states} distinct states, diameter {result.diameter} "
                         f"({result.elapsed:.2f} s, {rate})\n")
        return EXIT_OK
    sys.stdout.write(f"INCOMPLETE: {result.reason}; no violation in {result.states} distinct states up to depth "
                     f"{result.diameter} ({result.elapsed:.2f} s, {rate})\n")
    return EXIT_UNKNOWN


class _ExploreLine(_LiveLine):
    """The explorer's progress line: states found, states queued, states per second."""

    def __call__(self, states: int, queue: int, depth: int, elapsed: float) -> None:  # type: ignore[override]
        if self.enabled:
            rate = states / elapsed if elapsed else 0.0
            sys.stderr.write(f"\r  {states:,} states, {queue:,} queued, depth {depth}, {rate:,.0f} states/s ")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 72 + "\r")
            sys.stderr.flush()
            self.shown = False


def gen_command_text(args: argparse.Namespace) -> str:
    """The command that the generated files' headers name: the spec and the options that shape the output (not -o,
    so that a regeneration into another folder gives the same bytes)."""
    parts = ["irqspec", "gen", Path(args.file).as_posix()]
    for pair in args.define:
        parts += ["-D", pair]
    for folder in args.include:
        parts += ["-I", folder]
    parts += ["--max-depth", str(args.max_depth)]
    return " ".join(parts)


def cmd_gen(args: argparse.Namespace) -> int:
    from .suites import generate_all

    out = Path(args.output)
    result = generate_all(Path(args.file), _defines(args.define), gen_command_text(args), max_depth=args.max_depth,
                          timeout=args.timeout)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in result.files.items():
        (out / name).write_text(text, encoding="utf-8")
    report = result.report
    sys.stdout.write(f"{report.module}: wrote {len(result.files)} files to {out} ({report.seconds:.1f} s)\n")
    for name, count in report.counts.items():
        sys.stdout.write(f"  {name}: {count} test{'s' if count != 1 else ''}\n")
    if report.violated:
        sys.stdout.write(f"  counterexample tests for: {', '.join(report.violated)}\n")
    if report.holding:
        sys.stdout.write(f"  no violation within depth {report.max_depth}: {', '.join(report.holding)}\n")
    for line in report.dead:
        sys.stdout.write(f"  dead code? {line}\n")
    for line in report.unknown:
        sys.stdout.write(f"  UNKNOWN: {line}\n")
    return EXIT_UNKNOWN if report.unknown else EXIT_OK


def _spec_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the spec (.irq)")
    p.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                   help="override a constant, e.g. -D NCPU=3 or -D VECTORS=16..255")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="another folder to look for imported modules in")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"parse": cmd_parse, "check": cmd_check,
                                                             "prove": cmd_prove, "explore": cmd_explore,
                                                             "replay": cmd_replay, "gen": cmd_gen}


MEMORY_HELP = "memory limit in MB: past it the answer is unknown (exit 3), never a verdict"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


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
    p = sub.add_parser("check", help="bounded model checking: the shortest trace that violates an invariant")
    _spec_arguments(p)
    p.add_argument("--inv", action="append", default=[], metavar="NAME", help="check only this invariant (repeatable)")
    p.add_argument("--max-depth", type=int, default=20, metavar="K", help="longest trace to look for (default 20)")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--itf", metavar="PATH", help="write the counterexample as an ITF JSON trace")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p = sub.add_parser("explore", help="explicit-state breadth-first search: the shortest violating run, or the "
                                       "number of reachable states and the diameter")
    _spec_arguments(p)
    p.add_argument("--max-states", type=_positive_int, default=None, metavar="N",
                   help="stop after N distinct states (exit 3)")
    p.add_argument("--max-depth", type=_positive_int, default=None, metavar="K",
                   help="explore runs of at most K steps (exit 3 when states lie deeper)")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p = sub.add_parser("prove", help="unbounded proof of the invariants (induction, k-induction, Spacer)")
    _spec_arguments(p)
    p.add_argument("--inv", action="append", default=[], metavar="NAME", help="prove only this invariant (repeatable)")
    p.add_argument("--engine", choices=["induction", "kind", "spacer", "auto"], default="auto",
                   help="proof engine; auto runs them as a portfolio (default)")
    p.add_argument("--max-k", type=int, default=10, metavar="K", help="largest k for k-induction (default 10)")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p = sub.add_parser("gen", help="generate the Python reference model and pytest suites of a spec")
    _spec_arguments(p)
    p.add_argument("-o", dest="output", default="generated_tests", metavar="DIR",
                   help="where to write the model and the suites (default generated_tests)")
    p.add_argument("--max-depth", type=int, default=20, metavar="K",
                   help="longest trace to look for when finding counterexamples and covering paths (default 20)")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S", help="bound on each solver question")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p = sub.add_parser("replay", help="replay an ITF trace on the spec's reference model; report the first mismatch")
    _spec_arguments(p)
    p.add_argument("trace", help="an ITF JSON trace (from irqspec check --itf, Quint or Apalache)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "memory", None) and args.command != "explore":
            return _run_with_memory_limit(COMMANDS[args.command], args)
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
    except BrokenPipeError:  # output piped into a reader that stopped early (| head): not an error of ours
        sys.stderr.close()
        return EXIT_OK


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
