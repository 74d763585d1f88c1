"""What every generated reference model shares: the action table entry, state display, and random runs.

A generated model module (see generator/pybackend/templates/model.py.j2) defines `State`, `initial_state()`, `ACTIONS` (a dict
from action name to `ActionInfo`), `enabled_actions(s)` and `violated_invariants(s)`; the functions here work on any
such module. Standard library only.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Iterator, NamedTuple, Sequence


class ActionInfo(NamedTuple):
    """One action of a model: its parameters with their domains (in declaration order), its guard, its effect, and
    the enumeration of its enabled parameter tuples in a state."""

    name: str
    params: tuple[tuple[str, Sequence[Any]], ...]
    enabled: Callable[..., bool]
    apply: Callable[..., Any]
    instances: Callable[[Any], Iterator[tuple]]

    @property
    def doc(self) -> str:
        """The spec's doc comment of the action."""
        return self.apply.__doc__ or ""


class LivenessInfo(NamedTuple):
    """A liveness property `p ~> q` of a model: its binders with their domains, and p and q as functions of a state
    and the binders' values (in binder order)."""

    name: str
    binders: tuple[tuple[str, Sequence[Any]], ...]
    p: Callable[..., bool]
    q: Callable[..., bool]


def format_value(value: object, desc: tuple) -> str:
    """A value as a reader wants to see it: bit vectors as vector sets {0x20, 0x21}, enums by member name, records
    with field names, maps as {key: value}."""
    kind = desc[0]
    if kind == "bits":
        n = int(value)  # type: ignore[call-overload]
        return "{" + ", ".join(hex(i) for i in range(desc[1]) if n >> i & 1) + "}"
    if kind == "enum":
        return str(value)
    if kind == "record":
        return "{" + ", ".join(f"{name}: {format_value(v, d)}"
                               for (name, d), v in zip(desc[1], value)) + "}"  # type: ignore[call-overload]
    if kind == "map":
        return "{" + ", ".join(f"{k}: {format_value(v, desc[2])}"
                               for k, v in zip(desc[1], value)) + "}"  # type: ignore[call-overload]
    return repr(value)


def format_state(class_name: str, names: Sequence[str], descs: Sequence[tuple], values: Sequence[object]) -> str:
    """`State(irr={0: {0x20}, 1: {}}, ...)`: the repr of a generated state."""
    return f"{class_name}(" + ", ".join(f"{n}={format_value(v, d)}" for n, d, v in zip(names, descs, values)) + ")"


def take(model: Any, s: Any, action: str, params: dict[str, object]) -> Any:
    """Apply `action` with `params` (keyed by the spec's parameter names) to state `s` of `model`."""
    info = model.ACTIONS[action]
    return info.apply(s, *[params[p] for p, _ in info.params])


class Deadlock(Exception):
    """No action is enabled in a state of a random run."""


def walk(model: Any, steps: int, seed: int = 0,
         on_step: Callable[[str, tuple, Any], None] | None = None) -> tuple[Any, int]:
    """Run `steps` random steps from the initial state of `model`; return (last state, attempts).

    A step picks an action uniformly, then parameter values uniformly from their domains, and applies them when the
    guard holds (an attempt that finds the guard false is drawn again); after many failed attempts in a row it falls
    back to enumerating the enabled instances, and raises Deadlock when there are none. `on_step(action, args, state)`
    sees every state reached.
    """
    rnd = random.Random(seed).random
    table = [(info.name, info.enabled, info.apply, [list(d) for _, d in info.params])
             for info in model.ACTIONS.values()]
    n = len(table)
    s = model.initial_state()
    attempts = done = misses = 0
    while done < steps:
        attempts += 1
        name, enabled, apply, domains = table[int(rnd() * n)]
        args = [d[int(rnd() * len(d))] for d in domains]
        if enabled(s, *args):
            s = apply(s, *args)
            done += 1
            misses = 0
            if on_step is not None:
                on_step(name, tuple(args), s)
            continue
        misses += 1
        if misses > 1000:
            instances = [(a, tuple(p.values())) for a, p in model.enabled_actions(s)]
            if not instances:
                raise Deadlock(f"no action is enabled in {s!r}")
            name, tup = instances[int(rnd() * len(instances))]
            s = model.ACTIONS[name].apply(s, *tup)
            done += 1
            misses = 0
            if on_step is not None:
                on_step(name, tup, s)
    return s, attempts
