"""Traces: a run of a spec as a sequence of states, each reached by one action.

A trace is what the Z3 backend reports (a counterexample, a path to a cover goal) and what replay and ITF read and
write. Values are in the IR value representation (see `generator.ir`): bool, int, bits[N] as an int, enum as the
member name, record as a tuple of field values, map as a tuple over the domain in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One state of a trace and the action (with its parameter values) that produced it; the first state has none."""

    action: str | None
    params: dict[str, object]
    state: dict[str, object]


@dataclass(frozen=True)
class Trace:
    """A run from an initial state. `violated` names the property the last state breaks (if any) and `witness` holds
    the values that show it (the quantified variables of an invariant, or the action of a range violation).

    A lasso (a counterexample to a liveness property) has `loop` set: its last state repeats the state at index
    `loop`, so the steps after `loop` repeat forever. There a step with no action after the first is a stutter."""

    steps: tuple[Step, ...]
    violated: str | None = None
    witness: dict[str, object] = field(default_factory=dict)
    loop: int | None = None

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def last(self) -> Step:
        return self.steps[-1]

    def actions(self) -> tuple[str, ...]:
        """The names of the actions taken, in order (the first state has none)."""
        return tuple(s.action for s in self.steps[1:] if s.action is not None)
