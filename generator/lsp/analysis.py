"""One run of the front end on an editor's buffer: its diagnostics, and the names of its last good parse.

The run is `irqspec parse`'s (`modules.load_modules`, then `check.build_system`, as `frontend.load` does them), so
the editor shows exactly the diagnostics the command prints. Imports resolve as they do there (beside the file, its
lib/ folder, the -I folders), reading a module that is open in the editor from its buffer. When the buffer does not
parse, hover, definition and completion go on from the last parse that succeeded (its positions, its text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import ir
from ..front.check import build_system
from ..front.diagnostics import Diagnostic, SpecError
from ..front.modules import load_modules, source_text
from ..front.parse import parse_text
from ..front.symbols import SymbolTable, let_types, symbol_table
from ..front.syntax import ModuleAst


@dataclass(frozen=True)
class Analysis:
    """What the front end made of one document."""

    file: str  # the document's file, as its spans name it
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, str]  # every file read, by the name its spans carry
    modules: tuple[ModuleAst, ...] = ()  # the last good parse, the document's module last
    table: SymbolTable | None = None  # the names of `modules`
    table_sources: dict[str, str] = field(default_factory=dict)  # the texts `table`'s positions are in
    lets: dict[tuple[str, int, int], ir.Type] = field(default_factory=dict)  # let types of the last clean check

    def reads(self) -> frozenset[str]:
        """The resolved paths of every file this run read (a change to one of them calls for a new run)."""
        return frozenset(str(Path(name).resolve()) for name in self.sources)

    def module_names(self) -> dict[str, str]:
        """File name -> module name, for the modules of `table`."""
        return {m.file: m.name for m in self.modules}


def analyse(path: Path, text: str, include: tuple[Path, ...] = (), buffers: Mapping[str, str] | None = None,
            previous: Analysis | None = None) -> Analysis:
    """Run the front end on `text`, the buffer of `path`; `buffers` are other open buffers by resolved path;
    `previous` is this document's last analysis, whose names stand in while the buffer does not parse."""
    name = str(path)
    try:
        loaded = load_modules(path, include, text, buffers)
    except SpecError as err:
        return _unparsed(name, text, err, previous)
    sources = dict(loaded.sources)
    table = symbol_table(loaded.modules, sources)
    try:
        system = build_system(loaded.modules)
    except SpecError as err:
        return Analysis(name, err.diagnostics, sources, tuple(loaded.modules), table, sources)
    return Analysis(name, (), sources, tuple(loaded.modules), table, sources, let_types(system))


def _unparsed(name: str, text: str, err: SpecError, previous: Analysis | None) -> Analysis:
    """The diagnostics of a run that stopped before checking, with the best names at hand: the document's own
    module if it parses alone (an import failed) beside the previous run's imports, else the previous run's."""
    sources = dict(err.sources)
    kept = previous if previous is not None and previous.table is not None else None
    try:
        root = parse_text(source_text(text), name)
    except SpecError:
        if kept is None:
            return Analysis(name, err.diagnostics, sources)
        return Analysis(name, err.diagnostics, sources, kept.modules, kept.table, kept.table_sources, kept.lets)
    imports = tuple(m for m in kept.modules if m.file != name) if kept is not None else ()
    modules = imports + (root,)
    texts = {**(kept.table_sources if kept is not None else {}), name: source_text(text)}
    return Analysis(name, err.diagnostics, sources, modules, symbol_table(modules, texts), texts)
