"""The result of a proof attempt, shared by the engines (kept apart so that every engine and `prove` can use it)."""

from __future__ import annotations

from dataclasses import dataclass

from irqspec.runtime.trace import Trace

from .certificate import Certificate
from .inductive import CTI


@dataclass(frozen=True)
class ProofResult:
    """"proved" (with a re-checked certificate), "refuted" (with a counterexample trace from an initial state), or
    "unknown" (with the reason, and for a failed induction the counterexample to induction). `engine` is the engine
    that gave the answer; `invariant` names the property a refutation breaks."""

    status: str  # "proved" | "refuted" | "unknown"
    engine: str
    certificate: Certificate | None = None
    cti: CTI | None = None
    trace: Trace | None = None
    invariant: str | None = None
    reason: str = ""
    elapsed: float = 0.0
    lemmas: tuple[str, ...] = ()  # engine infer: the lemmas it found, as spec source (each `lemma NAME: ...`)


def interrupted(reason: str) -> bool:
    """Whether an engine's "unknown" is the user's Ctrl-C: Z3 catches SIGINT itself and answers unknown with one of
    these reasons. The engines label their own time limits "timeout", so a reason of Z3's cancellation that is not
    a timeout is an interruption, never a result."""
    return "interrupted from keyboard" in reason or "canceled" in reason
