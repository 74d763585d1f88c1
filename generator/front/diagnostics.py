"""Source positions and errors as values.

Every stage below the CLI reports problems as `Diagnostic` values carrying a `Span`; the CLI is the only place that
prints them. `SpecError` carries one or more diagnostics up through the stages that cannot go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A region of one source file: 1-based line and column of its start and end."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:  # the whole file (missing, unreadable) or a command-line option (-D NAME)
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<builtin>", 0, 0)


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a spec, with where it is and, when known, what was expected."""

    span: Span
    message: str
    hint: str = ""
    notes: tuple[str, ...] = field(default=())

    def render(self, sources: dict[str, str]) -> str:
        """Format as `file:line:col: error: message`, the source line, a caret under the column, and the hint."""
        lines = [f"{self.span}: error: {self.message}"]
        text = sources.get(self.span.file)
        if text is not None and self.span.line > 0:
            # lines end at LF only, as the lexer counts them: str.splitlines() would also break at form feeds, U+2028
            # and the like inside comments, and show a line other than the one the position names
            source_lines = text.split("\n")
            if 0 < self.span.line <= len(source_lines):
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
                    width = self.span.end_column - self.span.column
                src, column, width = _shown(source_lines[self.span.line - 1], self.span.column, width)
                lines.append(f"    {src}")
                lines.append("    " + " " * (column - 1) + "^" * width)
        if self.hint:
            lines.append(f"  = {self.hint}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


# Characters a terminal would break the shown line at (or that move its cursor): shown as a space, one column each.
_LINE_BREAKING = str.maketrans({c: " " for c in "\t\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"})
_SHOWN_WIDTH = 160  # longer source lines are shown as a window around the column


def _shown(line: str, column: int, width: int) -> tuple[str, int, int]:
    """The source line as shown under an error, the column and the width of the caret in it."""
    line = line.translate(_LINE_BREAKING)
    width = max(1, width)
    if len(line) <= _SHOWN_WIDTH:
        return line, column, width
    start = max(0, column - 1 - _SHOWN_WIDTH // 3)
    window = line[start:start + _SHOWN_WIDTH]
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + _SHOWN_WIDTH < len(line) else ""
    column = column - start + len(prefix)
    width = max(1, min(width, len(prefix) + len(window) - column + 1))
    return prefix + window + suffix, column, width


class SpecError(Exception):
    """Raised when a stage cannot continue; carries every diagnostic found so far, in source order."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], sources: dict[str, str] | None = None):
        ordered = sorted(diagnostics, key=lambda d: (d.span.file, d.span.line, d.span.column))
        self.diagnostics: tuple[Diagnostic, ...] = tuple(ordered)
        self.sources: dict[str, str] = dict(sources or {})  # the text of every file read, to show source lines
        super().__init__("\n".join(f"{d.span}: {d.message}" for d in self.diagnostics))

    def render(self, sources: dict[str, str] | None = None) -> str:
        return "\n".join(d.render(self.sources if sources is None else sources) for d in self.diagnostics)
