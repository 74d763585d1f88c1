"""The Python backend: IR -> the reference model and the pytest suites (codegen, suites and their templates), and
the explorer that runs the generated model."""
