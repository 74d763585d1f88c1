"""The language server (`irqspec lsp`, docs/lsp.md) driven over stdio by a real LSP client (pytest-lsp, on pygls's
client): diagnostics as `irqspec parse` prints them, in the file they are in, cleared once the spec is fixed;
hover, go to definition across imports, completion; open buffers read in place of their files; names from the last
good parse while the buffer does not parse. One server for the whole module."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import io
import re
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from spec_paths import SPEC

from irqspec import cli

# one server for the module: its tests on one event loop, and on one xdist worker (--dist loadgroup)
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("lsp")]

EVTINJ = (SPEC / "svm_evtinj.irq").resolve()
LAPIC = (SPEC / "lib" / "lapic.irq").resolve()


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "irqspec.cli", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=SPEC.resolve().as_uri()))
    yield
    await lsp_client.shutdown_session()


# ------------------------------------------------------------------------------------------------------ helpers


async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The diagnostics published for `uri` after the last `forget` of it."""
    for _ in range(2000):
        if uri in client.diagnostics:
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.005)
    raise AssertionError(f"no diagnostics published for {uri}")


def forget(client: LanguageClient, *uris: str) -> None:
    for uri in uris:
        client.diagnostics.pop(uri, None)


async def open_doc(client: LanguageClient, path: Path, text: str) -> list[types.Diagnostic]:
    uri = path.as_uri()
    forget(client, uri)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="irqspec", version=1, text=text)))
    return await published(client, uri)


async def change_doc(client: LanguageClient, path: Path, text: str, version: int) -> list[types.Diagnostic]:
    uri = path.as_uri()
    forget(client, uri)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    return await published(client, uri)


async def close_doc(client: LanguageClient, path: Path) -> None:
    uri = path.as_uri()
    forget(client, uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await published(client, uri) == []


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The protocol position of the first `needle` in `text` (plus `offset` characters; ASCII text)."""
    before = text[:text.index(needle) + offset]
    return types.Position(line=before.count("\n"), character=len(before) - (before.rfind("\n") + 1))


async def hover_text(client: LanguageClient, path: Path, position: types.Position) -> str:
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=position))
    assert found is not None
    assert isinstance(found.contents, types.MarkupContent)
    return found.contents.value


async def definition(client: LanguageClient, path: Path, position: types.Position) -> types.Location:
    found = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=position))
    assert isinstance(found, types.Location)
    return found


# -------------------------------------------------------------------------------------- the error corpus


def error_corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Every spec text the error tests load (tests/test_errors.py, tests/test_error_hints.py), each in the folder
    its test wrote its other files to: each test is run with the front end's `load` recording what it is given."""
    cases: list[tuple[Path, str]] = []
    for name in ("test_errors", "test_error_hints"):
        module = importlib.import_module(name)
        real = module.load

        def recording(path, defines=None, include=(), text=None, _real=real):
            if text is not None and not defines and not include:
                cases.append((Path(path), text))
            return _real(path, defines, include, text=text)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(module, "load", recording)
            for test_name, test in vars(module).items():
                if test_name.startswith("test_") and list(inspect.signature(test).parameters) == ["tmp_path"]:
                    test(tmp_path_factory.mktemp(test_name[:30]))
    return cases


HEAD = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+):(?P<column>\d+))?: error: (?P<message>.*)$")


def parse_command_diagnostics(path: Path) -> set[tuple[str, int, int, str]]:
    """What `irqspec parse FILE` reports: (file URI, protocol line, UTF-16 column, message with its hint and notes
    on lines of their own), read from its stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(["parse", str(path)])
    found: list[list] = []
    for line in err.getvalue().split("\n"):
        head = HEAD.match(line)
        if head and not line.startswith(" "):
            file = head["file"]
            row, column = int(head["line"] or 0), int(head["column"] or 0)
            text = Path(file).read_text(encoding="utf-8").split("\n")[row - 1] if row else ""
            units = len(text[:max(0, column - 1)].encode("utf-16-le")) // 2
            found.append([Path(file).as_uri(), max(0, row - 1), units, head["message"]])
        elif line.startswith("  = ") and found:
            found[-1][3] += "\n= " + line[4:]
        elif line.startswith("  note: ") and found:
            found[-1][3] += "\nnote: " + line[8:]
    assert (code == 0) == (not found), err.getvalue()
    return {tuple(f) for f in found}  # type: ignore[misc]


async def test_diagnostics_are_those_of_irqspec_parse_on_every_spec_of_the_error_tests(
        client: LanguageClient, tmp_path_factory: pytest.TempPathFactory) -> None:
    cases = error_corpus(tmp_path_factory)
    assert len(cases) > 90
    for path, text in cases:
        path.write_text(text, encoding="utf-8")
        expected = parse_command_diagnostics(path)
        root = await open_doc(client, path, text)
        got = {(uri, d.range.start.line, d.range.start.character, d.message)
               for uri, ds in client.diagnostics.items() for d in ds}
        assert got == expected, text
        assert all(d.severity == types.DiagnosticSeverity.Error and d.source == "irqspec" for d in root)
        await close_doc(client, path)


# ------------------------------------------------------------------------------------------------ diagnostics


async def test_diagnostics_are_cleared_once_the_spec_is_fixed(client: LanguageClient) -> None:
    text = EVTINJ.read_text(encoding="utf-8")
    assert await open_doc(client, EVTINJ, text) == []
    broken = text.replace("let v = pending_vector(irr[c]", "let v = pending_vector(irq[c]")
    (d,) = await change_doc(client, EVTINJ, broken, 2)
    start = position_of(broken, "irq[c]")
    assert d.range == types.Range(start=start, end=types.Position(line=start.line, character=start.character + 3))
    assert d.message == "unknown name 'irq'\n= did you mean 'v_irq'?"
    assert await change_doc(client, EVTINJ, text, 3) == []
    await close_doc(client, EVTINJ)


async def test_ranges_count_columns_in_utf16_units(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "emoji.irq"
    text = "module m\nvar x: 0..3\ninit { x = 0 }\ninvariant i: x == \U0001f600 + 1\n"
    (d,) = await open_doc(client, path, text)
    assert d.message.startswith("unexpected character '\U0001f600'")
    # the front end's column 19, one character wide; the character is two UTF-16 units
    assert d.range == types.Range(start=types.Position(line=3, character=18), end=types.Position(line=3, character=20))
    await close_doc(client, path)


async def test_an_error_in_an_imported_module_is_published_to_that_module(client: LanguageClient,
                                                                          tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    lib = tmp_path / "lib" / "helpers.irq"
    lib.write_text("module helpers\ndef twice(a: 0..3): 0..3 = a * 2\n", encoding="utf-8")
    root = tmp_path / "spec.irq"
    text = "module spec\nimport helpers\nvar x: 0..3\ninit { x = 0 }\ninvariant i: twice(x) >= 0\n"
    assert await open_doc(client, root, text) == []
    (d,) = client.diagnostics[lib.as_uri()]
    assert d.message.startswith("value may be out of range: an integer in 0..6 is not inside")
    assert d.range.start == types.Position(line=1, character=27)
    await close_doc(client, root)
    assert list(client.diagnostics[lib.as_uri()]) == []


async def test_an_open_module_is_read_from_its_unsaved_buffer(client: LanguageClient, tmp_path: Path) -> None:
    lib = tmp_path / "helpers.irq"
    lib.write_text("module helpers\n", encoding="utf-8")
    root = tmp_path / "spec.irq"
    text = "module spec\nimport helpers\nvar x: 0..3\ninit { x = 0 }\ninvariant i: small(x)\n"
    (d,) = await open_doc(client, root, text)
    assert d.message.startswith("unknown function 'small'")
    forget(client, root.as_uri())
    await open_doc(client, lib, "module helpers\ndef small(a: 0..3): bool = a < 2\n")
    assert await published(client, root.as_uri()) == []  # the spec that imports it is checked again
    pos = position_of(text, "small(x)")
    location = await definition(client, root, pos)
    assert location.uri == lib.as_uri() and location.range.start == types.Position(line=1, character=4)
    forget(client, root.as_uri())
    await close_doc(client, lib)
    (d,) = await published(client, root.as_uri())  # back to the file on disk
    assert d.message.startswith("unknown function 'small'")
    await close_doc(client, root)


# ------------------------------------------------------------------------------------- hover and definition


async def test_hover_shows_the_declaration_and_doc_of_a_variable_a_def_and_an_action(client: LanguageClient) -> None:
    text = EVTINJ.read_text(encoding="utf-8")
    await open_doc(client, EVTINJ, text)
    shown = await hover_text(client, EVTINJ, position_of(text, "irr'[dst] = irr[dst]", 13))
    assert "var irr: Cpu -> bits[256]" in shown and "vLAPIC interrupt request register (vlapic.c)." in shown
    shown = await hover_text(client, EVTINJ, position_of(text, "pending_vector(irr[c]"))
    assert "def pending_vector(irr: bits[256], isr: bits[256], tpr: Vector): Vector" in shown
    assert "vlapic_pending_intr: the highest vector in IRR" in shown and "from module `lapic`" in shown
    shown = await hover_text(client, EVTINJ, position_of(text, "action vmrun", 8))
    assert "action vmrun(c: Cpu)" in shown and "svm_inj_interrupts before VMRUN, post-fix" in shown
    shown = await hover_text(client, EVTINJ, position_of(text, "let v = pending_vector", 4))
    assert "let v: Vector = pending_vector(irr[c], isr[c], tpr[c])" in shown  # the type the checker gave it
    shown = await hover_text(client, EVTINJ, position_of(text, "stage[c] == Running", 12))
    assert "Running: Stage" in shown and "member of enum `Stage`" in shown
    await close_doc(client, EVTINJ)


async def test_definition_goes_across_the_import_and_to_the_innermost_binder(client: LanguageClient) -> None:
    text = EVTINJ.read_text(encoding="utf-8")
    await open_doc(client, EVTINJ, text)
    location = await definition(client, EVTINJ, position_of(text, "pending_vector(irr[c]", 3))
    lapic = LAPIC.read_text(encoding="utf-8")
    assert location.uri == LAPIC.as_uri()
    assert location.range.start == position_of(lapic, "pending_vector(irr: bits[256]")
    # in guest_runs, in_guest is the parameter that shadows the state variable of that name
    location = await definition(client, EVTINJ, position_of(text, "in_guest and not pending_event"))
    assert location.uri == EVTINJ.as_uri()
    assert location.range.start == position_of(text, "in_guest: bool, pending_event")
    location = await definition(client, EVTINJ, position_of(text, "import lapic", 7))
    assert location.uri == LAPIC.as_uri() and location.range.start == position_of(lapic, "module lapic", 7)
    await close_doc(client, EVTINJ)


DOCUMENTED_LOCALS = """module m
type Stage = enum {
  --- nothing runs
  Idle,
  Busy
}
var s: Stage
init { s = Idle }
action go(
  --- the next stage
  next: Stage
) {
  --- the stage before
  let old = s
  s' = if old == Idle then next else Idle
}
"""


async def test_doc_comments_of_parameters_lets_and_enum_members_show_in_their_hover(client: LanguageClient,
                                                                                  tmp_path: Path) -> None:
    path = tmp_path / "m.irq"
    text = DOCUMENTED_LOCALS
    assert await open_doc(client, path, text) == []
    shown = await hover_text(client, path, position_of(text, "old == Idle", 8))
    assert "Idle: Stage" in shown and "nothing runs" in shown
    shown = await hover_text(client, path, position_of(text, "next else"))
    assert "next: Stage" in shown and "parameter of `go`" in shown and "the next stage" in shown
    shown = await hover_text(client, path, position_of(text, "old == Idle"))
    assert "let old: Stage = s" in shown and "the stage before" in shown
    await close_doc(client, path)


async def test_names_resolve_from_the_last_good_parse_while_the_buffer_does_not_parse(
        client: LanguageClient) -> None:
    text = EVTINJ.read_text(encoding="utf-8")
    await open_doc(client, EVTINJ, text)
    broken = text + "\naction unfinished(c: Cpu) {\n  irr'[c] = \n"
    diagnostics = await change_doc(client, EVTINJ, broken, 2)
    assert [d.message.split(";")[0] for d in diagnostics] == ["unexpected end of file"]
    shown = await hover_text(client, EVTINJ, position_of(text, "irr'[dst] = irr[dst]", 13))
    assert "var irr: Cpu -> bits[256]" in shown
    location = await definition(client, EVTINJ, position_of(text, "pending_vector(irr[c]"))
    assert location.uri == LAPIC.as_uri()
    await close_doc(client, EVTINJ)


# ------------------------------------------------------------------------------------------------ completion


async def test_completion_offers_the_locals_in_scope_the_globals_builtins_and_keywords(
        client: LanguageClient) -> None:
    text = EVTINJ.read_text(encoding="utf-8")
    await open_doc(client, EVTINJ, text)
    found = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=EVTINJ.as_uri()),
        position=position_of(text, "if exitintinfo[c].valid {")))
    assert isinstance(found, types.CompletionList)
    items = {item.label: item for item in found.items}
    for name in ("irr", "isr", "owed", "NCPU", "VECTORS", "Cpu", "Event", "Idle", "EoiSent", "guest_runs",
                 "pending_vector", "prio_class", "send_ipi", "vmrun", "v", "c", "highest", "forall", "requires"):
        assert name in items, name
    assert items["irr"].kind == types.CompletionItemKind.Variable
    assert items["irr"].detail == "var irr: Cpu -> bits[256]"
    assert items["pending_vector"].kind == types.CompletionItemKind.Function
    assert items["Idle"].kind == types.CompletionItemKind.EnumMember
    assert items["forall"].kind == types.CompletionItemKind.Keyword
    assert "src" not in items and "dst" not in items  # send_ipi's parameters are not in scope in vmrun
    assert "no_lost_ipi" not in items  # a property is never written in an expression
    await close_doc(client, EVTINJ)
