"""The irqspec grammar (irqspec.lark), shipped as package data so that an installed irqspec can read it."""
