"""Replaying traces on a generated model, alone or in lockstep with a real implementation through an adapter.

An adapter drives an implementation (an emulator, a hypervisor test harness) the way the spec's actions do:

    class MyAdapter:
        observes = ("irr", "isr", "in_guest")        # the spec variables observe() returns (a projection)
        actions = {"send_ipi": "send_ipi", ...}       # optional: spec action -> method name (default: the same name)
        refuses = True                                # optional: action methods raise Refused for a step the
                                                      #   implementation does not take in its current state
        atomic = (("vmrun", "deliver_event"),)        # optional: spec action sequences that are one step here
        derived = {"ppr": ("ppr", ("tpr", "isr"))}    # optional: observables that are defs of the spec over
                                                      #   variables (here per vCPU: ppr(tpr[c], isr[c]))

        def reset(self) -> None: ...                  # back to the spec's initial state
        def send_ipi(self, src, dst, v) -> None: ...  # one method per action, parameters by the spec's names
        def observe(self) -> dict: ...               # {spec variable: value in the IR value representation}

Values use the IR value representation (bits[N] as int, enum as member name, record as tuple, map as tuple over the
domain). Replay reports the first divergence: the step, the action, the variable, expected and observed.

Two outcomes besides agreeing and diverging, each raised by the adapter with the implementation left unchanged:
- `Refused`: the implementation does not take this step in its state (its precondition is false there). Where the
  model takes the step, that is a divergence; the generated refusal tests (`refuse`) expect it, for steps the spec
  forbids, when the adapter declares `refuses = True` (else they are not realizable on it).
- `NotRealizable`: the implementation cannot execute the step as the spec splits it here. The test is then reported
  as not realizable on this implementation (irqspec's pytest plugin skips it with the reason and counts it: never a
  pass), and a random run of the property test drops the step and goes on.

A derived observable `name: (def, (var, ...))` is a value the implementation keeps that the spec computes with a def
(PPR is a register of the vLAPIC; in the spec it is `ppr(tpr, isr)`): observe() returns it under `name`, and it is
compared with the def applied to the model's variables, entry by entry when they are maps over one domain (one value
per vCPU), else to the variables themselves.

An atomic step `(a, b, c)` says: when the implementation takes `a`, it goes on with `b` and then `c` at once, each
if the spec enables it then, with the parameters of the same names. Replay calls the adapter once for the chain and
compares after its last step; a trace that stops inside a chain or leaves it is not realizable on this adapter.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol, Sequence, runtime_checkable

from .values import RangeViolation


@runtime_checkable
class Adapter(Protocol):
    observes: Sequence[str]

    def reset(self) -> None: ...

    def observe(self) -> Mapping[str, Any]: ...


class Refused(Exception):
    """Raised by an adapter's action method: the implementation does not take this step in its current state (and
    is left unchanged)."""


class NotRealizable(Exception):
    """The step cannot be executed on this implementation as the spec splits it: raised by an adapter's action
    method (the implementation left unchanged), or by `replay` for a trace that breaks one of the adapter's atomic
    steps. A test that meets it is not realizable on the implementation: skipped with the reason, never passed."""


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


def derived_values(model: Any, state: Mapping[str, object], adapter: Any) -> dict[str, object]:
    """The adapter's derived observables (see the module doc) computed on a model state given as {variable: value}."""
    out: dict[str, object] = {}
    for name, (func, args) in (getattr(adapter, "derived", None) or {}).items():
        try:
            f = model.FUNCTIONS[func]
        except KeyError:
            raise ValueError(f"derived observable {name}: the spec has no def {func!r}") from None
        missing = [a for a in args if a not in state]
        if missing:
            raise ValueError(f"derived observable {name}: the spec has no variables {missing}")
        columns = [state[a] for a in args]
        maps = [getattr(model, "VAR_TYPES", {}).get(a, ("",))[0] == "map" for a in args]
        if args and all(maps) and len({len(c) for c in columns}) == 1:  # type: ignore[arg-type]
            out[name] = tuple(f(*entry) for entry in zip(*columns))  # type: ignore[call-overload]
        else:
            out[name] = f(*columns)
    return out


def check_implementation(model: Any, step: int, action: str | None, s: Any, adapter: Adapter,
                         source: str = "the implementation") -> None:
    """Compare what the implementation observes, its derived observables included, with the model's state `s`."""
    expected = state_dict(model, s)
    derived = derived_values(model, expected, adapter)
    names = list(adapter.observes) + [n for n in derived if n not in adapter.observes]
    compare(model, step, action, {**expected, **derived}, adapter.observe(), names, source)


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


def _method(adapter: Any, action: str):
    return getattr(adapter, getattr(adapter, "actions", {}).get(action, action))


def take(adapter: Any, step: int, action: str, params: Mapping[str, object]) -> None:
    """One step of the implementation through its adapter; a refusal where the model takes the step diverges."""
    try:
        _method(adapter, action)(**dict(params))
    except Refused as refusal:
        raise Divergence(step, action, "<enabled>", True, False,
                         "the implementation refused the step" + (f": {refusal}" if str(refusal) else "")) from None


def atomic_chains(model: Any, adapter: Any) -> dict[str, tuple[str, ...]]:
    """The adapter's atomic steps as {first action: the actions that follow it}, checked against the model by
    `chains_of`."""
    return chains_of(getattr(adapter, "atomic", ()) or (), {a: [p for p, _ in info.params]
                                                            for a, info in model.ACTIONS.items()})


def chains_of(atomic: Any, params: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Atomic steps (action sequences) as {first action: the actions that follow it}, checked against the actions of
    a spec ({action: its parameter names}): every action a spec action, every follower's parameters among the first
    action's, no two steps starting alike. The one statement of the rule: the generator checks `gen --atomic` with it
    too. Raises ValueError naming what is wrong."""
    chains: dict[str, tuple[str, ...]] = {}
    for seq in atomic:
        seq = tuple(seq)
        if len(seq) < 2 or any(a not in params for a in seq):
            raise ValueError(f"atomic step {'+'.join(map(str, seq))}: wants two or more actions of the spec "
                             f"({', '.join(params)})")
        first = set(params[seq[0]])
        for a in seq[1:]:
            missing = [p for p in params[a] if p not in first]
            if missing:
                raise ValueError(f"atomic step {'+'.join(seq)}: {a} has parameters {missing} that {seq[0]} does not")
        if seq[0] in chains:
            raise ValueError(f"two atomic steps start with {seq[0]}")
        chains[seq[0]] = seq[1:]
    return chains


def chain_after(model: Any, chains: Mapping[str, tuple[str, ...]], s: Any, action: str,
                params: Mapping[str, object]) -> list[tuple[str, dict[str, object]]]:
    """The steps an implementation whose atomic steps are `chains` also takes, at once, after `action(params)` led
    the model to `s`: each follower the model enables then, in order, with the parameters of the same names."""
    out = []
    for follower in chains.get(action, ()):
        info = model.ACTIONS[follower]
        args = {p: params[p] for p, _ in info.params}
        if info.enabled(s, *args.values()):
            s = info.apply(s, *args.values())
            out.append((follower, args))
    return out


def replay(model: Any, steps: Sequence[tuple[str | None, Mapping[str, object], Mapping[str, object]]],
           adapter: Adapter | None = None) -> Any:
    """Replay recorded steps (action, params, expected state) on the model, and on `adapter` in lockstep if given.

    Every step must be enabled in the model and lead to the recorded state; the implementation must show the same
    values for the variables it observes (after each of its atomic steps, when it declares some). Returns the model's
    last state; raises Divergence otherwise, and NotRealizable where the adapter does, or where the trace stops
    inside or leaves one of the adapter's atomic steps.
    """
    names = list(model.VAR_TYPES)
    s = model.initial_state()
    first_action, _, first_state = steps[0]
    if first_action is not None:
        raise ValueError("a trace starts with the initial state (no action)")
    compare(model, 0, None, first_state, state_dict(model, s), names, "the model", "the recorded trace")
    chains = atomic_chains(model, adapter) if adapter is not None else {}
    if adapter is not None:
        adapter.reset()
        check_implementation(model, 0, None, s, adapter)
    pending: list[tuple[str, dict[str, object]]] = []  # the rest of the atomic step under way
    for i, (action, params, expected) in enumerate(steps[1:], start=1):
        assert action is not None
        info = model.ACTIONS.get(action)
        if info is None:
            raise Divergence(i, action, "<action>", "an action of the spec", action, "unknown action")
        args = [params[p] for p, _ in info.params]
        if not info.enabled(s, *args):
            raise Divergence(i, action, "<enabled>", True, False, f"{action}{tuple(args)} is not enabled in the model")
        try:
            after = info.apply(s, *args)
        except RangeViolation as err:  # the recorded step leaves a variable's range: no step of the spec
            raise Divergence(i, action, "<range>", "a step inside every variable's range", str(err),
                             f"{_call_text(action, params)} leaves a range in the model") from None
        if pending:
            if pending[0] != (action, dict(params)):
                raise NotRealizable(f"step {i}: the implementation takes {_call_text(*pending[0])} at once with the "
                                    f"step before; the trace takes {_call_text(action, params)}")
            pending.pop(0)
        elif adapter is not None:
            pending = chain_after(model, chains, after, action, params)
            take(adapter, i, action, params)
        s = after
        compare(model, i, action, expected, state_dict(model, s), names, "the model", "the recorded trace")
        if adapter is not None and not pending:
            check_implementation(model, i, action, s, adapter)
    if pending:
        raise NotRealizable(f"the trace ends inside an atomic step of the implementation (it would go on with "
                            f"{', '.join(_call_text(*p) for p in pending)})")
    return s


def _call_text(action: str, params: Mapping[str, object]) -> str:
    return f"{action}(" + ", ".join(f"{k}={v!r}" for k, v in params.items()) + ")"


def refuse(model: Any, s: Any, action: str, params: Mapping[str, object], adapter: Adapter | None = None,
           step: int = 0) -> None:
    """After a replayed trace ends in the model's state `s` (step `step`): the spec does not enable
    `action(params)` there, and neither may the implementation: its adapter must raise Refused and leave the
    implementation as it was. An adapter that does not declare `refuses = True` cannot be asked: NotRealizable."""
    info = model.ACTIONS[action]
    args = [params[p] for p, _ in info.params]
    if info.enabled(s, *args):
        raise Divergence(step, action, "<enabled>", False, True,
                         f"the model takes {_call_text(action, params)}: the test is stale, regenerate it")
    if adapter is None:
        return
    if not getattr(adapter, "refuses", False):
        raise NotRealizable("a refusal test: the adapter does not report refused steps (it declares no "
                            "refuses = True)")
    try:
        _method(adapter, action)(**dict(params))
    except Refused:
        check_implementation(model, step, None, s, adapter,
                             f"the implementation after refusing {_call_text(action, params)}")
        return
    raise Divergence(step, action, "<enabled>", False, True,
                     f"the implementation took {_call_text(action, params)}, which the spec does not enable here")


def lockstep(model: Any, adapter: Adapter, run: Sequence[tuple[str, Mapping[str, object]]]) -> Any:
    """Step model and implementation together through (action, params) pairs; raise Divergence at the first step
    where the implementation's observed state differs. Returns the model's last state."""
    s = model.initial_state()
    adapter.reset()
    check_implementation(model, 0, None, s, adapter)
    for i, (action, params) in enumerate(run, start=1):
        info = model.ACTIONS[action]
        s = info.apply(s, *[params[p] for p, _ in info.params])
        take(adapter, i, action, params)
        check_implementation(model, i, action, s, adapter)
    return s
