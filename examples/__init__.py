"""Worked examples: implementations that the generated reference models and suites are run against."""
