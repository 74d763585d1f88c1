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
            source_lines = text.splitlines()
            if 0 < self.span.line <= len(source_lines):
                src = source_lines[self.span.line - 1].expandtabs(1)
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
                    width = self.span.end_column - self.span.column
                lines.append(f"    {src}")
                lines.append("    " + " " * (self.span.column - 1) + "^" * max(1, width))
        if self.hint:
            lines.append(f"  = {self.hint}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


class SpecError(Exception):
    """Raised when a stage cannot continue; carries every diagnostic found so far, in source order."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], sources: dict[str, str] | None = None):
        ordered = sorted(diagnostics, key=lambda d: (d.span.file, d.span.line, d.span.column))
        self.diagnostics: tuple[Diagnostic, ...] = tuple(ordered)
        self.sources: dict[str, str] = dict(sources or {})  # the text of every file read, to show source lines
        super().__init__("\n".join(f"{d.span}: {d.message}" for d in self.diagnostics))

    def render(self, sources: dict[str, str] | None = None) -> str:
        return "\n".join(d.render(self.sources if sources is None else sources) for d in self.diagnostics)
