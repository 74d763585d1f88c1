"""An adapter wrapper that counts steps: every call of an action method is one step; reset() and observe() are not.

It also remembers the first exception the wrapped adapter raised (an implementation that cannot do what the model
did, or crashes, is killed as surely as one that shows another state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NOT_STEPS = frozenset({"reset", "observe"})


class CountingAdapter:
    """Wraps `inner` (a runtime/conformance.py adapter) and counts its action calls.

    `steps` counts every action call since the wrapper was made, `steps_since_reset` those since the last reset();
    `on_error(exc, steps)` is called when a call of the inner adapter raises, before the exception goes on."""

    def __init__(self, inner: Any, on_error: Callable[[BaseException, int], None] | None = None) -> None:
        self._inner = inner
        self._on_error = on_error
        self.steps = 0
        self.steps_since_reset = 0

    def reset(self) -> None:
        self.steps_since_reset = 0
        self._call(self._inner.reset)

    def observe(self) -> Any:
        return self._call(self._inner.observe)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except BaseException as err:
            if self._on_error is not None:
                self._on_error(err, self.steps)
            raise

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name in _NOT_STEPS or name.startswith("_") or not callable(attribute):
            return attribute

        def step(*args: Any, **kwargs: Any) -> Any:
            self.steps += 1
            self.steps_since_reset += 1
            return self._call(attribute, *args, **kwargs)

        step.__name__ = name
        return step
