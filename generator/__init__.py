"""irqspec: formal specs of interrupt delivery, checked with Z3 and compiled into Python models and pytest suites.

The Python API (irqspec.api) is `load`, `check`, `prove`, `explore`, `check_liveness` and `prove_liveness`; they are imported on first use, so that
generated suites, which import only irqspec.runtime, load none of the solver and front-end machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load", "check", "prove", "explore", "check_liveness", "prove_liveness", "SpecError"]

if TYPE_CHECKING:
    from .api import check, check_liveness, explore, load, prove, prove_liveness
    from .front.diagnostics import SpecError


def __getattr__(name: str) -> Any:
    if name in ("load", "check", "prove", "explore", "check_liveness", "prove_liveness"):
        from . import api

        return getattr(api, name)
    if name == "SpecError":
        from .front.diagnostics import SpecError

        return SpecError
    raise AttributeError(f"module 'irqspec' has no attribute {name!r}")
