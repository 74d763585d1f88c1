"""Copies of the state and of a step's choices, as Z3 constants (or terms): what formulas are written over.

A `StateVars` holds one Z3 term per scalar part of every variable (named as in the spec: `irr[1]@3`), and the
`StepVars` of the step that leads into it: a selector telling which action instance fired and a fresh constant per
action parameter, so that a model tells which action fired with which parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import z3

from .. import ir
from .encode import ExprEncoder
from .storage import Scalar, assemble, evaluate, scalars
from .values import Value, literal

# Parameters with at most this many values (vCPU numbers, enums, booleans) are expanded: the action gets one
# instance per value, so its body reads irr[0], irr[1] directly instead of through a mux over a symbolic index, and
# the instances share the encoding of what they read (pending_vector(irr[0], ...)). Wider parameters (vectors,
# register values) stay symbolic. Measured on svm_virq at 240 vectors: the depth-6 BMC query 1.5x faster than with
# every parameter symbolic.
EXPAND_DOMAIN = 8
EXPAND_PRODUCT = 64


@dataclass(frozen=True)
class Instance:
    """An action with some of its parameters fixed (the expanded ones): one value of the step's selector."""

    action: int  # index in system.actions
    fixed: tuple[tuple[str, object], ...]


def action_instances(system: ir.System) -> tuple[Instance, ...]:
    """The selector values of a step: every action, once per combination of its expanded parameters' values."""
    out = []
    for i, a in enumerate(system.actions):
        combos: list[tuple[tuple[str, object], ...]] = [()]
        for p in a.params:
            size = ir.domain_size(p.type)
            if size <= EXPAND_DOMAIN and len(combos) * size <= EXPAND_PRODUCT:
                combos = [c + ((p.name, d),) for c in combos for d in ir.domain_values(p.type)]
        out.extend(Instance(i, c) for c in combos)
    return tuple(out)


class StepVars:
    """The selector (which action instance fires) and the parameters of every action, for one step. A parameter of
    an expanded instance is a constant in that instance's encoding and is tied to its variable by `valid()`."""

    def __init__(self, system: ir.System, tag: str, instances: tuple[Instance, ...] | None = None):
        self.system = system
        self.tag = tag
        self.instances = instances if instances is not None else action_instances(system)
        self.width = ir.bits_needed(len(self.instances))
        # Every constant that is not a state part is named with a leading ':' (no spec identifier has one), and
        # parameters as ':param:action(p)': names of distinct things can never meet (Z3 identifies constants of
        # one name and sort), whatever names the spec reuses across its namespaces.
        self.selector = z3.BitVec(f":action@{tag}", self.width)
        self.params: dict[str, dict[str, tuple[z3.ExprRef, Scalar]]] = {}
        for a in system.actions:
            self.params[a.name] = {}
            for p in a.params:
                sc = Scalar.of(p.type)
                self.params[a.name][p.name] = (sc.const(f":param:{a.name}({p.name})@{tag}"), sc)

    def terms(self) -> list[z3.ExprRef]:
        """The selector and every parameter constant."""
        return [self.selector] + [term for ps in self.params.values() for term, _ in ps.values()]

    def is_instance(self, j: int) -> z3.BoolRef:
        return self.selector == j

    def is_action(self, index: int) -> z3.BoolRef:
        """The step is action number `index` (its instances have consecutive selector values)."""
        ids = [j for j, inst in enumerate(self.instances) if inst.action == index]
        if len(ids) == 1:
            return self.selector == ids[0]
        return z3.And(z3.ULE(ids[0], self.selector), z3.ULE(self.selector, ids[-1]))

    def env(self, action: str) -> dict[int, Value]:
        """The parameters of `action` as variables (valid whichever instance fires), keyed by binder uid."""
        ps = self.params[action]
        return {p.uid: ps[p.name][1].read(ps[p.name][0]) for p in self.system.action(action).params}

    def instance_env(self, j: int) -> dict[int, Value]:
        """The parameters of instance j: its fixed ones as constants, the others as variables."""
        inst = self.instances[j]
        action = self.system.actions[inst.action]
        env = self.env(action.name)
        for name, value in inst.fixed:
            p = next(p for p in action.params if p.name == name)
            env[p.uid] = literal(value, p.type)
        return env

    def valid(self) -> z3.BoolRef:
        parts = []
        if len(self.instances) < 1 << self.width:
            parts.append(z3.ULT(self.selector, len(self.instances)))
        for ps in self.params.values():
            for term, sc in ps.values():
                v = sc.valid(term)
                if v is not None:
                    parts.append(v)
        for j, inst in enumerate(self.instances):
            if inst.fixed:
                ps = self.params[self.system.actions[inst.action].name]
                parts.append(z3.Implies(self.is_instance(j), z3.And([ps[n][0] == ps[n][1].code(v)
                                                                      for n, v in inst.fixed])))
        return z3.And(parts)

    def decode(self, model: z3.ModelRef) -> tuple[str, dict[str, object]]:
        j = model.evaluate(self.selector, model_completion=True).as_long()  # type: ignore[attr-defined]
        action = self.system.actions[self.instances[min(j, len(self.instances) - 1)].action]
        env = self.env(action.name)
        return action.name, {p.name: evaluate(model, env[p.uid], p.type) for p in action.params}

    def assign(self, action: str, params: Mapping[str, object]) -> z3.BoolRef:
        """The constraint that this step is `action` with the given parameter values."""
        index = [a.name for a in self.system.actions].index(action)
        parts = [self.is_action(index)]
        for p, value in params.items():
            term, sc = self.params[action][p]
            parts.append(term == sc.code(value))
        return z3.And(parts)


class StateVars:
    """One copy of the state: a Z3 constant per scalar part of each variable, and the step that leads into it."""

    def __init__(self, system: ir.System, tag: str, instances: tuple[Instance, ...] | None = None,
                 step: StepVars | None = None, terms: Mapping[str, list[z3.ExprRef]] | None = None):
        self.system = system
        self.tag = tag
        suffix = f"@{tag}" if tag != "" else ""
        if terms is None:
            self.parts: dict[str, tuple[tuple[z3.ExprRef, Scalar], ...]] = {
                v.name: tuple((sc.const(name + suffix), sc) for name, sc in scalars(v.type, v.name))
                for v in system.vars}
        else:  # a state given by terms (see SymbolicSystem.successor)
            self.parts = {v.name: tuple(zip(terms[v.name], (sc for _, sc in scalars(v.type, v.name))))
                          for v in system.vars}
        self.step = step if step is not None else StepVars(system, tag, instances)
        self._values: dict[str, Value] | None = None
        self.encoder: ExprEncoder | None = None  # set by SymbolicSystem.encoder

    def values(self) -> dict[str, Value]:
        """Each variable's Value in this state (built once, so unchanged parts keep their identity)."""
        if self._values is None:
            self._values = {v.name: assemble(v.type, iter([sc.read(t) for t, sc in self.parts[v.name]]))
                            for v in self.system.vars}
        return self._values

    def terms(self) -> list[z3.ExprRef]:
        return [t for ps in self.parts.values() for t, _ in ps]

    def names(self) -> list[str]:
        """The spec names of the parts (irr[1], vmcb[0].v_irq), in `terms` order."""
        return [name for v in self.system.vars for name, _ in scalars(v.type, v.name)]

    def valid(self) -> z3.BoolRef:
        parts = [sc.valid(t) for ps in self.parts.values() for t, sc in ps]
        return z3.And([p for p in parts if p is not None])

    def same(self, other: StateVars) -> z3.BoolRef:
        return z3.And([a == b for a, b in zip(self.terms(), other.terms())])

    def decode(self, model: z3.ModelRef) -> dict[str, object]:
        values = self.values()
        return {v.name: evaluate(model, values[v.name], v.type) for v in self.system.vars}

    def assign(self, state: Mapping[str, object]) -> z3.BoolRef:
        """The constraint that this copy holds the given IR values."""
        out = []
        for v in self.system.vars:
            for (term, sc), part in zip(self.parts[v.name], flatten_value(v.type, state[v.name])):
                out.append(term == sc.code(part))
        return z3.And(out)


def flatten_value(t: ir.Type, value: object) -> Iterable[object]:
    """The scalar parts of an IR value, in `storage.scalars` order."""
    if isinstance(t, ir.RecordType):
        for (_, ft), v in zip(t.fields, value):  # type: ignore[call-overload]
            yield from flatten_value(ft, v)
    elif isinstance(t, ir.MapType):
        for v in value:  # type: ignore[attr-defined]
            yield from flatten_value(t.codomain, v)
    else:
        yield value
