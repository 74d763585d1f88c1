"""lsp: the language server (docs/lsp.md) on stdin and stdout."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import EXIT_OK


def cmd_lsp(args: argparse.Namespace) -> int:
    from ..lsp.server import serve

    # stdout is the protocol's channel: the server writes to a duplicate of it, and file descriptor 1 (with
    # sys.stdout) goes to stderr, so that nothing printed by mistake, by us or a library, can break a message
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, channel, tuple(Path(p) for p in args.include))
    return EXIT_OK
