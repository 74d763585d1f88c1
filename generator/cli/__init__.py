"""The `irqspec` command: the only place that reads argv, prints, and picks exit codes.

This package is the command in parts: `common` (what every command shares), `verify` (parse, check, prove, explore),
`traces` (replay), `generate` (gen, mutate), `sweep`, `parser` (the arguments); here, `main` runs one of them under the
signals, the --timeout deadline and the --memory limit.

Exit codes: 0 success (no violation, proved), 1 a property is violated or refuted, 2 usage or spec error,
3 unknown (timeout, solver gave up), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). A reader that closes the
pipe early never changes the code.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import threading
from typing import Callable, Sequence

from ..front.diagnostics import SpecError
from .common import (EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_UNKNOWN, INTERRUPTED, OUT,
                     UsageError, on_sigint, run_with_memory_limit)
from .export import cmd_export
from .generate import cmd_gen, cmd_mutate
from .lsp import cmd_lsp
from .parser import build_parser
from .show import cmd_show
from .sweep import cmd_sweep
from .traces import cmd_replay
from .validate import cmd_validate
from .verify import cmd_check, cmd_explore, cmd_parse, cmd_prove

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"parse": cmd_parse, "check": cmd_check,
                                                             "prove": cmd_prove, "explore": cmd_explore,
                                                             "replay": cmd_replay, "show": cmd_show,
                                                             "validate": cmd_validate, "gen": cmd_gen,
                                                             "mutate": cmd_mutate, "export": cmd_export, "sweep": cmd_sweep,
                                                             "lsp": cmd_lsp}


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

        previous = signal.signal(signal.SIGALRM, expired)
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

    return run


class _Relay:
    """Hand a signal to Z3 at once. Python runs a signal handler only between bytecodes, so a SIGTERM or the
    --timeout alarm that lands during one long Z3 query (minutes, at depth 10 of a 4-vCPU spec) would wait for the
    query to end. CPython's C handler writes each signal's number to the wakeup fd as it arrives; a thread reads it
    and interrupts the current Z3 context (Z3_interrupt is meant to be called from another thread), so the query
    returns "unknown" and our handler runs and decides the exit. Z3 forgets an interrupt that finds it idle.
    Ctrl-C needs no relay (Z3 catches SIGINT itself during a check), but takes it harmlessly."""

    WATCHED = frozenset((signal.SIGTERM, signal.SIGALRM, signal.SIGINT))

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        try:
            self._previous: int | None = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        except ValueError:  # main called outside the main thread: no signals reach it anyway
            self._previous = None
            os.close(self._read)
            os.close(self._write)
            return
        threading.Thread(target=self._pass_on, args=(self._read,), daemon=True).start()

    def _pass_on(self, fd: int) -> None:
        try:
            while data := os.read(fd, 64):
                if self.WATCHED.intersection(data):
                    import z3

                    ctx = z3.z3._main_ctx  # the context in use (smt.context swaps it): None before Z3's first use
                    if ctx is not None:
                        ctx.interrupt()
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._previous is None:
            return
        signal.set_wakeup_fd(self._previous)
        os.close(self._write)  # the reader sees the end of the pipe and stops


def lost_signal(exc: BaseException | None) -> BaseException | None:
    """The signal's exception that a finalizer lost, unwrapped: when it struck while ctypes converted the arguments
    of the finalizer's Z3 call (Z3_dec_ref in AstRef.__del__), it comes as ctypes.ArgumentError("argument 2:
    KeyboardInterrupt")."""
    if isinstance(exc, ctypes.ArgumentError):
        text = str(exc)
        for name, kind in (("KeyboardInterrupt", KeyboardInterrupt), ("_Terminated", _Terminated),
                           ("_Deadline", _Deadline)):
            if name in text:
                return kind()
    return exc


def half_built_finalizer(hook_args) -> bool:
    """Whether a lost exception is a Z3 finalizer's on an object whose constructor a signal cut short: AstRef.__init__
    interrupted before it set self.ctx leaves a half-built object whose __del__ raises AttributeError('ctx') when it
    is collected, which may be after the command has reported. Nothing is lost with it: the object holds no Z3
    reference yet."""
    function = hook_args.object
    return (isinstance(hook_args.exc_value, AttributeError)
            and getattr(function, "__name__", "") == "__del__"
            and getattr(function, "__module__", "").startswith("z3"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    def terminated(signum, frame):
        raise _Terminated()

    def unraisable(hook_args) -> None:
        # a signal can strike inside a finalizer (Z3's AstRef.__del__), where Python drops the exception and prints
        # "Exception ignored ... Traceback": say nothing and deliver the signal again, so that a handler of ours
        # sees it (the --timeout alarm repeats on its own); any other lost exception is printed as usual
        lost = lost_signal(hook_args.exc_value)
        if isinstance(lost, _Deadline) or half_built_finalizer(hook_args):
            return
        if isinstance(lost, (KeyboardInterrupt, _Terminated)):
            again = signal.SIGINT if isinstance(lost, KeyboardInterrupt) else signal.SIGTERM
            threading.Timer(0.05, lambda: running and os.kill(os.getpid(), again)).start()
            return
        previous_hook(hook_args)

    running = True  # a signal sent again must not outlive this command (tests run main many times in one process)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    previous = signal.signal(signal.SIGTERM, terminated)
    INTERRUPTED.event.clear()  # a run of main (tests call it many times in one process) starts uninterrupted
    previous_int = signal.signal(signal.SIGINT, on_sigint)
    relay = _Relay()
    command = _with_deadline(COMMANDS[args.command])
    try:
        if getattr(args, "memory", None) and args.command != "explore":
            return run_with_memory_limit(command, args)
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
        relay.close()
        signal.signal(signal.SIGTERM, previous)
        running = False
        signal.signal(signal.SIGINT, previous_int)
        sys.unraisablehook = previous_hook


def run() -> None:
    decided: list[int] = []

    def late(signum, frame) -> None:
        # outside main's own handlers: before it installs them (a signal means 130 or 143), or once the command has
        # decided and reported, while the interpreter tears down (freeing Z3's contexts can take a second): the
        # decided code stands, with neither a kill by signal nor a traceback
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(decided[0] if decided else 128 + signum)

    def teardown(hook_args) -> None:
        # once main has decided, the interpreter's teardown collects what a signal left half-built: say nothing of it
        if not (half_built_finalizer(hook_args) or isinstance(lost_signal(hook_args.exc_value),
                                                              (KeyboardInterrupt, _Terminated, _Deadline))):
            sys.__unraisablehook__(hook_args)

    for each in (signal.SIGTERM, signal.SIGINT):
        signal.signal(each, late)
    decided.append(main())
    sys.unraisablehook = teardown
    sys.exit(decided[0])
