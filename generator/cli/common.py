"""What the commands share: stdout that survives a closed pipe, -D and spec loading, JSON output, Ctrl-C and
progress on stderr, memory limits, solver errors as exit codes, output files, vacuity warnings, argument types."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from ..front.diagnostics import SpecError
from ..front.frontend import Frontend, load

EXIT_OK, EXIT_VIOLATED, EXIT_ERROR, EXIT_UNKNOWN, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 3, 130, 143


class Stdout:
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


OUT = Stdout()


def warn(text: str) -> None:
    try:
        sys.stderr.write(f"irqspec: warning: {text}\n")
    except BrokenPipeError:
        pass


class UsageError(Exception):
    """A command line that names something that does not exist (an invariant, an engine option)."""


def parse_defines(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"-D takes NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def load_spec(args: argparse.Namespace) -> Frontend:
    return load(Path(args.file), parse_defines(args.define), tuple(Path(p) for p in args.include))


def emit(doc: dict) -> None:
    from ..jsondoc import dumps

    OUT.write(dumps(doc))


class Interrupt:
    """Whether the user pressed Ctrl-C, and when (see Progress._beat)."""

    def __init__(self) -> None:
        import threading

        self.event = threading.Event()
        self.when = 0.0

    def set(self) -> None:
        self.when = time.monotonic()
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


INTERRUPTED = Interrupt()


def on_sigint(signum, frame) -> None:
    INTERRUPTED.set()
    raise KeyboardInterrupt


class Progress:
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
        self.base_mb = peak_memory_mb()  # what the process held before the work: not charged to the states
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
                f"{peak_memory_mb():,.0f} MB")

    def _beat(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(0.5):
            if INTERRUPTED.is_set() and time.monotonic() - INTERRUPTED.when > 1.0:
                # a Ctrl-C that landed inside a ctypes callback of Z3 is printed as "Exception ignored" and lost:
                # raise it again in the main thread until a handler of ours sees it (clear() stops this)
                import _thread

                _thread.interrupt_main()
                INTERRUPTED.when = time.monotonic()
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
        per_state = max(0.0, peak_memory_mb() - self.base_mb) * (1 << 20) / states if states else 0.0
        self.phase = (f"{states:,} states, {queue:,} queued, depth {depth}, {rate:,.0f} states/s, "
                      f"about {per_state / 1024:,.1f} KB per state")

    def clear(self) -> None:
        self._stop.set()
        if self.tty and self.shown:
            sys.stderr.write("\r" + " " * self.shown + "\r")
            sys.stderr.flush()
            self.shown = 0


def run_with_memory_limit(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """--memory MB: run the command in a child process whose address space may grow by at most MB beyond what it
    holds now. Z3 running out of memory can abort the process (its C++ out-of-memory error is not always turned into
    an answer), so the limit is enforced and observed from outside: a child that dies of it is an "unknown" (exit 3),
    never a verdict."""
    import os
    import resource
    import signal

    import z3  # noqa: F401 - loaded before the limit is measured: mapping the solver library is not the solving

    from .. import api  # noqa: F401 - and the modules the commands import (the explorer, code generation, Jinja2)

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
        except Exception as err:  # under the limit, an allocation can fail as another error (an import's mmap, Z3)
            if _out_of_memory(err):
                code = 100
            else:
                OUT.write(f"UNKNOWN: the solving process failed under --memory {args.memory:g} MB "
                          f"({type(err).__name__}: {err})\n")
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


def _out_of_memory(err: BaseException) -> bool:
    """Whether `err`, or an error it was raised from or while handling, is an allocation that failed."""
    import errno

    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, MemoryError) or isinstance(e, OSError) and e.errno == errno.ENOMEM \
                or "out of memory" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
    return False


def peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def interrupted(reason: str) -> bool:
    from ..smt.outcome import interrupted as z3_interrupted

    return z3_interrupted(reason)


def solver_errors(system, fn: Callable[[], object]) -> object:
    from ..smt.system import UnknownProperty

    try:
        return fn()
    except UnknownProperty as err:
        name = str(err.args[0]) if err.args else "?"
        known = [p.name for p in (*system.invariants, *system.lemmas, *system.liveness)]
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        listed = ", ".join(known) if known else "none"
        raise UsageError(f"--inv {name}: {system.module} has no invariant, lemma or liveness property of that name{hint}; it has: "
                         f"{listed}, and the implicit 'range'") from None


def writable(path: str | None, what: str) -> None:
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


def write_itf_file(path: str, system, trace) -> None:
    from irqspec.runtime.itf import write_itf

    from ..itf_types import param_descriptors, var_descriptors

    try:
        write_itf(path, trace, var_descriptors(system), param_descriptors(system),
                  {"source": system.file, "irqspec::module": system.module})
    except OSError as err:
        raise UsageError(f"{path}: cannot write the trace: {err.strerror}") from None


def vacuity_warnings(system, certificate=None, timeout: float = 5.0) -> list[dict]:
    """Vacuity warnings (generator/smt/vacuity.py), printed on stderr and returned for --json."""
    from ..smt.vacuity import vacuity

    found = vacuity(system, certificate, timeout)
    for w in found:
        warn(w.message)
    return [{"kind": w.kind, "message": w.message, "actions": list(w.actions)} for w in found]


MEMORY_HELP = "memory limit in MB: past it the answer is unknown (exit 3), never a verdict"


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number of seconds or MB, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else positive(text)


def whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def positive_int(text: str) -> int:
    return whole(text, 1)


def nonnegative_int(text: str) -> int:
    return whole(text, 0)


def dask_client(address: str, timeout: float):
    """A client of the Dask scheduler at `address`, or a usage error (exit 2) saying why there is none."""
    try:
        from ..cluster import connect
    except ImportError:
        raise UsageError("--scheduler runs on Dask: pip install 'irqspec[dask]'") from None
    try:
        return connect(address, timeout)
    except ImportError:
        raise UsageError("--scheduler runs on Dask: pip install 'irqspec[dask]'") from None
    except (OSError, ValueError) as err:
        raise UsageError(f"--scheduler {address}: no Dask scheduler answers there ({err})") from None
