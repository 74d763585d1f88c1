"""Mutated copies of the port: examples/bhyve_svm with one mutant's edits, written to a temporary folder and imported
under a package name of its own (`bhyve_svm_mutant_<name>`), so the real port is never touched and any number of
mutants live side by side in one process. The port's modules import each other relatively, so a copy under another
name is a complete, independent port.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Self

from .catalogue import Mutant

ROOT = Path(__file__).resolve().parents[2]
PORT_DIR = ROOT / "examples" / "bhyve_svm"


class EditDoesNotApply(Exception):
    """A mutant's old text is not in the port exactly once (the port changed since the mutant was written)."""


def mutated_sources(mutant: Mutant | None) -> dict[str, str]:
    """{file name: text} of every module of the port, with `mutant`'s edits applied (none for None)."""
    sources = {path.name: path.read_text() for path in sorted(PORT_DIR.glob("*.py"))}
    if mutant is None:
        return sources
    for edit in mutant.edits:
        if edit.file not in sources:
            raise EditDoesNotApply(f"mutant {mutant.name}: the port has no module {edit.file}")
        count = sources[edit.file].count(edit.old)
        if count != 1:
            raise EditDoesNotApply(f"mutant {mutant.name}: {edit.file} holds its old text {count} times, not "
                                   f"once: {edit.old!r}")
        sources[edit.file] = sources[edit.file].replace(edit.old, edit.new)
    return sources


def package_name(mutant: Mutant | None) -> str:
    """The name a copy of the port is imported under."""
    return "bhyve_svm_unmutated" if mutant is None else f"bhyve_svm_mutant_{mutant.name}"


class PortCopies:
    """A temporary folder of mutated copies of the port, on sys.path while open:

        with PortCopies() as ports:
            adapters = ports.adapters(mutant)      # the copy's adapters module; adapters.postfix_adapter(...)
    """

    def __enter__(self) -> Self:
        self._dir = Path(tempfile.mkdtemp(prefix="irqspec-mutants-"))
        sys.path.insert(0, str(self._dir))
        self._packages: list[str] = []
        return self

    def adapters(self, mutant: Mutant | None) -> ModuleType:
        """Write the copy of the port with `mutant`'s edits (None: unmutated) and import its adapters module."""
        name = package_name(mutant)
        if name not in self._packages:
            folder = self._dir / name
            folder.mkdir()
            for file, text in mutated_sources(mutant).items():
                (folder / file).write_text(text)
            self._packages.append(name)
        return importlib.import_module(f"{name}.adapters")

    def __exit__(self, *exc: object) -> None:
        for module in [m for m in sys.modules if m.split(".")[0] in self._packages]:
            del sys.modules[module]
        if str(self._dir) in sys.path:
            sys.path.remove(str(self._dir))
        shutil.rmtree(self._dir, ignore_errors=True)


def iter_mutants(mutants: tuple[Mutant, ...], names: list[str] | None) -> Iterator[Mutant]:
    """The mutants named in `names` (all when None), in catalogue order; an unknown name is an error."""
    known = {m.name for m in mutants}
    unknown = sorted(set(names or ()) - known)
    if unknown:
        raise KeyError(f"no such mutant: {', '.join(unknown)}")
    return (m for m in mutants if names is None or m.name in names)
