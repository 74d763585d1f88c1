"""The `irqspec` command: the only place that reads argv, prints, and picks exit codes.

Exit codes: 0 success (no violation, proved), 1 a property is violated or refuted, 2 usage or spec error,
3 unknown (timeout, solver gave up), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). A reader that closes the
pipe early never changes the code.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import signal
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from . import __version__, manifest
from .diagnostics import SpecError
from .frontend import Frontend, load

EXIT_OK, EXIT_VIOLATED, EXIT_ERROR, EXIT_UNKNOWN, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 3, 130, 143


class _Stdout:
    """Where results go. A reader that closes the pipe early (`| head -1`, `| grep -q`) must not change the exit
    code: the first write that meets a closed pipe points stdout at /dev/null (so neither later writes nor the
    interpreter's final flush fail) and the command goes on to return its verdict's code. Each write is flushed, so
    what a reader sees is never held back behind a verdict it is waiting for."""

    def __init__(self) -> None:
        self.reader_gone = False

    def write(self, text: str) -> None:
        if self.reader_gone:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self.reader_gone = True
            import os

            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            except (OSError, ValueError, AttributeError):  # a stdout without a file descriptor: nothing to mend
                pass


OUT = _Stdout()


def _warn(text: str) -> None:
    try:
        sys.stderr.write(f"irqspec: warning: {text}\n")
    except BrokenPipeError:
        pass


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


def _emit(doc: dict) -> None:
    from .jsondoc import dumps

    OUT.write(dumps(doc))


def cmd_parse(args: argparse.Namespace) -> int:
    from .jsondoc import document
    from .jsonir import to_data
    from .summary import summary

    front = _load(args)
    if args.json:
        _emit(document("parse", front.system, "ok", EXIT_OK, None, ir=to_data(front.system)))
    else:
        OUT.write(summary(front.system))
    return EXIT_OK


class _Interrupt:
    """Whether the user pressed Ctrl-C, and when (see _Progress._beat)."""

    def __init__(self) -> None:
        import threading

        self.event = threading.Event()
        self.when = 0.0

    def set(self) -> None:
        self.when = time.monotonic()
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


_INTERRUPTED = _Interrupt()


def _on_sigint(signum, frame) -> None:
    _INTERRUPTED.set()
    raise KeyboardInterrupt


class _Progress:
    """Live progress of a long command, on stderr: on a terminal one line rewritten in place (cleared before the
    result is printed); otherwise, as in CI logs, a line every IRQSPEC_PROGRESS_INTERVAL seconds (default 10). A
    thread keeps it going while the solvers work, so even a single long query shows its phase, the time and the
    memory. Engines report through `phase` (check: the depth found clean; explore: the states found)."""

    def __init__(self, command: str, enabled: bool = True):
        import os
        import threading

        self.command = command
        self.tty = sys.stderr.isatty()
        self.enabled = enabled
        self.start = time.monotonic()
        self.base_mb = _peak_memory_mb()  # what the process held before the work: not charged to the states
        self.phase = "starting"
        self.depth = -1  # check: the deepest depth found clean so far (reported when interrupted)
        self.elapsed = 0.0
        self.shown = 0
        self.interval = float(os.environ.get("IRQSPEC_PROGRESS_INTERVAL", "10"))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True) if enabled else None
        if self._thread is not None:
            try:
                self._thread.start()
            except RuntimeError:  # no memory for a thread's stack (under --memory): no live progress, no harm
                self._thread = None

    def line(self) -> str:
        return (f"{self.command}: {self.phase}, {time.monotonic() - self.start:.1f} s, "
                f"{_peak_memory_mb():,.0f} MB")

    def _beat(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(0.5):
            if _INTERRUPTED.is_set() and time.monotonic() - _INTERRUPTED.when > 1.0:
                # a Ctrl-C that landed inside a ctypes callback of Z3 is printed as "Exception ignored" and lost:
                # raise it again in the main thread until a handler of ours sees it (clear() stops this)
                import _thread

                _thread.interrupt_main()
                _INTERRUPTED.when = time.monotonic()
            if self.tty or time.monotonic() - last >= self.interval:
                last = time.monotonic()
                self._show()

    def _show(self) -> None:
        try:
            text = self.line()
            if self.tty:
                sys.stderr.write("\r  " + text.ljust(max(self.shown, len(text))) + " ")
                self.shown = len(text) + 3
            else:
                sys.stderr.write(f"irqspec: {text}\n")
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            self._stop.set()

    def __call__(self, depth: int, elapsed: float) -> None:
        """check's callback: `depth` found clean after `elapsed` seconds."""
        self.depth, self.elapsed = depth, elapsed
        self.phase = f"depth {depth} clean"

    def states(self, states: int, queue: int, depth: int, elapsed: float) -> None:
        """explore's callback."""
        rate = states / elapsed if elapsed else 0.0
        per_state = max(0.0, _peak_memory_mb() - self.base_mb) * (1 << 20) / states if states else 0.0
        self.phase = (f"{states:,} states, {queue:,} queued, depth {depth}, {rate:,.0f} states/s, "
                      f"about {per_state / 1024:,.1f} KB per state")

    def clear(self) -> None:
        self._stop.set()
        if self.tty and self.shown:
            sys.stderr.write("\r" + " " * self.shown + "\r")
            sys.stderr.flush()
            self.shown = 0


def _run_with_memory_limit(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """--memory MB: run the command in a child process whose address space may grow by at most MB beyond what it
    holds now. Z3 running out of memory can abort the process (its C++ out-of-memory error is not always turned into
    an answer), so the limit is enforced and observed from outside: a child that dies of it is an "unknown" (exit 3),
    never a verdict."""
    import os
    import resource
    import signal

    import z3  # noqa: F401 - loaded before the limit is measured: mapping the solver library is not the solving

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
    OUT.write(f"UNKNOWN: the solving process {how} under --memory {args.memory:g} MB\n")
    return EXIT_UNKNOWN


def _peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def interrupted(reason: str) -> bool:
    from .smt.outcome import interrupted as z3_interrupted

    return z3_interrupted(reason)


def _solver_errors(system, fn: Callable[[], object]) -> object:
    from .smt.system import UnknownProperty

    try:
        return fn()
    except UnknownProperty as err:
        name = str(err.args[0]) if err.args else "?"
        known = [p.name for p in (*system.invariants, *system.lemmas)]
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        listed = ", ".join(known) if known else "none"
        raise UsageError(f"--inv {name}: {system.module} has no invariant or lemma of that name{hint}; it has: "
                         f"{listed}, and the implicit 'range'") from None


def _writable(path: str | None, what: str) -> None:
    """Check before any solving that `path` can be written, so a typo costs no solver time and no traceback."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a folder; {what} needs a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{path}: the folder {target.parent} does not exist")
    import os

    if not os.access(target.parent, os.W_OK):
        raise UsageError(f"{path}: cannot write in {target.parent}")


def _write_itf(path: str, system, trace) -> None:
    from runtime.itf import write_itf

    from .itf_types import param_descriptors, var_descriptors

    try:
        write_itf(path, trace, var_descriptors(system), param_descriptors(system),
                  {"source": system.file, "irqspec::module": system.module})
    except OSError as err:
        raise UsageError(f"{path}: cannot write the trace: {err.strerror}") from None


def _warnings(system, certificate=None, timeout: float = 5.0) -> list[dict]:
    """Vacuity warnings (generator/smt/vacuity.py), printed on stderr and returned for --json."""
    from .smt.vacuity import vacuity

    found = vacuity(system, certificate, timeout)
    for w in found:
        _warn(w.message)
    return [{"kind": w.kind, "message": w.message, "actions": list(w.actions)} for w in found]


def cmd_check(args: argparse.Namespace) -> int:
    from .jsondoc import document, trace_data, witness_data
    from .report import explain_violation, format_trace, format_witness
    from .smt.bmc import check

    _writable(args.itf, "--itf")
    front = _load(args)
    system = front.system
    live = _Progress("check")
    try:
        result = _solver_errors(system, lambda: check(system, args.inv or None, max_depth=args.max_depth,
                                              timeout=args.timeout, progress=live))
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: no violation up to depth {live.depth} ({live.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    if result.status == "unknown" and interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted: no violation up to depth {result.depth_reached} "
                         f"({result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    code = {"violated": EXIT_VIOLATED, "holds": EXIT_OK}.get(result.status, EXIT_UNKNOWN)
    if args.itf and result.trace is not None:
        _write_itf(args.itf, system, result.trace)
    warnings = _warnings(system) if result.status == "holds" else []
    if args.json:
        _emit(document("check", system, result.status, code, result.elapsed, engine="bmc",
                       depth=result.depth_reached, max_depth=args.max_depth, invariant=result.invariant,
                       witness=witness_data(system, result.invariant, result.witness), reason=result.reason,
                       trace=trace_data(system, result.trace), itf=args.itf if result.trace is not None else None,
                       warnings=warnings))
    elif result.status == "violated":
        assert result.trace is not None
        where = f" for {format_witness(system, result.invariant, result.witness)}" if result.witness else ""
        verdict = f"VIOLATED: {result.invariant}{where}, after {result.depth_reached} steps ({result.elapsed:.2f} s)"
        OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
        OUT.write(verdict + "\n")
        for line in explain_violation(system, result.invariant, result.trace.last.state, result.witness,
                                      front.sources):
            OUT.write(f"  {line}\n")
        if args.itf:
            OUT.write(f"trace written to {args.itf} (ITF)\n")
    elif result.status == "holds":
        OUT.write(f"no violation up to depth {result.depth_reached} ({result.elapsed:.2f} s)\n")
    else:
        OUT.write(f"UNKNOWN after depth {result.depth_reached}: {result.reason}\n")
    return code


def _cti_data(system, cti) -> dict | None:
    from .jsondoc import params_data, state_data, witness_data

    if cti is None:
        return None
    return {"broken": cti.broken, "witness": witness_data(system, cti.broken, cti.witness),
            "pre": state_data(system, cti.pre), "action": cti.action,
            "params": params_data(system, cti.action, cti.params or {}),
            "post": None if cti.post is None else state_data(system, cti.post)}


def cmd_prove(args: argparse.Namespace) -> int:
    from .jsondoc import document, trace_data, witness_data
    from .report import explain_violation, format_certificate, format_params, format_trace, format_witness
    from .smt.prove import prove

    front = _load(args)
    system = front.system
    live = _Progress("prove")
    live.phase = f"engine {args.engine}"
    try:
        result = _solver_errors(system, lambda: prove(system, args.inv or None, engine=args.engine,
                                                      timeout=args.timeout, max_k=args.max_k, progress=live))
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: no proof or refutation reached ({live.line()})\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    if result.status == "unknown" and interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted ({result.engine}, {result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    cert = result.certificate
    cross = None
    if result.status == "proved" and args.crosscheck > 0:
        from .crosscheck import crosscheck

        cross = crosscheck(system, cert, cert.properties if cert is not None else (), seconds=args.crosscheck)
        if cross.status == "contradicts":  # the two readings of the spec disagree: a bug of irqspec, not a verdict
            from dataclasses import replace

            result = replace(result, status="unknown", reason=f"the {result.engine} proof passed its Z3 re-check, "
                             f"but {cross.detail}: the Z3 encoding and the generated model disagree (an irqspec "
                             "bug: please report it with this spec)")
    code = {"proved": EXIT_OK, "refuted": EXIT_VIOLATED}.get(result.status, EXIT_UNKNOWN)
    warnings = _warnings(system, cert) if result.status == "proved" else []
    if args.json:
        _emit(document("prove", system, result.status, code, result.elapsed, engine=result.engine,
                       invariant=result.invariant, reason=result.reason,
                       witness=witness_data(system, result.invariant,
                                            result.trace.witness if result.trace is not None else {}),
                       trace=trace_data(system, result.trace),
                       certificate=None if cert is None else {"engine": cert.engine, "k": cert.k, "text": cert.text,
                                                               "properties": list(cert.properties)},
                       cti=_cti_data(system, result.cti), warnings=warnings,
                       crosscheck=None if cross is None else {"status": cross.status, "states": cross.states,
                                                               "detail": cross.detail}))
        return code
    if result.status == "proved":
        vacuous = any(w["kind"] == "vacuous-proof" for w in warnings)
        OUT.write(f"PROVED by {result.engine} ({result.elapsed:.2f} s), unbounded"
                  f"{' (vacuously: nothing can happen)' if vacuous else ''}\n")
        if cert is not None:
            OUT.write(f"certificate ({cert.engine}, k = {cert.k}; re-checked by three independent queries:"
                      f" init => C, C and step => C', C => property):\n")
            OUT.write("\n".join("  " + line for line in format_certificate(cert.text).splitlines()) + "\n")
        if cross is not None:
            OUT.write(f"cross-check against the generated model: {cross.detail}\n")
        return code
    if result.status == "refuted":
        OUT.write(f"REFUTED by {result.engine}: {result.invariant}\n")
        if result.trace is not None:
            OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
            if result.trace.witness:
                OUT.write(f"violated for {format_witness(system, result.invariant, result.trace.witness)}\n")
                for line in explain_violation(system, result.invariant, result.trace.last.state,
                                              result.trace.witness, front.sources):
                    OUT.write(f"  {line}\n")
        return code
    OUT.write(f"UNKNOWN ({result.engine}): {result.reason}\n")
    cti = result.cti
    if cti is not None:
        from .report import format_state, format_step

        OUT.write(f"counterexample to induction: {cti.broken} breaks"
                  f"{' for ' + format_witness(system, cti.broken, cti.witness) if cti.witness else ''}\n"
                  "  pre-state:\n")
        for line in format_state(system, cti.pre):
            OUT.write(f"    {line}\n")
        if cti.action is not None and cti.post is not None:
            OUT.write(f"  step: {format_params(cti.params, system, cti.action)}\n  changes:\n")
            for line in format_step(system, cti.action, cti.params or {}, cti.pre, cti.post):
                OUT.write(f"    {line}\n")
        OUT.write("  (add a lemma that rules out the pre-state, or try --engine spacer)\n")
    return code


def _read_json(path: str) -> object:
    import json

    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a folder, not a trace file")
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{path}: not a JSON file: {err}") from None
    except RecursionError:
        raise UsageError(f"{path}: JSON nested too deeply to be a trace") from None


def _infer_actions(model, steps: list) -> tuple[list, list[str]]:
    """Fill in the action of each step that does not name one (traces without `mbt::actionTaken`, as Apalache
    writes them): the enabled action instances of the model that lead from the previous state to the recorded one.
    Returns the steps and, per inferred step, a note (ambiguous choices name the one taken)."""
    notes, out = [], [steps[0]]
    for i, (action, params, state) in enumerate(steps[1:], 1):
        if action is not None:
            out.append((action, params, state))
            continue
        before = model.state_from_dict(out[-1][2])
        after = model.state_from_dict(state)
        fits = []
        for name, ps in model.enabled_actions(before):
            try:
                if model.step(before, name, ps) == after:
                    fits.append((name, ps))
            except Exception:  # noqa: BLE001 - a range fault of the model: not this instance
                continue
        if not fits:
            raise _Unexplained(i)
        name, ps = fits[0]
        note = f"step {i}: {name}{ps if ps else '()'} inferred"
        if len(fits) > 1:
            note += f" (also possible: {', '.join(f'{n}{p}' for n, p in fits[1:4])})"
        notes.append(note)
        out.append((name, ps, state))
    return out, notes


class _Unexplained(Exception):
    """A step of an action-less trace that no action of the spec explains."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


def cmd_replay(args: argparse.Namespace) -> int:
    from runtime.conformance import Divergence, replay
    from runtime.itf import ITFError

    from .jsondoc import document
    from .loadmodel import load_model
    from .report import explain_violation, format_witness

    front = _load(args)
    system = front.system
    doc = _read_json(args.trace)
    model = load_model(system, "irqspec replay")
    try:
        if not isinstance(doc, dict) or not isinstance(doc.get("states"), list):
            raise ITFError("an ITF trace is an object with a list of 'states'")
        trace = model.trace_from_itf(doc)
    except (ITFError, KeyError, TypeError, ValueError) as err:
        raise UsageError(f"{args.trace}: not an ITF trace of {system.module}'s variables: {err}") from None
    except RecursionError:
        raise UsageError(f"{args.trace}: ITF values nested too deeply") from None
    if not trace.steps:
        raise UsageError(f"{args.trace}: the trace has no states")
    steps = [(st.action, st.params, st.state) for st in trace.steps]
    for i, (action, params, _) in enumerate(steps[1:], 1):
        if action is None:
            continue
        if action not in model.ACTIONS:
            raise UsageError(f"{args.trace}: step {i} takes action {action!r}, which {system.module} does not have")
        missing = [name for name, _ in model.ACTIONS[action].params if name not in params]
        if missing:
            raise UsageError(f"{args.trace}: step {i} ({action}) does not give the parameter(s) {', '.join(missing)}")
    notes: list[str] = []
    divergence = None
    try:
        steps, notes = _infer_actions(model, steps)
        replay(model, steps)
    except _Unexplained as err:
        divergence = f"step {err.index} names no action, and no action of {system.module} leads from the state " \
                     f"of step {err.index - 1} to it"
    except Divergence as div:
        divergence = str(div)
    except ValueError as err:
        raise UsageError(f"{args.trace}: {err}") from None
    code = EXIT_VIOLATED if divergence else EXIT_OK
    last_state = steps[-1][2]
    violated = [] if divergence else model.violated_invariants(model.state_from_dict(last_state))
    if args.json:
        from .jsondoc import witness_data

        _emit(document("replay", system, "diverged" if divergence else "replayed", code, None, trace_file=args.trace,
                       steps=len(steps) - 1, divergence=divergence, inferred=notes,
                       violated=[{"invariant": n, "witness": witness_data(system, n, w)} for n, w in violated]))
        return code
    for note in notes:
        OUT.write(f"  {note}\n")
    if divergence:
        OUT.write(f"{args.trace}: {divergence}\n")
        return code
    OUT.write(f"{args.trace}: all {len(steps) - 1} steps replay on the model of {system.module}\n")
    for name, witness in violated:
        where = f" for {format_witness(system, name, witness)}" if witness else ""
        OUT.write(f"  the last state violates {name}{where}\n")
        for line in explain_violation(system, name, last_state, witness, front.sources):
            OUT.write(f"    {line}\n")
    return code


def cmd_explore(args: argparse.Namespace) -> int:
    from .explore import ExploreInterrupted, explore
    from .jsondoc import document, trace_data, witness_data
    from .report import explain_violation, format_trace, format_witness

    _writable(args.itf, "--itf")
    front = _load(args)
    system = front.system
    live = _Progress("explore")
    try:
        limit = args.memory
        result = explore(system, max_states=args.max_states, max_depth=args.max_depth, progress=live.states,
                         should_stop=(lambda: _peak_memory_mb() > limit) if limit else None)
    except ExploreInterrupted as stop:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted after {stop.states:,} distinct states, depth {stop.depth} "
                         f"({stop.elapsed:.2f} s)\n{_explore_advice(stop.states, live.base_mb)}")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    code = {"violated": EXIT_VIOLATED, "holds": EXIT_OK}.get(result.status, EXIT_UNKNOWN)
    if args.itf and result.trace is not None:
        _write_itf(args.itf, system, result.trace)
    if args.json:
        _emit(document("explore", system, result.status, code, result.elapsed, engine="explore",
                       states=result.states, diameter=result.diameter,
                       states_per_second=round(result.states_per_second, 1), invariant=result.invariant,
                       witness=witness_data(system, result.invariant, result.witness), reason=result.reason,
                       trace=trace_data(system, result.trace), itf=args.itf if result.trace is not None else None))
        return code
    rate = f"{result.states_per_second:,.0f} states/s"
    if result.status == "violated":
        assert result.trace is not None
        OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
        where = f" for {format_witness(system, result.invariant, result.witness)}" if result.witness else ""
        OUT.write(f"VIOLATED: {result.invariant}{where}, after {len(result.trace) - 1} steps "
                  f"({result.states} distinct states, {result.elapsed:.2f} s, {rate})\n")
        for line in explain_violation(system, result.invariant, result.trace.last.state, result.witness,
                                      front.sources):
            OUT.write(f"  {line}\n")
        if args.itf:
            OUT.write(f"trace written to {args.itf} (ITF)\n")
    elif result.status == "holds":
        OUT.write(f"no violation: {result.states} distinct states, diameter {result.diameter} "
                  f"({result.elapsed:.2f} s, {rate})\n")
    else:
        OUT.write(f"INCOMPLETE: {result.reason}; no violation in {result.states} distinct states up to depth "
                  f"{result.diameter} ({result.elapsed:.2f} s, {rate})\n")
        sys.stderr.write(_explore_advice(result.states, live.base_mb))
    return code


def _explore_advice(states: int, base_mb: float) -> str:
    """What a search that could not finish would take: the memory per state so far, and how many states the
    machine's free memory holds at that rate (a --max-states that fits, or a smaller -D instance)."""
    if states <= 0:
        return ""
    per_state = max(1.0, (_peak_memory_mb() - base_mb) * (1 << 20) / states)
    try:
        with open("/proc/meminfo") as meminfo:
            free_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return f"  about {per_state / 1024:,.1f} KB per state so far\n"
    fits = int(free_kb * 1024 / per_state)
    return (f"  about {per_state / 1024:,.1f} KB per state so far: the {free_kb / (1 << 20):,.1f} GB available hold "
            f"about {fits:,} states; try --max-states {fits // 2} or a smaller instance (-D VECTORS=..., -D NCPU=...)\n")


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
    from .jsondoc import document
    from .suites import AtomicStepError, generate_all

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; -o names the folder to write the suites into")
    if not out.exists() and not out.parent.is_dir():
        raise UsageError(f"{out}: its parent folder {out.parent} does not exist")
    live = _Progress("gen")
    live.phase = "asking Z3 for counterexamples, covering paths and witnesses"
    try:
        from .suites import PROPERTY_EXAMPLES, PROPERTY_STEPS

        result = generate_all(Path(args.file), _defines(args.define), gen_command_text(args),
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
        _emit(document("gen", None, "unknown" if report.unknown else "generated", code, report.seconds,
                       module=report.module, output=str(out), files=sorted(result.files),
                       tests=dict(report.counts), violated=list(report.violated), holding=list(report.holding),
                       proved=list(report.proved),
                       max_depth=report.max_depth, dead=list(report.dead), unknown=list(report.unknown),
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
    for kind, row in report.targets.items():
        OUT.write(f"  coverage targets, {kind}: {row['met']}/{row['targets']} met, {row['dead, proved']} dead "
                  f"(proved), {row['dead']} not reached within depth {report.max_depth}, {row['unknown']} unknown\n")
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
    from .jsondoc import document, trace_data
    from .mutation import mutation_report
    from .report import format_trace

    live = _Progress("mutate")
    live.phase = "generating the suite"

    def step(done: int, total: int, row) -> None:
        live.phase = f"mutant {done}/{total} ({row.mutant.id}: {row.status})"

    try:
        rep = mutation_report(Path(args.file), _defines(args.define), include=tuple(Path(p) for p in args.include),
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
    system = _load(args).system  # the spec as the report names it (for its traces and values)
    if args.json:
        rows = [{"id": r.mutant.id, "operator": r.mutant.operator, "where": r.mutant.where,
                 "line": r.mutant.span.line, "column": r.mutant.span.column, "before": r.mutant.before,
                 "after": r.mutant.after, "status": r.status, "killed_by": list(r.killed_by), "detail": r.detail,
                 "engine": r.engine,
                 "distinguishing_trace": None if r.distinction is None else trace_data(system, r.distinction.trace),
                 "refused_at_end": [] if r.distinction is None else
                 [{"action": a, "params": dict(ps)} for a, ps in r.distinction.refusals]}
                for r in rep.rows]
        _emit(document("mutate", system, "complete" if rep.complete else "incomplete", code, rep.seconds,
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


def _spec_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the spec (.irq)")
    p.add_argument("-D", dest="define", action="append", default=[], metavar="NAME=VALUE",
                   help="override a constant, e.g. -D NCPU=3 or -D VECTORS=16..255")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="another folder to look for imported modules in")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"parse": cmd_parse, "check": cmd_check,
                                                             "prove": cmd_prove, "explore": cmd_explore,
                                                             "replay": cmd_replay, "gen": cmd_gen,
                                                             "mutate": cmd_mutate}


MEMORY_HELP = "memory limit in MB: past it the answer is unknown (exit 3), never a verdict"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number of seconds or MB, got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else _positive(text)


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _nonnegative_int(text: str) -> int:
    return _whole(text, 0)


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
    p.add_argument("--json", action="store_true", help="print the checked IR as JSON (docs/json.md)")
    p = sub.add_parser("check", help="bounded model checking: the shortest trace that violates an invariant")
    _spec_arguments(p)
    p.add_argument("--inv", action="append", default=[], metavar="NAME", help="check only this invariant (repeatable)")
    p.add_argument("--max-depth", type=_nonnegative_int, default=20, metavar="K",
                   help="longest trace to look for (default 20)")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--itf", metavar="PATH", help="write the counterexample as an ITF JSON trace")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p.add_argument("--full", action="store_true", help="show every variable of a counterexample's last state, "
                                                       "not only what changed")
    p = sub.add_parser("explore", help="explicit-state breadth-first search: the shortest violating run, or the "
                                       "number of reachable states and the diameter")
    _spec_arguments(p)
    p.add_argument("--itf", metavar="PATH", help="write the counterexample as an ITF JSON trace")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p.add_argument("--full", action="store_true", help="show every variable of a counterexample's last state, "
                                                       "not only what changed")
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
    p.add_argument("--max-k", type=_positive_int, default=10, metavar="K",
                   help="largest k for k-induction (default 10)")
    p.add_argument("--crosscheck", type=_nonnegative_float, default=2.0, metavar="S",
                   help="after a proof, hold its certificate against the generated model's reachable states for up "
                        "to S seconds (default 2; 0: skip)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    p.add_argument("--full", action="store_true", help="show every variable of a counterexample's last state, "
                                                       "not only what changed")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S", help="give up after S seconds (exit 3)")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p = sub.add_parser("gen", help="generate the Python reference model and pytest suites of a spec")
    _spec_arguments(p)
    p.add_argument("-o", dest="output", default="generated_tests", metavar="DIR",
                   help="where to write the model and the suites (default generated_tests)")
    p.add_argument("--max-depth", type=_nonnegative_int, default=20, metavar="K",
                   help="longest trace to look for when finding counterexamples and covering paths (default 20)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (docs/json.md)")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S", help="bound on each solver question")
    p.add_argument("--memory", type=_positive, default=None, metavar="MB", help=MEMORY_HELP)
    p.add_argument("--property-examples", type=_positive_int, default=None, metavar="N",
                   help="random runs of the property test (default 30; IRQSPEC_PROPERTY_EXAMPLES overrides at run time)")
    p.add_argument("--property-steps", type=_positive_int, default=None, metavar="N",
                   help="steps per random run (default 20; IRQSPEC_PROPERTY_STEPS overrides at run time)")
    p.add_argument("--atomic", action="append", default=[], metavar="A+B",
                   help="an atomic step of the implementation (the adapter's `atomic`): actions A then B taken as "
                        "one step; tests then use runs it can execute where one exists (repeatable)")
    p.add_argument("--kill-mutants", action="store_true",
                   help="hold the spec's mutants (as irqspec mutate makes them) against the suite, and add a test "
                        "for each one it does not kill that a run tells apart (test_<module>_mutants.py)")
    p = sub.add_parser("mutate", help="mutants of the spec: each killed by the generated suite, proved equivalent, "
                                      "or shown with the shortest run that tells it apart")
    _spec_arguments(p)
    p.add_argument("--max-depth", type=_nonnegative_int, default=10, metavar="K",
                   help="the depth the suite is generated with (default 10)")
    p.add_argument("--limit", type=_positive_int, default=400, metavar="N", help="at most N mutants (default 400)")
    p.add_argument("--proof-timeout", type=_positive, default=60.0, metavar="S",
                   help="bound on each equivalence proof (default 60)")
    p.add_argument("--timeout", type=_positive, default=None, metavar="S",
                   help="bound on the whole command (exit 3)")
    p.add_argument("--all", action="store_true", help="list killed and equivalent mutants too")
    p.add_argument("--without-mutant-tests", action="store_true",
                   help="hold the mutants against the suite gen writes without --kill-mutants (by default the "
                        "suite includes its mutant tests, as gen --kill-mutants writes it)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (docs/json.md)")
    p = sub.add_parser("replay", help="replay an ITF trace on the spec's reference model; report the first mismatch")
    _spec_arguments(p)
    p.add_argument("trace", help="an ITF JSON trace (from irqspec check --itf, Quint or Apalache)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/json.md)")
    return parser


class _Deadline(Exception):
    """--timeout reached outside a solver call (building formulas, generating code): an unknown, never a verdict."""


class _Terminated(Exception):
    """SIGTERM: stop as Ctrl-C does, saying where the run got to."""


def _with_deadline(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Enforce --timeout on the whole command: the solvers stop themselves at the limit, but building formulas and
    generating code are ours, so a wall-clock alarm a little past the limit ends whatever is still running."""

    def run(args: argparse.Namespace) -> int:
        timeout = getattr(args, "timeout", None)
        if not timeout:
            return fn(args)

        def expired(signum, frame):
            raise _Deadline()

        def unraisable(hook_args) -> None:
            # the alarm can strike inside a finalizer (Z3's AstRef.__del__), where Python drops the exception and
            # prints it: say nothing (the alarm repeats, and the next one stops the command); others as usual
            if not isinstance(hook_args.exc_value, _Deadline):
                previous_hook(hook_args)

        previous = signal.signal(signal.SIGALRM, expired)
        previous_hook = sys.unraisablehook
        sys.unraisablehook = unraisable
        signal.setitimer(signal.ITIMER_REAL, timeout + max(1.0, 0.05 * timeout), 0.25)
        def stop_alarm() -> None:
            while True:  # a repeat of the alarm may land before it is stopped
                try:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    return
                except _Deadline:
                    continue

        try:
            return fn(args)
        except _Deadline:
            stop_alarm()
            OUT.write(f"UNKNOWN: --timeout {timeout:g} s reached before {args.command} could finish\n")
            return EXIT_UNKNOWN
        finally:
            stop_alarm()
            signal.signal(signal.SIGALRM, previous)
            sys.unraisablehook = previous_hook

    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    def terminated(signum, frame):
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    _INTERRUPTED.event.clear()  # a run of main (tests call it many times in one process) starts uninterrupted
    previous_int = signal.signal(signal.SIGINT, _on_sigint)
    command = _with_deadline(COMMANDS[args.command])
    try:
        if getattr(args, "memory", None) and args.command != "explore":
            return _run_with_memory_limit(command, args)
        return command(args)
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
    except ctypes.ArgumentError as err:
        # a signal that arrives while ctypes converts the arguments of a Z3 call comes out wrapped in this error
        if "KeyboardInterrupt" in str(err):
            sys.stderr.write("irqspec: interrupted\n")
            return EXIT_INTERRUPTED
        if "_Terminated" in str(err):
            sys.stderr.write(f"irqspec: terminated (SIGTERM) during {args.command}\n")
            return EXIT_TERMINATED
        if "_Deadline" in str(err):
            OUT.write(f"UNKNOWN: --timeout reached before {args.command} could finish\n")
            return EXIT_UNKNOWN
        raise
    except _Terminated:
        sys.stderr.write(f"irqspec: terminated (SIGTERM) during {args.command}\n")
        return EXIT_TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
