"""The front end: spec text -> syntax tree -> checked IR (parse, modules, check), with positions and diagnostics.
`frontend.load` is its one entry point."""
