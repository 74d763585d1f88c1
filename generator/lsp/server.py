"""The pygls language server: open documents are checked on every change (full sync) and their diagnostics
published, to each file they are in; hover, definition and completion read the document's last analysis.

A document is checked with the other open .irq buffers standing in for their files, so an import of an unsaved
module sees its buffer; a change to a document re-checks the open documents that read it. Diagnostics are kept per
checked document and published per file as the union of every open document's, so a module imported by two open
specs shows its errors once, and closing one of them clears only what it alone reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import PositionCodec

from .. import __version__
from ..front.diagnostics import Diagnostic, Span
from ..front.modules import source_text
from ..front.symbols import Reference
from .analysis import Analysis, analyse
from .completion import completion_items
from .describe import hover_markdown
from .positions import from_position, lines_of, path_of, to_range, uri_of

SOURCE = "irqspec"


def diagnostic_message(d: Diagnostic) -> str:
    """The checker's message, then its hint and notes on lines of their own, as `irqspec parse` shows them."""
    return "\n".join([d.message] + ([f"= {d.hint}"] if d.hint else []) + [f"note: {n}" for n in d.notes])


class Documents:
    """The analyses of the open documents and the diagnostics each of them published."""

    def __init__(self, include: tuple[Path, ...]):
        self.include = include
        self.analyses: dict[str, Analysis] = {}  # document URI -> its last analysis
        self.published: dict[str, dict[str, list[types.Diagnostic]]] = {}  # document URI -> file URI -> diagnostics

    # -------------------------------------------------------------------------------------------------- checking
    def check(self, ls: LanguageServer, uri: str) -> Analysis:
        doc = ls.workspace.get_text_document(uri)
        buffers = {str(Path(d.path).resolve()): d.source for other, d in ls.workspace.text_documents.items()
                   if other != uri and d.path.endswith(".irq")}
        analysis = analyse(Path(path_of(uri)), doc.source, self.include, buffers, self.analyses.get(uri))
        self.analyses[uri] = analysis
        self.publish(ls, uri, self.diagnostics(ls, uri, analysis))
        return analysis

    def changed(self, ls: LanguageServer, uri: str) -> None:
        """Check a document that was opened or edited, then every open document that read its file."""
        self.check(ls, uri)
        self.recheck_readers(ls, uri)

    def closed(self, ls: LanguageServer, uri: str) -> None:
        self.analyses.pop(uri, None)
        self.publish(ls, uri, {})
        self.recheck_readers(ls, uri)  # they read the file from disk now

    def recheck_readers(self, ls: LanguageServer, uri: str) -> None:
        path = str(Path(path_of(uri)).resolve())
        for other, analysis in list(self.analyses.items()):
            if other != uri and path in analysis.reads():
                self.check(ls, other)

    # ----------------------------------------------------------------------------------------------- diagnostics
    def uri_for(self, ls: LanguageServer, file: str, analysis: Analysis, uri: str) -> str:
        """The URI of a file the front end names: the document's own, an open document's, or the file's."""
        if file == analysis.file:
            return uri
        resolved = Path(file).resolve()
        for other, doc in ls.workspace.text_documents.items():
            if Path(doc.path).resolve() == resolved:
                return other
        return uri_of(file)

    def diagnostics(self, ls: LanguageServer, uri: str, analysis: Analysis) -> dict[str, list[types.Diagnostic]]:
        codec = ls.workspace.position_codec
        out: dict[str, list[types.Diagnostic]] = {uri: []}
        for d in analysis.diagnostics:
            file = d.span.file
            known = file in analysis.sources or Path(file).is_file()
            target = self.uri_for(ls, file, analysis, uri) if known else uri
            span = d.span if known else Span(file, 0, 0)
            out.setdefault(target, []).append(types.Diagnostic(
                range=to_range(span, analysis.sources.get(file), codec), message=diagnostic_message(d),
                severity=types.DiagnosticSeverity.Error, source=SOURCE))
        return out

    def publish(self, ls: LanguageServer, uri: str, mine: dict[str, list[types.Diagnostic]]) -> None:
        """Replace the diagnostics `uri`'s check found and publish every file they change, the document's own
        last (so a client that has seen it has seen all of this check's)."""
        before = self.published.pop(uri, {})
        if mine:
            self.published[uri] = mine
        files = sorted((set(before) | set(mine)) - {uri}) + ([uri] if uri in before or uri in mine else [])
        for file in files:
            combined: list[types.Diagnostic] = []
            seen: set[tuple] = set()
            for found in self.published.values():
                for d in found.get(file, []):
                    key = (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
                           d.message)
                    if key not in seen:
                        seen.add(key)
                        combined.append(d)
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=file, diagnostics=combined))

    # ------------------------------------------------------------------------------------------------- names
    def analysis(self, ls: LanguageServer, uri: str) -> Analysis:
        return self.analyses.get(uri) or self.check(ls, uri)

    def cursor(self, ls: LanguageServer, uri: str, position: types.Position) -> tuple[int, int]:
        """The 1-based line and column of a position in the document as it is now."""
        lines = lines_of(source_text(ls.workspace.get_text_document(uri).source))
        return from_position(position, lines, ls.workspace.position_codec)

    def reference(self, ls: LanguageServer, uri: str, position: types.Position) -> tuple[Analysis, Reference] | None:
        analysis = self.analysis(ls, uri)
        if analysis.table is None:
            return None
        line, column = self.cursor(ls, uri, position)
        ref = analysis.table.at(analysis.file, line, column)
        return None if ref is None else (analysis, ref)


def create_server(include: tuple[Path, ...] = ()) -> LanguageServer:
    """The language server, its features registered; `include` are the -I folders imports are looked for in."""
    server = LanguageServer(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
    documents = Documents(tuple(p.resolve() for p in include))

    def range_of(analysis: Analysis, span, codec: PositionCodec) -> types.Range:
        return to_range(span, analysis.table_sources.get(span.file), codec)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        documents.changed(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        documents.changed(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        documents.closed(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = documents.reference(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, ref = found
        text = hover_markdown(ref.symbol, analysis.file, analysis.table_sources, analysis.module_names(),
                              analysis.lets)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                           range=range_of(analysis, ref.span, ls.workspace.position_codec))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: LanguageServer, params: types.DefinitionParams) -> types.Location | None:
        found = documents.reference(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, ref = found
        span = ref.symbol.span
        return types.Location(uri=documents.uri_for(ls, span.file, analysis, params.text_document.uri),
                              range=range_of(analysis, span, ls.workspace.position_codec))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
    def completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        analysis = documents.analysis(ls, uri)
        line, column = documents.cursor(ls, uri, params.position)
        items = completion_items(analysis.table, analysis.file, line, column, analysis.table_sources,
                                 analysis.lets)
        return types.CompletionList(is_incomplete=False, items=items)

    return server


def serve(stdin: BinaryIO, stdout: BinaryIO, include: tuple[Path, ...] = ()) -> None:
    """Answer the client on stdin and stdout until it says exit (or closes the stream)."""
    create_server(include).start_io(stdin, stdout)
