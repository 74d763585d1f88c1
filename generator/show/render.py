"""A sheet as text: a self-contained HTML page (inline CSS, no script, no font or anything else fetched), or an SVG
picture, through the Jinja2 templates in templates/. Every text from the trace or the spec reaches the output
through autoescaping; the same sheet always gives the same bytes."""

from __future__ import annotations

from functools import cache

import jinja2

from .sheet import Sheet
from .svg import layout


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("irqspec.show", "templates"),
                              undefined=jinja2.StrictUndefined, autoescape=True, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)


def render_html(sheet: Sheet) -> str:
    """The page: the verdict, the grid of lanes and steps, the steps as a story, the constants."""
    return environment().get_template("page.html.j2").render(sheet=sheet)


def render_svg(sheet: Sheet) -> str:
    """The grid and the verdict as one SVG picture (texts too long for their column cut, whole in a tooltip)."""
    return environment().get_template("sheet.svg.j2").render(sheet=sheet, box=layout(sheet))
