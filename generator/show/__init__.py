"""`irqspec show`: a trace as a page people read (docs/show.md): one lane per vCPU, a column per step, the actions
on the lanes of the vCPUs they act on, every register as it changes, the violated property and a lasso's loop
marked.

`shape` reads the trace (with the spec's IR, or inferring the types from the ITF values), `sheet` lays it out as
lanes, rows and runs of equal values, `svg` places that on a grid, `render` writes HTML or SVG through the
templates. Nothing here prints or exits; errors are `ShowError` values with a message naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping

from irqspec.runtime.trace import Trace

from .. import ir
from .render import render_html, render_svg
from .shape import Shape, ShowError, infer_shape, read_inferred_trace, read_spec_trace, spec_shape
from .sheet import Sheet, build_sheet


def sheet_of_itf(doc: object, what: str, system: ir.System | None = None, spec_file: str = "",
                 sources: Mapping[str, str] | None = None) -> Sheet:
    """The sheet of ITF document `doc` (named `what`, the trace file, in errors and on the page): read with
    `system`'s types, or with types inferred from the values when there is no spec."""
    if system is not None:
        shape = spec_shape(system)
        trace = read_spec_trace(doc, shape, what)
    else:
        shape = infer_shape(doc, what)
        trace = read_inferred_trace(doc, shape, what)
    return build_sheet(shape, trace, what, spec_file, sources)


def sheet_of_trace(system: ir.System, trace: Trace, spec_file: str = "",
                   sources: Mapping[str, str] | None = None) -> Sheet:
    """The sheet of a trace an engine found (`irqspec check --html`)."""
    return build_sheet(spec_shape(system), trace, "", spec_file, sources)


def render(sheet: Sheet, svg: bool = False) -> str:
    return render_svg(sheet) if svg else render_html(sheet)


__all__ = ["Shape", "Sheet", "ShowError", "build_sheet", "render", "render_html", "render_svg", "sheet_of_itf",
           "sheet_of_trace"]
