"""Exports: the IR written in another tool's language (TLA+ with its TLC configuration), so that the peers' own
checkers can be run on the same behaviours (docs/export.md)."""
