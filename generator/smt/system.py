"""The IR transition system as Z3 formulas over copies of the state.

`SymbolicSystem(system)` gives:
- `state(tag)`: a `StateVars`, one Z3 constant per scalar part of every variable (named as in the spec, `irr[1]@3`),
  together with the `StepVars` of the step that leads into it: an action selector and fresh parameter constants for
  every action, so that a model tells which action fired with which parameters;
- `init(s)`, `trans(s, t)`, `prop(expr, s)`: the initial condition, the transition relation (a disjunction over the
  actions, written as "selector = a implies guard of a" plus one next-value if-chain per part, with the frame) and a
  state predicate;
- `violations(s, goals, tag)`: for each property, the condition that it fails in `s`, with leading `forall`s turned into
  fresh constants so a model names the failing elements directly (the witness);
- `trace(model, states)`: a `runtime.trace.Trace` decoded from a model.

Range obligations (`generator.transition`): a step whose range-checked assignment would leave its target's range is not
a transition (it is excluded from `trans`), and the implicit property `range` fails in a state where some action could
take such a step. So a proof of `range` shows that the restricted relation loses no behaviour.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import z3

from .. import ir, transition
from runtime.trace import Step, Trace
from .encode import ExprEncoder
from .values import Scalar, Value, assemble, evaluate, flatten, in_range, literal, scalars


class UnknownProperty(KeyError):
    """A property name that the spec does not declare."""


@dataclass(frozen=True)
class Goal:
    """A property to check: an invariant, a lemma, or the implicit `range` property (no expression)."""

    name: str
    kind: str  # "invariant" | "lemma" | "range"
    expr: ir.Expr | None = None


RANGE = Goal("range", "range")


def select_goals(system: ir.System, names: Iterable[str] | None = None, lemmas: bool = False,
                 ranges: bool = True) -> tuple[Goal, ...]:
    """The goals named (invariants, lemmas or "range"), or by default every invariant (and every lemma when `lemmas`),
    plus `range` when `ranges` and the spec has range-checked assignments."""
    props = {p.name: p for p in (*system.invariants, *system.lemmas)}
    if names is None:
        chosen = [Goal(p.name, p.kind, p.expr) for p in system.invariants]
        if lemmas:
            chosen += [Goal(p.name, p.kind, p.expr) for p in system.lemmas]
        if ranges and has_range_obligations(system):
            chosen.append(RANGE)
        return tuple(chosen)
    out = []
    for n in names:
        if n == "range":
            out.append(RANGE)
        elif n in props:
            out.append(Goal(n, props[n].kind, props[n].expr))
        else:
            raise UnknownProperty(n)
    return tuple(out)


def has_range_obligations(system: ir.System) -> bool:
    return any(transition.relation(system, a).range_obligations for a in system.actions)


@dataclass
class Violation:
    """The condition that a property fails, and how to read the values that show it from a model."""

    name: str
    formula: z3.BoolRef
    witness: Callable[[z3.ModelRef], dict[str, object]]
    fresh: tuple[z3.ExprRef, ...] = ()  # the constants the formula adds beyond the state's (for Horn clauses)


# Parameters with at most this many values (vCPU numbers, enums, booleans) are expanded: the action gets one
# instance per value, so its body reads irr[0], irr[1] directly instead of through a mux over a symbolic index, and
# the instances share the encoding of what they read (pending_vector(irr[0], ...)). Wider parameters (vectors,
# register values) stay symbolic. Measured on svm_virq: BMC to depth 7 about 3x faster than all-symbolic.
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
        self.selector = z3.BitVec(f"action@{tag}", self.width)
        self.params: dict[str, dict[str, tuple[z3.ExprRef, Scalar]]] = {}
        for a in system.actions:
            self.params[a.name] = {}
            for p in a.params:
                sc = Scalar.of(p.type)
                self.params[a.name][p.name] = (sc.const(f"{a.name}.{p.name}@{tag}"), sc)

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

    def env(self, action: str) -> dict[str, Value]:
        """The parameters of `action` as variables (valid whichever instance fires)."""
        return {p: sc.read(term) for p, (term, sc) in self.params[action].items()}

    def instance_env(self, j: int) -> dict[str, Value]:
        """The parameters of instance j: its fixed ones as constants, the others as variables."""
        inst = self.instances[j]
        action = self.system.actions[inst.action]
        env = self.env(action.name)
        for name, value in inst.fixed:
            env[name] = literal(value, next(p.type for p in action.params if p.name == name))
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
        j = model.eval(self.selector, model_completion=True).as_long()  # type: ignore[attr-defined]
        action = self.system.actions[self.instances[min(j, len(self.instances) - 1)].action]
        env = self.env(action.name)
        return action.name, {p.name: evaluate(model, env[p.name], p.type) for p in action.params}

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

    def same(self, other: "StateVars") -> z3.BoolRef:
        return z3.And([a == b for a, b in zip(self.terms(), other.terms())])

    def decode(self, model: z3.ModelRef) -> dict[str, object]:
        values = self.values()
        return {v.name: evaluate(model, values[v.name], v.type) for v in self.system.vars}

    def assign(self, state: Mapping[str, object]) -> z3.BoolRef:
        """The constraint that this copy holds the given IR values."""
        out = []
        for v in self.system.vars:
            for (term, sc), part in zip(self.parts[v.name], _flatten_value(v.type, state[v.name])):
                out.append(term == sc.code(part))
        return z3.And(out)


def _flatten_value(t: ir.Type, value: object) -> Iterable[object]:
    if isinstance(t, ir.RecordType):
        for (_, ft), v in zip(t.fields, value):  # type: ignore[call-overload]
            yield from _flatten_value(ft, v)
    elif isinstance(t, ir.MapType):
        for v in value:  # type: ignore[attr-defined]
            yield from _flatten_value(t.codomain, v)
    else:
        yield value


class SymbolicSystem:
    """The formulas of one IR system (see the module docstring)."""

    def __init__(self, system: ir.System):
        self.system = system
        self.relations = {a.name: transition.relation(system, a) for a in system.actions}
        self.instances = action_instances(system)

    def state(self, tag: str | int) -> StateVars:
        return StateVars(self.system, str(tag), self.instances)

    def encoder(self, s: StateVars) -> ExprEncoder:
        """The expression encoder reading state s (one per state, so its memo is shared by every use)."""
        if s.encoder is None:
            s.encoder = ExprEncoder(self.system, s.values())
        return s.encoder

    def init(self, s: StateVars) -> z3.BoolRef:
        enc = ExprEncoder(self.system, {})
        out = [s.valid()]
        for name, expr in self.system.init:
            t = self.system.var(name).type
            for (term, sc), part in zip(s.parts[name], flatten(t, enc.encode(expr))):
                out.append(term == sc.write(part))
        return z3.And(out)

    def prop(self, expr: ir.Expr, s: StateVars, env: Mapping[str, Value] | None = None) -> z3.BoolRef:
        return self.encoder(s).boolean(expr, env)

    def trans(self, s: StateVars, t: StateVars) -> z3.BoolRef:
        """One step s -> t by the action that t.step selects (t.valid() included)."""
        enabled, nexts = self._step(s, t.step)
        out = [t.valid(), enabled]
        for v in self.system.vars:
            for (term, _), nxt in zip(t.parts[v.name], nexts[v.name]):
                out.append(term == nxt)
        return z3.And(out)

    def initial(self, tag: str | int = 0) -> StateVars:
        """The initial state with its parts given as the init values (init assigns closed expressions, so the
        initial state is unique): the first steps of an unrolling then fold to small terms."""
        enc = ExprEncoder(self.system, {})
        terms = {}
        for name, expr in self.system.init:
            t = self.system.var(name).type
            terms[name] = [z3.simplify(sc.write(part)) for (_, sc), part in
                           zip(scalars(t, name), flatten(t, enc.encode(expr)))]
        return StateVars(self.system, str(tag), self.instances, terms=terms)

    def successor(self, s: StateVars, tag: str | int) -> tuple[StateVars, z3.BoolRef]:
        """The state after one step from s, its parts given as terms over s and the step's fresh selector and
        parameters (no fresh state constants: BMC solves the unrolled terms directly), and the step's condition."""
        step = StepVars(self.system, str(tag), self.instances)
        enabled, nexts = self._step(s, step)
        nexts = {v: [z3.simplify(x) for x in xs] for v, xs in nexts.items()}
        t = StateVars(self.system, str(tag), self.instances, step=step, terms=nexts)
        return t, z3.simplify(enabled)

    def _step(self, s: StateVars, step: StepVars) -> tuple[z3.BoolRef, dict[str, list[z3.ExprRef]]]:
        """The condition that `step` is enabled in s (a valid selector and parameters, the guard, range obligations),
        and each part's value after it: an if-chain over the instances that change the part (the frame otherwise)."""
        pre = s.values()
        enc = self.encoder(s)
        out = [step.valid()]
        alternatives: dict[str, list[tuple[z3.BoolRef, Value]]] = {v.name: [] for v in self.system.vars}
        for j, inst in enumerate(step.instances):
            a = self.system.actions[inst.action]
            env = step.instance_env(j)
            rel = self.relations[a.name]
            chosen = step.is_instance(j)
            guard = enc.boolean(a.guard, env)
            if z3.is_false(guard):
                out.append(z3.Not(chosen))  # e.g. send_ipi with src == dst
                continue
            enabled = [guard]
            for ob in rel.range_obligations:
                value = enc.encode(ob.value, env)
                enabled.append(z3.Implies(enc.boolean(ob.when, env), in_range(value, ob.target)))  # type: ignore
            out.append(z3.Implies(chosen, z3.And(enabled)))
            for var, expr in rel.next_values:
                alternatives[var].append((chosen, enc.encode(expr, env)))
        nexts: dict[str, list[z3.ExprRef]] = {}
        for v in self.system.vars:
            before = list(flatten(v.type, pre[v.name]))
            options = [(c, list(flatten(v.type, val))) for c, val in alternatives[v.name]]
            nexts[v.name] = []
            for j, (pre_term, sc) in enumerate(s.parts[v.name]):
                nxt: z3.ExprRef = pre_term
                for c, parts in reversed(options):
                    if parts[j] is before[j]:
                        continue  # this action leaves the part as it was: the frame
                    nxt = z3.If(c, sc.write(parts[j]), nxt)
                nexts[v.name].append(nxt)
        return z3.And(out), nexts

    # ----------------------------------------------------------------------------------------------- properties
    def holds(self, goal: Goal, s: StateVars) -> z3.BoolRef:
        """The property in positive form, with quantifiers expanded (used as an assumption)."""
        assert goal.expr is not None, "the range property has no positive form"
        return self.prop(goal.expr, s)

    def violations(self, s: StateVars, goals: Iterable[Goal], tag: str) -> list[Violation]:
        """For each goal, the condition that it fails in s (the range goal gives one per range-checked variable)."""
        out: list[Violation] = []
        for g in goals:
            if g.kind == "range":
                out.extend(self._range_violations(s, f"{tag}!range"))
            else:
                out.append(self._violation(g, s, tag))
        return out

    def _violation(self, goal: Goal, s: StateVars, tag: str) -> Violation:
        """`not goal` in s. Leading `forall`s over small domains (vCPUs) become a disjunction over their values, the
        others one fresh constant each (a vector): exists c, v: not P(c, v) without expanding 240 vectors, and a
        model names the failing elements directly."""
        assert goal.expr is not None
        body, binders = goal.expr, []
        while isinstance(body, ir.Quant) and body.kind == "forall":
            binders.append((body.name, body.domain))
            body = body.body
        symbolic: dict[str, Value] = {}
        constraints, fresh = [], []
        small = [(n, d) for n, d in binders if ir.domain_size(d) <= int(__import__("os").environ.get("XD", EXPAND_DOMAIN))]
        for name, dom in binders:
            if (name, dom) in small:
                continue
            sc = Scalar.of(dom)
            term = sc.const(f"{goal.name}.{name}@{tag}")
            fresh.append(term)
            symbolic[name] = sc.read(term)
            c = sc.valid(term)
            if c is not None:
                constraints.append(c)
        cases: list[tuple[dict[str, object], z3.BoolRef]] = []
        for combo in itertools.product(*[ir.domain_values(d) for _, d in small]):
            fixed = dict(zip([n for n, _ in small], combo))
            env = {**symbolic, **{n: literal(fixed[n], d) for n, d in small}}
            cases.append((fixed, z3.Not(self.prop(body, s, env))))
        formula = z3.And(*constraints, z3.Or([c for _, c in cases]))

        def witness(model: z3.ModelRef) -> dict[str, object]:
            fixed = next((f for f, c in cases if z3.is_true(model.eval(c, model_completion=True))), cases[0][0])
            out = {}
            for n, d in binders:
                out[n] = fixed[n] if n in fixed else evaluate(model, symbolic[n], d)
            return out

        return Violation(goal.name, formula, witness, tuple(fresh))

    def _range_violations(self, s: StateVars, tag: str) -> list[Violation]:
        step = StepVars(self.system, tag, self.instances)
        enc = self.encoder(s)
        by_var: dict[str, list[tuple[z3.BoolRef, ir.Action, Value]]] = {}
        for j, inst in enumerate(step.instances):
            a = self.system.actions[inst.action]
            obligations = self.relations[a.name].range_obligations
            if not obligations:
                continue
            env = step.instance_env(j)
            guard = z3.And(step.is_instance(j), enc.boolean(a.guard, env))
            for ob in obligations:
                value = enc.encode(ob.value, env)
                bad = z3.And(guard, enc.boolean(ob.when, env), z3.Not(in_range(value, ob.target)))  # type: ignore
                by_var.setdefault(ob.var, []).append((bad, a, value))
        out = []
        for var, cases in by_var.items():
            def witness(model: z3.ModelRef, cases=cases, var=var) -> dict[str, object]:
                for bad, a, value in cases:
                    if z3.is_true(model.eval(bad, model_completion=True)):
                        action, params = step.decode(model)
                        return {"action": action, "params": params, "var": var,
                                "value": evaluate(model, value, value.type)}  # type: ignore[union-attr]
                return {}
            out.append(Violation(f"range:{var}", z3.And(step.valid(), z3.Or([c[0] for c in cases])), witness,
                                 tuple(step.terms())))
        return out

    # --------------------------------------------------------------------------------------------------- decoding
    def trace(self, model: z3.ModelRef, states: list[StateVars], violated: str | None = None,
              witness: dict[str, object] | None = None) -> Trace:
        """The run that `model` gives to `states` (states[0] initial, each next one reached by its step)."""
        steps = [Step(None, {}, states[0].decode(model))]
        for s in states[1:]:
            action, params = s.step.decode(model)
            steps.append(Step(action, params, s.decode(model)))
        return Trace(tuple(steps), violated, dict(witness or {}))


def first_violated(model: z3.ModelRef, violations: list[Violation]) -> Violation | None:
    """The first violation (in goal order) that holds in `model`."""
    for v in violations:
        if z3.is_true(model.eval(v.formula, model_completion=True)):
            return v
    return None


__all__ = ["SymbolicSystem", "StateVars", "StepVars", "Goal", "RANGE", "Violation", "select_goals",
           "first_violated", "UnknownProperty"]
