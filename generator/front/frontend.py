"""Spec file -> checked IR: the one entry point that the CLI, the backends' tests and the benchmarks use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..ir import System
from .check import build_system
from .diagnostics import SpecError
from .modules import load_modules


@dataclass
class Frontend:
    system: System
    sources: dict[str, str]  # every file read, for rendering diagnostics


def load(path: str | Path, defines: dict[str, str] | None = None, include: tuple[Path, ...] = (),
         text: str | None = None) -> Frontend:
    """Parse, resolve imports and check `path` (or `text`, named `path`); raise SpecError carrying the sources.

    `defines` maps constant names to override values as written after -D (e.g. {"NCPU": "3", "VECTORS": "16..255"}).
    """
    loaded = load_modules(Path(path), include, text)
    try:
        return Frontend(build_system(loaded.modules, defines), loaded.sources)
    except SpecError as err:
        raise SpecError(err.diagnostics, loaded.sources) from None


def load_system(path: str | Path, defines: dict[str, str] | None = None, text: str | None = None) -> System:
    """The IR of a spec, for callers that want only the system (tests, benchmarks, other backends)."""
    return load(path, defines, text=text).system
