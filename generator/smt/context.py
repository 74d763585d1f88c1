"""Each top-level query of the Z3 backend runs in a Z3 context of its own.

Z3's answers depend on the history of the context they are computed in (term ids decide variable order in the SAT
solver), so within one process the same `check` could return a different one of several shortest traces depending
on what ran before, and tests would be flaky. A fresh context per call makes every call answer as a fresh process
would, and frees the call's terms when it returns. Only Python values leave a call, never Z3 terms.

The backend builds terms through Z3's default context (`z3.main_ctx()`), so the fresh context is installed as the
default for the duration of the call: z3py keeps it in the module global `z3.z3._main_ctx`. Not thread-safe, like
z3py's default context itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import z3
import z3.z3 as z3_module

F = TypeVar("F", bound=Callable)


@contextmanager
def fresh_context() -> Iterator[z3.Context]:
    """Make a new Z3 context the default one until the block ends (nested uses each get their own)."""
    previous = z3_module._main_ctx
    ctx = z3.Context()
    z3_module._main_ctx = ctx
    try:
        yield ctx
    finally:
        z3_module._main_ctx = previous


def in_fresh_context(fn: F) -> F:
    """Decorate a top-level entry point so that it runs in a fresh Z3 context."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with fresh_context():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
