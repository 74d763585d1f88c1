"""Exports: the IR written in another tool's language (TLA+ with its TLC configuration, Quint), so that the peers'
own checkers can be run on the same behaviours (docs/export.md). Here: the templates' Jinja2 environment."""

from __future__ import annotations

import jinja2


def environment() -> jinja2.Environment:
    """The templates of the exports (templates/), undefined names an error."""
    return jinja2.Environment(loader=jinja2.PackageLoader("irqspec.export", "templates"),
                              undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)
