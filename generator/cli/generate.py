"""The commands that write or measure suites: gen (the model and the pytest suites) and mutate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..pybackend import manifest
from .common import (EXIT_INTERRUPTED, EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, OUT, Progress, UsageError, emit,
                     interrupted, load_spec, parse_defines)


def gen_command_text(args: argparse.Namespace) -> str:
    """The command that the generated files' headers name: the spec and the options that shape the output (not -o,
    so that a regeneration into another folder gives the same bytes)."""
    parts = ["irqspec", "gen", Path(args.file).as_posix()]
    for pair in args.define:
        parts += ["-D", pair]
    for folder in args.include:
        parts += ["-I", folder]
    parts += ["--max-depth", str(args.max_depth)]
    if args.property_examples is not None:
        parts += ["--property-examples", str(args.property_examples)]
    if args.property_steps is not None:
        parts += ["--property-steps", str(args.property_steps)]
    for seq in args.atomic:
        parts += ["--atomic", seq]
    if args.kill_mutants:
        parts.append("--kill-mutants")
    return " ".join(parts)


def cmd_gen(args: argparse.Namespace) -> int:
    from ..jsondoc import document
    from ..pybackend.suites import AtomicStepError, generate_all

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; -o names the folder to write the suites into")
    if not out.exists() and not out.parent.is_dir():
        raise UsageError(f"{out}: its parent folder {out.parent} does not exist")
    live = Progress("gen")
    live.phase = "asking Z3 for counterexamples, covering paths and witnesses"
    try:
        from ..pybackend.suites import PROPERTY_EXAMPLES, PROPERTY_STEPS

        result = generate_all(Path(args.file), parse_defines(args.define), gen_command_text(args),
                              max_depth=args.max_depth, timeout=args.timeout,
                              include=tuple(Path(p) for p in args.include),
                              property_examples=args.property_examples or PROPERTY_EXAMPLES,
                              property_steps=args.property_steps or PROPERTY_STEPS,
                              atomic=tuple(tuple(seq.split("+")) for seq in args.atomic),
                              kill_mutants=args.kill_mutants)
    except AtomicStepError as err:
        live.clear()
        raise UsageError(f"--atomic: {err}") from None
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: nothing written ({live.line()})\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    report = result.report
    if any(interrupted(line) for line in report.unknown):  # Ctrl-C inside Z3: never write a partial suite
        sys.stderr.write("irqspec: interrupted: nothing written\n")
        return EXIT_INTERRUPTED
    previous_path = out / manifest.file_name(report.module)
    previous = manifest.read(previous_path)
    moved = manifest.moved(previous, result.targets) if previous is not None and result.targets else None
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in result.files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{out}: cannot write the suites: {err.strerror}") from None
    code = EXIT_UNKNOWN if report.unknown else EXIT_OK
    if args.json:
        emit(document("gen", None, "unknown" if report.unknown else "generated", code, report.seconds,
                       module=report.module, output=str(out), files=sorted(result.files),
                       tests=dict(report.counts), violated=list(report.violated), holding=list(report.holding),
                       proved=list(report.proved),
                       max_depth=report.max_depth, dead=list(report.dead),
                       switched=list(report.switched) + list(report.switched_targets),
                       unknown=list(report.unknown),
                       targets={k: dict(v) for k, v in report.targets.items()}, missed=list(report.missed),
                       unrealizable=report.unrealizable, moved=moved.as_json() if moved is not None else None,
                       mutants=dict(report.mutants) or None))
        return code
    OUT.write(f"{report.module}: wrote {len(result.files)} files to {out} ({report.seconds:.1f} s)\n")
    for name, count in report.counts.items():
        OUT.write(f"  {name}: {count} test{'s' if count != 1 else ''}\n")
    if report.violated:
        OUT.write(f"  counterexample tests for: {', '.join(report.violated)}\n")
    if report.proved:
        OUT.write(f"  proved by induction (no counterexample at any depth): {', '.join(report.proved)}\n")
    bounded = [name for name in report.holding if name not in report.proved]
    if bounded:
        OUT.write(f"  no violation within depth {report.max_depth}: {', '.join(bounded)}\n")
    for line in report.dead:
        OUT.write(f"  dead code? {line}\n")
    for line in report.switched:
        OUT.write(f"  design switch: {line}\n")
    for kind, row in report.targets.items():
        switched = f", {row['switched off']} switched off" if row["switched off"] else ""
        OUT.write(f"  coverage targets, {kind}: {row['met']}/{row['targets']} met, {row['dead, proved']} dead "
                  f"(proved), {row['dead']} not reached within depth {report.max_depth}, {row['unknown']} unknown"
                  f"{switched}\n")
    if report.mutants:
        m = report.mutants
        OUT.write(f"  spec mutants: {m['mutants']}, {m['killed']} killed by the other tests, {m['by_mutant_tests']} by "
                  f"the mutant tests, {m['equivalent']} proved equivalent, {m['unknown']} neither\n")
    if args.atomic:
        OUT.write(f"  atomic steps {', '.join(args.atomic)}: {report.unrealizable} tests have no run an implementation "
                  "with them can execute (marked in their docstrings)\n")
    for line in report.unknown:
        OUT.write(f"  UNKNOWN: {line}\n")
    if moved is not None and moved.any:
        _write_moved(moved, previous_path)
    return code


def _write_moved(moved, path: Path) -> None:
    """What changed since the suite `path` describes was generated: every target a test met then and none meets now
    by name (a wider VECTORS or a deeper search never loses a test silently), the rest counted."""
    since = f" ({'; '.join(moved.settings)})" if moved.settings else ""
    OUT.write(f"  since the suite generated before in this folder{since}:\n")
    if moved.lost:
        OUT.write(f"    LOST: {len(moved.lost)} target{'s' if len(moved.lost) != 1 else ''} a test met before "
                  "and none meets now:\n")
        for line in moved.lost:
            OUT.write(f"      {line}\n")
    for line in moved.gained:
        OUT.write(f"    gained: {line}\n")
    counts = [f"{n} {what}" for n, what in ((moved.longer, "met by a longer run"), (moved.shorter, "by a shorter one"),
                                            (moved.new, "new targets"), (moved.gone, "targets gone")) if n]
    if counts:
        OUT.write(f"    {', '.join(counts)}\n")


def cmd_mutate(args: argparse.Namespace) -> int:
    """Mutants of the spec itself (generator/mutation/): each killed by the generated suite, proved equivalent, or
    a survivor with the shortest distinguishing trace (a gap in the suite)."""
    from ..jsondoc import document, trace_data
    from ..mutation import mutation_report
    from ..report import format_trace

    live = Progress("mutate")
    live.phase = "generating the suite"

    def step(done: int, total: int, row) -> None:
        live.phase = f"mutant {done}/{total} ({row.mutant.id}: {row.status})"

    try:
        rep = mutation_report(Path(args.file), parse_defines(args.define), include=tuple(Path(p) for p in args.include),
                              max_depth=args.max_depth, limit=args.limit, timeout=args.proof_timeout,
                              progress=step, kill_mutants=not args.without_mutant_tests)
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted ({live.line()})\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    counts = rep.counts
    code = EXIT_OK if rep.complete else EXIT_UNKNOWN if counts["survived"] == 0 else EXIT_VIOLATED
    system = load_spec(args).system  # the spec as the report names it (for its traces and values)
    if args.json:
        rows = [{"id": r.mutant.id, "operator": r.mutant.operator, "where": r.mutant.where,
                 "line": r.mutant.span.line, "column": r.mutant.span.column, "before": r.mutant.before,
                 "after": r.mutant.after, "status": r.status, "killed_by": list(r.killed_by), "detail": r.detail,
                 "engine": r.engine,
                 "distinguishing_trace": None if r.distinction is None else trace_data(system, r.distinction.trace),
                 "refused_at_end": [] if r.distinction is None else
                 [{"action": a, "params": dict(ps)} for a, ps in r.distinction.refusals]}
                for r in rep.rows]
        emit(document("mutate", system, "complete" if rep.complete else "incomplete", code, rep.seconds,
                       counts=counts, by_operator=rep.by_operator(), mutants=rows, refusals=list(rep.refusals)))
        return code
    OUT.write(f"{rep.module}: {counts['mutants']} mutants of the spec ({counts['skipped']} edits did not check, "
              f"{counts['duplicates']} duplicates, {counts['left_out']} beyond the limit), the suite's "
              f"{len(rep.tests)} tests replayed on each ({rep.seconds:.1f} s)\n")
    OUT.write(f"  {'operator':<18}{'mutants':>8}{'killed':>8}{'equiv.':>8}{'survived':>9}{'unknown':>8}\n")
    for op, row in rep.by_operator().items():
        OUT.write(f"  {op:<18}{row['mutants']:>8}{row['killed']:>8}{row['equivalent']:>8}{row['survived']:>9}"
                  f"{row['unknown']:>8}\n")
    OUT.write(f"  {'all':<18}{counts['mutants']:>8}{counts['killed']:>8}{counts['equivalent']:>8}"
              f"{counts['survived']:>9}{counts['unknown']:>8}\n")
    for r in rep.rows:
        if r.status in ("killed", "equivalent") and not args.all:
            continue
        m = r.mutant
        OUT.write(f"{m.id} {r.status.upper()}: {m.operator} at {m.span.file}:{m.span.line}:{m.span.column} "
                  f"({m.where}): `{m.before}` -> `{m.after}`\n")
        if r.status == "killed":
            OUT.write(f"  killed by {r.killed_by[0]}\n")
        elif r.status == "equivalent":
            OUT.write(f"  proved equivalent by {r.engine}\n")
        elif r.distinction is not None:
            OUT.write(f"  the suite does not kill it; the shortest run that tells it apart "
                      f"({len(r.distinction.trace) - 1} steps, found by {r.distinction.found_by}):\n")
            OUT.write("\n".join("    " + line for line in format_trace(system, r.distinction.trace).splitlines())
                      + "\n")
            for name, spec_value, mutant_value in r.distinction.state:
                OUT.write(f"    {name}: the spec has {spec_value}, the mutant {mutant_value}\n")
            for action, params in r.distinction.refusals:
                args_text = ", ".join(f"{k}={v!r}" for k, v in params.items())
                OUT.write(f"    then the spec refuses {action}({args_text}), the mutant takes it\n")
            if not r.distinction.kills:
                OUT.write("    (no test from this run kills it: "
                          + ("it does not replay on the spec's model)\n" if not r.distinction.replays
                             else "the difference is not in the observed variables)\n"))
        else:
            OUT.write(f"  {r.detail}\n")
    verdict = "every mutant is killed by the suite or proved equivalent" if rep.complete else \
        f"{counts['survived']} survive the suite, {counts['unknown']} unknown"
    OUT.write(f"{'COMPLETE' if rep.complete else 'INCOMPLETE'}: {verdict}\n")
    return code
