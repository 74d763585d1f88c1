"""replay: an ITF trace (ours, Quint's, Apalache's) on the spec's reference model."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import EXIT_OK, EXIT_VIOLATED, OUT, UsageError, emit, load_spec


def _read_json(path: str) -> object:
    import json

    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a folder, not a trace file")
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{path}: not a JSON file: {err}") from None
    except RecursionError:
        raise UsageError(f"{path}: JSON nested too deeply to be a trace") from None


def _infer_actions(model, steps: list) -> tuple[list, list[str]]:
    """Fill in the action of each step that does not name one (traces without `mbt::actionTaken`, as Apalache
    writes them): the enabled action instances of the model that lead from the previous state to the recorded one.
    Returns the steps and, per inferred step, a note (ambiguous choices name the one taken)."""
    notes, out = [], [steps[0]]
    for i, (action, params, state) in enumerate(steps[1:], 1):
        if action is not None:
            out.append((action, params, state))
            continue
        before = model.state_from_dict(out[-1][2])
        after = model.state_from_dict(state)
        fits = []
        for name, ps in model.enabled_actions(before):
            try:
                if model.step(before, name, ps) == after:
                    fits.append((name, ps))
            except Exception:  # noqa: BLE001 - a range fault of the model: not this instance
                continue
        if not fits:
            raise _Unexplained(i)
        name, ps = fits[0]
        note = f"step {i}: {name}{ps if ps else '()'} inferred"
        if len(fits) > 1:
            note += f" (also possible: {', '.join(f'{n}{p}' for n, p in fits[1:4])})"
        notes.append(note)
        out.append((name, ps, state))
    return out, notes


class _Unexplained(Exception):
    """A step of an action-less trace that no action of the spec explains."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


def cmd_replay(args: argparse.Namespace) -> int:
    from irqspec.runtime.conformance import Divergence, replay
    from irqspec.runtime.itf import ITFError

    from ..jsondoc import document
    from ..pybackend.loadmodel import load_model
    from ..report import explain_violation, format_witness

    front = load_spec(args)
    system = front.system
    doc = _read_json(args.trace)
    model = load_model(system, "irqspec replay")
    try:
        if not isinstance(doc, dict) or not isinstance(doc.get("states"), list):
            raise ITFError("an ITF trace is an object with a list of 'states'")
        trace = model.trace_from_itf(doc)
    except (ITFError, KeyError, TypeError, ValueError) as err:
        raise UsageError(f"{args.trace}: not an ITF trace of {system.module}'s variables: {err}") from None
    except RecursionError:
        raise UsageError(f"{args.trace}: ITF values nested too deeply") from None
    if not trace.steps:
        raise UsageError(f"{args.trace}: the trace has no states")
    steps = [(st.action, st.params, st.state) for st in trace.steps]
    for i, (action, params, _) in enumerate(steps[1:], 1):
        if action is None:
            continue
        if action not in model.ACTIONS:
            raise UsageError(f"{args.trace}: step {i} takes action {action!r}, which {system.module} does not have")
        missing = [name for name, _ in model.ACTIONS[action].params if name not in params]
        if missing:
            raise UsageError(f"{args.trace}: step {i} ({action}) does not give the parameter(s) {', '.join(missing)}")
    notes: list[str] = []
    divergence = None
    try:
        steps, notes = _infer_actions(model, steps)
        replay(model, steps)
    except _Unexplained as err:
        divergence = f"step {err.index} names no action, and no action of {system.module} leads from the state " \
                     f"of step {err.index - 1} to it"
    except Divergence as div:
        divergence = str(div)
    except ValueError as err:
        raise UsageError(f"{args.trace}: {err}") from None
    code = EXIT_VIOLATED if divergence else EXIT_OK
    last_state = steps[-1][2]
    violated = [] if divergence else model.violated_invariants(model.state_from_dict(last_state))
    if args.json:
        from ..jsondoc import witness_data

        emit(document("replay", system, "diverged" if divergence else "replayed", code, None, trace_file=args.trace,
                       steps=len(steps) - 1, divergence=divergence, inferred=notes,
                       violated=[{"invariant": n, "witness": witness_data(system, n, w)} for n, w in violated]))
        return code
    for note in notes:
        OUT.write(f"  {note}\n")
    if divergence:
        OUT.write(f"{args.trace}: {divergence}\n")
        return code
    OUT.write(f"{args.trace}: all {len(steps) - 1} steps replay on the model of {system.module}\n")
    for name, witness in violated:
        where = f" for {format_witness(system, name, witness)}" if witness else ""
        OUT.write(f"  the last state violates {name}{where}\n")
        for line in explain_violation(system, name, last_state, witness, front.sources):
            OUT.write(f"    {line}\n")
    return code
