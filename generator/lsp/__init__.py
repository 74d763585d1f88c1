"""The language server of .irq specs (`irqspec lsp`, docs/lsp.md), on pygls: diagnostics as you type, hover,
go to definition and completion, all from the front end (its diagnostics, its syntax tree, `front.symbols`).

`analysis` runs the front end on a buffer, `positions` converts between the front end's 1-based positions and the
protocol's, `describe` writes hovers, `completion` lists names, `server` is the pygls server. Nothing here prints:
stdout is the protocol's channel.
"""
