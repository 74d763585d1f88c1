"""Finding, reading and parsing a spec and the modules it imports.

`import NAME` looks for NAME.irq beside the importing file, then in its lib/ folder, then in each include folder.
Returns the modules in dependency order (imports before importers) and the source text of every file read, which the
CLI needs to show the source line of an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, Span, SpecError
from .parse import parse_text
from .syntax import ImportDecl, ModuleAst


@dataclass
class Loaded:
    modules: list[ModuleAst]  # dependency order; the root module last
    sources: dict[str, str]  # file name (as shown in errors) -> text


def source_text(text: str) -> str:
    """The text of a spec as the lexer and every error position see it: a leading byte-order mark dropped (editors on
    Windows write one), CRLF and lone CR turned into LF. Lines end only at LF everywhere in the front end: the lexer
    ends a `--` comment there and counts lines by it, so a file of CR-only line endings would otherwise be one line
    whose first comment hides all that follows it."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: Path) -> str:
    """Read a spec file as UTF-8 (see `source_text`); a missing file, a directory or bad bytes become a positioned
    error."""
    name = str(path)
    if path.is_dir():
        raise SpecError([Diagnostic(Span(name, 0, 0), "is a directory, not a spec file")])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([Diagnostic(Span(name, 0, 0), "no such file")]) from None
    except OSError as err:
        raise SpecError([Diagnostic(Span(name, 0, 0), f"cannot read: {err.strerror}")]) from None
    try:
        return source_text(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        # the bytes before the bad one decode: place it as the lexer would, by characters on LF-ended lines
        before = source_text(data[:err.start].decode("utf-8"))
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        message = f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x})"
        raise SpecError([Diagnostic(Span(name, line, column), message, "save the spec as UTF-8")]) from None


def load_modules(path: Path, include: tuple[Path, ...] = (), text: str | None = None,
                 buffers: Mapping[str, str] | None = None) -> Loaded:
    """Parse `path` and, transitively, every module it imports; raise SpecError on any syntax or import error.

    `buffers` maps resolved file paths to text read instead of the file's (an editor's unsaved buffers)."""
    sources: dict[str, str] = {}
    order: list[ModuleAst] = []
    done: dict[str, ModuleAst] = {}
    errors: list[Diagnostic] = []

    def visit(file: Path, chain: tuple[str, ...], src: str | None) -> ModuleAst | None:
        key = str(file.resolve()) if src is None else str(file)
        if key in done:
            return done[key]
        name = str(file)
        if src is None and buffers is not None and key in buffers:
            src = buffers[key]
        source = read_source(file) if src is None else source_text(src)
        sources[name] = source
        try:
            module = parse_text(source, name)
        except SpecError as err:
            errors.extend(err.diagnostics)
            return None
        if module.name in chain:
            return module  # the importer reports the cycle
        for decl in module.decls:
            if not isinstance(decl, ImportDecl):
                continue
            if decl.name in chain + (module.name,):
                cycle = " -> ".join(chain[chain.index(decl.name):] + (module.name, decl.name)) \
                    if decl.name in chain else f"{module.name} -> {decl.name}"
                errors.append(Diagnostic(decl.span, f"import cycle: {cycle}"))
                continue
            target = _find(decl.name, file.parent, include)
            if target is None:
                looked = [str(file.parent / f"{decl.name}.irq"), str(file.parent / "lib" / f"{decl.name}.irq")]
                looked += [str(d / f"{decl.name}.irq") for d in include]
                errors.append(Diagnostic(decl.span, f"unknown module '{decl.name}'",
                                         "looked for " + ", ".join(looked)))
                continue
            try:
                imported = visit(target, chain + (module.name,), None)
            except SpecError as err:
                errors.extend(err.diagnostics)
                continue
            if imported is not None and imported.name != decl.name:
                errors.append(Diagnostic(decl.span, f"'{target}' declares module '{imported.name}', not "
                                         f"'{decl.name}'", "a module's file is named after it: NAME.irq"))
        done[key] = module
        order.append(module)
        return module

    try:
        visit(path, (), text)
    except SpecError as err:
        raise SpecError(list(err.diagnostics) + errors, sources) from None
    if errors:
        raise SpecError(errors, sources)
    return Loaded(order, sources)


def _find(name: str, here: Path, include: tuple[Path, ...]) -> Path | None:
    for folder in (here, here / "lib", *include):
        candidate = folder / f"{name}.irq"
        if candidate.is_file():
            return candidate
    return None
