"""Positions between the front end and the protocol.

The front end counts lines and columns from 1, columns in characters (code points) on lines ended by LF
(`modules.source_text`); the protocol counts both from 0, columns in the units the client and server agreed on at
initialization (UTF-16 unless the client offers another), which pygls's `PositionCodec` converts.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec

from ..front.diagnostics import Span


def lines_of(text: str | None) -> list[str]:
    """The lines of a text as the front end counts them."""
    return [] if text is None else text.split("\n")


def to_position(lines: list[str], line: int, column: int, codec: PositionCodec) -> types.Position:
    """The protocol position of a 1-based line and column (line 0: the start of the file)."""
    if line <= 0:
        return types.Position(line=0, character=0)
    if line > len(lines):  # a text the span does not belong to: keep its numbers
        return types.Position(line=line - 1, character=max(0, column - 1))
    return types.Position(line=line - 1, character=codec.client_num_units(lines[line - 1][:max(0, column - 1)]))


def to_range(span: Span, text: str | None, codec: PositionCodec) -> types.Range:
    """The protocol range of a span of the text; a span without an end is the empty range at its start."""
    lines = lines_of(text)
    start = to_position(lines, span.line, span.column, codec)
    if span.end_line <= 0 or (span.end_line, span.end_column) < (span.line, span.column):
        return types.Range(start=start, end=start)
    return types.Range(start=start, end=to_position(lines, span.end_line, span.end_column, codec))


def from_position(position: types.Position, lines: list[str], codec: PositionCodec) -> tuple[int, int]:
    """The 1-based line and character column of a protocol position in a document's lines."""
    server = codec.position_from_client_units(lines, types.Position(line=position.line,
                                                                    character=position.character))
    return server.line + 1, server.character + 1


def uri_of(file: str) -> str:
    """The URI of a file as the front end names it (the path it was given, or one beside it)."""
    return from_fs_path(file) or file


def path_of(uri: str) -> str:
    return to_fs_path(uri) or uri
