"""Trace checking with Z3, where the explicit frontier would be too large: hidden steps and unknown parameters are
solved for instead of enumerated.

A `Segment` starts from a set of concrete states (the explicit frontier it takes over from) and holds, in one
incremental solver, the unrolling of every event added since: per event up to `max_hidden` hidden slots (each a
step of an internal action or no step) and then the event's step (one of its candidate actions, with the parameters
it gives), and its observations on the state after. `add` tells whether some behaviour still explains every event;
`states` enumerates the possible current states when there are few (blocking each found one), so the check can go
back to the explicit frontier. The formulas are generator/smt/system.py's, the ones every Z3 engine uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import z3

from irqspec.runtime.tracecheck import Event, Observation

from .. import ir
from ..smt.state import StateVars, flatten_value
from ..smt.storage import Scalar, scalars
from ..smt.system import SymbolicSystem

Step = tuple[str, dict, dict]  # (action, params, state as {variable: IR value})


def observation_parts(system: ir.System, obs: Observation) -> list[tuple[str, int | None, Scalar, object]]:
    """The scalar parts an observation fixes: (part name as storage names it, bit or None, scalar, value)."""
    v = system.vars[obs.var]
    t: ir.Type = v.type
    name = v.name
    for p in obs.positions:
        if isinstance(t, ir.MapType):
            name += f"[{ir.domain_values(t.domain)[p]}]"
            t = t.codomain
        else:
            assert isinstance(t, ir.RecordType)
            fname, t = t.fields[p]
            name += f".{fname}"
    if obs.bit is not None:
        return [(name, obs.bit, Scalar.of(t), obs.value)]
    return [(n, None, sc, part) for (n, sc), part in zip(scalars(t, name), flatten_value(t, obs.value))]


def _in_scalar(sc: Scalar, value: object) -> bool:
    """Whether an integer lies in its part's type (stored codes wrap: a value outside must not be encoded)."""
    t = sc.type
    if not isinstance(t, ir.IntType):
        return True
    assert isinstance(value, int)
    return t.lo <= value <= t.hi if t.runs is None else any(lo <= value <= hi for lo, hi in t.runs)


class Encoding:
    """What a segment and the explanation share: the system's formulas, and events as constraints."""

    def __init__(self, system: ir.System):
        self.system = system
        self.sym = SymbolicSystem(system)
        self.action_index = {a.name: i for i, a in enumerate(system.actions)}
        self._serial = 0

    def fresh(self, what: str) -> StateVars:
        self._serial += 1
        return self.sym.state(f"v{self._serial}{what}")

    def observed(self, s: StateVars, obs: Observation) -> z3.BoolRef:
        """The constraint that s holds the observed value (false when the value lies outside the part's type)."""
        if not obs.possible:
            return z3.BoolVal(False)
        terms = dict(zip(s.names(), s.terms()))
        out = []
        for name, bit, sc, value in observation_parts(self.system, obs):
            term = terms[name]
            if bit is not None:
                out.append((z3.Extract(bit, bit, term) == 1) == z3.BoolVal(bool(value)))
            elif not _in_scalar(sc, value):
                return z3.BoolVal(False)
            else:
                out.append(term == sc.code(value))
        return z3.And(out)

    def param(self, t: StateVars, action: str, name: str, value: object) -> z3.BoolRef:
        term, sc = t.step.params[action][name]
        p = next(p for p in self.system.action(action).params if p.name == name)
        if not _in_scalar(Scalar.of(p.type), value):
            return z3.BoolVal(False)
        return term == sc.code(value)

    def is_one_of(self, t: StateVars, actions: Sequence[str]) -> z3.BoolRef:
        return z3.Or([t.step.is_action(self.action_index[a]) for a in actions])

    def hidden(self, s: StateVars, internal: Sequence[str]) -> tuple[StateVars, z3.BoolRef, z3.BoolRef]:
        """A hidden slot after s: a step of an internal action, or none. Returns the state after it (its parts
        terms over s and the slot's choices, as BMC unrolls: no state-copy equations), the slot's constraint and
        the literal that is true when a step was taken."""
        self._serial += 1
        succ, enabled = self.sym.successor(s, f"v{self._serial}h")
        taken = z3.Bool(f":hidden@{succ.tag}")
        terms = {v.name: [z3.If(taken, a, b) for (a, _), (b, _) in zip(succ.parts[v.name], s.parts[v.name])]
                 for v in self.system.vars}
        t = StateVars(self.system, succ.tag, self.sym.instances, step=succ.step, terms=terms)
        return t, z3.Implies(taken, z3.And(enabled, self.is_one_of(succ, internal))), taken

    def event_step(self, s: StateVars, ev: Event) -> tuple[StateVars, z3.BoolRef]:
        """The event's step from s (none for an event that only observes), with its parameters and observations."""
        if not ev.actions:
            return s, z3.And([self.observed(s, o) for o in ev.observed])
        if ev.impossible:
            return s, z3.BoolVal(False)
        self._serial += 1
        succ, enabled = self.sym.successor(s, f"v{self._serial}e")
        known = self._known_choice(succ, ev)
        if known:
            # the event fixes the action instance and every parameter: put them in, so that from a known state the
            # step folds to constants (a trace pins most steps: most of the unrolling is then constants)
            enabled = z3.simplify(z3.substitute(enabled, *known))
            succ = StateVars(self.system, succ.tag, self.sym.instances, step=succ.step,
                             terms={v.name: [z3.simplify(z3.substitute(a, *known)) for a, _ in succ.parts[v.name]]
                                    for v in self.system.vars})
        t = succ
        parts = [enabled, self.is_one_of(t, ev.actions)]
        for a in ev.actions:
            given = [self.param(t, a, p, v) for p, v in ev.params.items()]
            if given:
                parts.append(z3.Implies(t.step.is_action(self.action_index[a]), z3.And(given)))
        parts.extend(self.observed(t, o) for o in ev.observed)
        return t, z3.And(parts)

    def _known_choice(self, t: StateVars, ev: Event) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        """The substitution of the step's selector and parameters when the event fixes them all (one candidate
        action, every parameter given and inside its domain), else nothing."""
        if len(ev.actions) != 1:
            return []
        action = self.system.action(ev.actions[0])
        if any(p.name not in ev.params for p in action.params):
            return []
        index = self.action_index[action.name]
        for j, inst in enumerate(t.step.instances):
            if inst.action == index and all(ev.params[n] == v for n, v in inst.fixed):
                break
        else:
            return []
        out = [(t.step.selector, z3.BitVecVal(j, t.step.width))]
        for p in action.params:
            term, sc = t.step.params[action.name][p.name]
            if not _in_scalar(sc, ev.params[p.name]):
                return []
            out.append((term, sc.code(ev.params[p.name])))
        return out

    def start(self, states: Sequence[Mapping[str, object]]) -> tuple[StateVars, z3.BoolRef]:
        """A state that is one of `states`: the parts on which they all agree as constants (so the unrolling from it
        folds, as BMC's from the initial state does), the others fresh constants, and the constraint that picks one
        of the states on those."""
        self._serial += 1
        tag = f"v{self._serial}a"
        names = [n for v in self.system.vars for n, _ in scalars(v.type, v.name)]
        flat = [[p for v in self.system.vars for p in flatten_value(v.type, st[v.name])] for st in states]
        terms: dict[str, list[z3.ExprRef]] = {}
        fresh: list[tuple[int, z3.ExprRef, Scalar]] = []
        k = 0
        for v in self.system.vars:
            terms[v.name] = []
            for name, sc in scalars(v.type, v.name):
                values = {row[k] for row in flat}
                if len(values) == 1:
                    terms[v.name].append(sc.code(flat[0][k]))
                else:
                    const = sc.const(f"{name}@{tag}")
                    fresh.append((k, const, sc))
                    terms[v.name].append(const)
                k += 1
        assert k == len(names)
        pick = z3.Or([z3.And([c == sc.code(row[j]) for j, c, sc in fresh]) for row in flat]) if fresh else z3.BoolVal(True)
        return StateVars(self.system, tag, self.sym.instances, terms=terms), pick


@dataclass
class _Slot:
    state: StateVars
    taken: z3.BoolRef | None  # a hidden slot's literal; None for an event's step
    known: tuple[str, dict] | None = None  # the event's action and parameters when it fixes them (not in the model)


class Segment:
    """Events from a set of concrete states, solved incrementally (see the module docstring)."""

    def __init__(self, enc: Encoding, anchors: Sequence[Mapping[str, object]], internal: Sequence[str],
                 max_hidden: int, timeout_ms: int = 0):
        self.enc = enc
        self.internal = tuple(internal)
        self.max_hidden = max_hidden if internal else 0
        self.anchors = list(anchors)
        self.solver = z3.Tactic("qfbv").solver()
        if timeout_ms:
            self.solver.set("timeout", timeout_ms)
        self.start, pick = enc.start(self.anchors)
        self.solver.add(pick)
        self.current = self.start
        self.slots: list[list[_Slot]] = []  # per event added: its hidden slots, then its step (or nothing)
        self.unknown = False

    def prefix(self, s: StateVars) -> tuple[StateVars, list[z3.BoolRef], list[_Slot]]:
        """The hidden slots before an event, from s: the state after them, their constraints and slots."""
        out, slots = [], []
        for _ in range(self.max_hidden):
            t, constraint, taken = self.enc.hidden(s, self.internal)
            out.append(constraint)
            slots.append(_Slot(t, taken))
            s = t
        return s, out, slots

    def add(self, ev: Event) -> bool | None:
        """Add an event: True when a behaviour explains every event so far, False when none does (the segment is
        left as it was before the event), None when the solver gave no answer (a timeout)."""
        s, constraints, slots = self.prefix(self.current)
        t, step = self.enc.event_step(s, ev)
        self.solver.push()
        self.solver.add(*constraints, step)
        answer = self.solver.check()
        if answer == z3.sat:
            if t is not s:
                known = (ev.actions[0], dict(ev.params)) if self.enc._known_choice(t, ev) else None
                slots.append(_Slot(t, None, known))
            self.slots.append(slots)
            self.current = t
            return True
        self.solver.pop()
        if answer == z3.unknown:
            self.unknown = True
            return None
        return False

    def behaviour(self, model: z3.ModelRef) -> tuple[int, list[Step]]:
        """The anchor the model starts from (its index) and the steps it takes through the segment."""
        start = self.start.decode(model)
        index = next(i for i, a in enumerate(self.anchors) if all(a[k] == v for k, v in start.items()))
        steps: list[Step] = []
        for slots in self.slots:
            for slot in slots:
                if slot.taken is not None and not z3.is_true(model.evaluate(slot.taken, model_completion=True)):
                    continue
                action, params = slot.known if slot.known else slot.state.step.decode(model)
                steps.append((action, params, slot.state.decode(model)))
        return index, steps

    def states(self, limit: int) -> list[tuple[int, list[Step]]] | None:
        """Every possible current state (each as its anchor and a path to it) when there are at most `limit`; None
        when there are more (or the solver gave up)."""
        found = []
        self.solver.push()
        try:
            while len(found) <= limit:
                answer = self.solver.check()
                if answer != z3.sat:
                    return found if answer == z3.unsat else None
                model = self.solver.model()
                found.append(self.behaviour(model))
                self.solver.add(z3.Not(self.current.assign(self.current.decode(model))))
            return None
        finally:
            self.solver.pop()

    def one(self) -> tuple[int, list[Step]]:
        """One behaviour that explains every event added (the last check was sat)."""
        assert self.solver.check() == z3.sat
        return self.behaviour(self.solver.model())
