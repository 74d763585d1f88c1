"""Import a generated reference model from its source, without writing into the repository.

The source goes into a fresh temporary folder and is imported from there by importlib's file loader (no exec, eval or
compile of spec text here: the generator already guarantees the source is plain code built from escaped names and
literals). Each call gives a new module object under a unique name, so models of different specs, or of the same spec
at different sizes, never shadow each other.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from .. import ir
from .codegen import generate_model

_serial = itertools.count()


def import_model_source(source: str, name: str = "model") -> ModuleType:
    """The module that `source` (a generated model) defines, imported under a unique name."""
    module_name = f"_irqspec_model_{name}_{next(_serial)}"
    with tempfile.TemporaryDirectory(prefix="irqspec-model-") as folder:
        path = Path(folder) / f"{module_name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        # registered while it runs, as a normal import would, so code that looks itself up by name finds itself
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(module_name, None)
    return module


def load_model(system: ir.System, command: str = "irqspec explore") -> ModuleType:
    """Generate the reference model of `system` and import it."""
    source = generate_model(system, system.file, "", command)
    return import_model_source(source, system.module)
