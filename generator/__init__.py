"""irqspec: formal specs of interrupt delivery, checked with Z3 and compiled into Python models and pytest suites.

The Python API (irqspec.api) is `load`, `check`, `prove` and `explore`; they are imported on first use, so that
generated suites, which import only irqspec.runtime, load none of the solver and front-end machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load", "check", "prove", "explore", "SpecError"]

if TYPE_CHECKING:
    from .api import check, explore, load, prove
    from .front.diagnostics import SpecError


def __getattr__(name: str) -> Any:
    if name in ("load", "check", "prove", "explore"):
        from . import api

        return getattr(api, name)
    if name == "SpecError":
        from .front.diagnostics import SpecError

        return SpecError
    raise AttributeError(f"module 'irqspec' has no attribute {name!r}")
