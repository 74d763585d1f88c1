"""Replaying traces on a generated model, alone or in lockstep with a real implementation through an adapter.

An adapter drives an implementation (an emulator, a hypervisor test harness) the way the spec's actions do:

    class MyAdapter:
        observes = ("irr", "isr", "in_guest")        # the spec variables observe() returns (a projection)
        actions = {"send_ipi": "send_ipi", ...}       # optional: spec action -> method name (default: the same name)

        def reset(self) -> None: ...                  # back to the spec's initial state
        def send_ipi(self, src, dst, v) -> None: ...  # one method per action, parameters by the spec's names
        def observe(self) -> dict: ...               # {spec variable: value in the IR value representation}

Values use the IR value representation (bits[N] as int, enum as member name, record as tuple, map as tuple over the
domain). Replay reports the first divergence: the step, the action, the variable, expected and observed.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol, Sequence, runtime_checkable


@runtime_checkable
class Adapter(Protocol):
    observes: Sequence[str]

    def reset(self) -> None: ...

    def observe(self) -> Mapping[str, Any]: ...


@dataclass  # not frozen: Python sets __traceback__ on an exception as it propagates
class Divergence(AssertionError):
    """Where the model and the recorded trace, or the model and the implementation, first part ways."""

    step: int
    action: str | None
    variable: str
    expected: object
    observed: object
    detail: str = ""

    def __str__(self) -> str:
        what = f"after step {self.step} ({self.action})" if self.action else "in the initial state"
        text = f"divergence {what}: {self.variable} expected {self.expected}, observed {self.observed}"
        return text + (f"; {self.detail}" if self.detail else "")


def _show(model: Any, name: str, value: object) -> str:
    from .model import format_value

    desc = getattr(model, "VAR_TYPES", {}).get(name)
    return format_value(value, desc) if desc is not None else repr(value)


def state_dict(model: Any, s: Any) -> dict[str, object]:
    """A model state as {variable: value}."""
    return model.state_to_dict(s)


def compare(model: Any, step: int, action: str | None, expected: Mapping[str, object],
            observed: Mapping[str, object], names: Iterable[str], source: str, reference: str = "the model") -> None:
    """Raise Divergence on the first variable (in declaration order) whose value in `observed` (what `source` shows)
    differs from `expected` (what `reference` says)."""
    for name in names:
        if name not in observed:
            raise Divergence(step, action, name, _show(model, name, expected[name]), "<not observed>",
                             f"{source} gave no value for it")
        if observed[name] != expected[name]:
            raise Divergence(step, action, name, _show(model, name, expected[name]),
                             _show(model, name, observed[name]), f"{source} differs from {reference}")


def expand_steps(initial: Mapping[str, object],
                 steps: Iterable[tuple[str | None, Mapping[str, object], Mapping[str, object]]]) -> list:
    """Recorded steps that list only the variables they change -> the same steps with full expected states (how
    generated tests store traces: the initial state once, then each step's changes)."""
    state: dict[str, object] = dict(initial)
    out = []
    for action, params, changed in steps:
        state = {**state, **changed}
        out.append((action, params, state))
    return out


def replay(model: Any, steps: Sequence[tuple[str | None, Mapping[str, object], Mapping[str, object]]],
           adapter: Adapter | None = None) -> Any:
    """Replay recorded steps (action, params, expected state) on the model, and on `adapter` in lockstep if given.

    Every step must be enabled in the model and lead to the recorded state; the implementation must show the same
    values for the variables it observes. Returns the model's last state; raises Divergence otherwise.
    """
    names = list(model.VAR_TYPES)
    s = model.initial_state()
    first_action, _, first_state = steps[0]
    if first_action is not None:
        raise ValueError("a trace starts with the initial state (no action)")
    compare(model, 0, None, first_state, state_dict(model, s), names, "the model", "the recorded trace")
    if adapter is not None:
        adapter.reset()
        compare(model, 0, None, state_dict(model, s), adapter.observe(), adapter.observes, "the implementation")
    for i, (action, params, expected) in enumerate(steps[1:], start=1):
        assert action is not None
        info = model.ACTIONS.get(action)
        if info is None:
            raise Divergence(i, action, "<action>", "an action of the spec", action, "unknown action")
        args = [params[p] for p, _ in info.params]
        if not info.enabled(s, *args):
            raise Divergence(i, action, "<enabled>", True, False, f"{action}{tuple(args)} is not enabled in the model")
        s = info.apply(s, *args)
        compare(model, i, action, expected, state_dict(model, s), names, "the model", "the recorded trace")
        if adapter is not None:
            method = getattr(adapter, getattr(adapter, "actions", {}).get(action, action))
            method(**dict(params))
            compare(model, i, action, state_dict(model, s), adapter.observe(), adapter.observes, "the implementation")
    return s


def lockstep(model: Any, adapter: Adapter, run: Sequence[tuple[str, Mapping[str, object]]]) -> Any:
    """Step model and implementation together through (action, params) pairs; raise Divergence at the first step
    where the implementation's observed state differs. Returns the model's last state."""
    s = model.initial_state()
    adapter.reset()
    compare(model, 0, None, state_dict(model, s), adapter.observe(), adapter.observes, "the implementation")
    for i, (action, params) in enumerate(run, start=1):
        info = model.ACTIONS[action]
        s = info.apply(s, *[params[p] for p, _ in info.params])
        getattr(adapter, getattr(adapter, "actions", {}).get(action, action))(**dict(params))
        compare(model, i, action, state_dict(model, s), adapter.observe(), adapter.observes, "the implementation")
    return s
