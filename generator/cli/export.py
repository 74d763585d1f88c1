"""`irqspec export`: the spec written as a TLA+ module with its TLC configuration, or as a Quint module
(docs/export.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import OUT, UsageError, load_spec


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; -o names the folder to write the module into")
    if not out.exists() and not out.parent.is_dir():
        raise UsageError(f"{out}: its parent folder {out.parent} does not exist")
    front = load_spec(args)
    origin = f"{args.file}" + "".join(f" -D {d}" for d in args.define)
    if args.language == "quint":
        from ..export.quint import export_quint

        quint = export_quint(front.system, origin=origin)
        name, files, notes = quint.name, [(".qnt", quint.text)], quint.notes
        hint = f"check it with Quint: cd {out} && quint run --backend typescript {name}.qnt --invariant allInvariants"
    else:
        from ..export.tla import export_tla

        module = export_tla(front.system, deadlock=not args.no_deadlock, origin=origin)
        name, files, notes = module.name, [(".tla", module.tla), (".cfg", module.cfg)], module.notes
        hint = f"check it with TLC: cd {out} && java -jar tla2tools.jar -config {name}.cfg {name}.tla"
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for suffix, text in files:
            path = out / f"{name}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as err:
        raise UsageError(f"{out}: cannot write the module: {os.strerror(err.errno or 0) or err}") from None
    for note in notes:
        sys.stderr.write(f"irqspec: export: note: {note}\n")
    for path in written:
        OUT.write(f"wrote {path}\n")
    OUT.write(hint + "\n")
    return 0
