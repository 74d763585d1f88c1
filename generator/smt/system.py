"""The IR transition system as Z3 formulas over copies of the state.

`SymbolicSystem(system)` gives:
- `state(tag)`: a `StateVars` (generator/smt/state.py), one Z3 constant per scalar part of every variable (named as in
  the spec, `irr[1]@3`), with the `StepVars` of the step that leads into it (which action instance fired, with which
  parameters);
- `init(s)`, `trans(s, t)`, `prop(expr, s)`: the initial condition, the transition relation and a state predicate.
  `trans` says "the selector picks an enabled instance" and gives each part of t as an if-chain over the instances
  that change it (the frame otherwise). Parameters over small domains (vCPUs) are expanded into one instance per value
  (see `state.action_instances`), so bodies read irr[0] rather than a mux over a symbolic index;
- `initial()`, `successor(s, tag)`: the same as terms instead of constraints (the initial state is the init values;
  a successor's parts are terms over the previous state and fresh step choices), which BMC unrolls;
- `violations(s, goals, tag)`: for each property, the condition that it fails in s. Leading `forall`s over small
  domains become a disjunction, the others fresh constants, so a model names the failing elements (the witness);
- `trace(model, states)`: the `irqspec.runtime.trace.Trace` a model gives to a list of states.

Range obligations (`generator.transition`): a step whose range-checked assignment would leave its target's range is not
a transition (it is excluded from `trans`), and the implicit property `range` fails in a state where some action could
take such a step. So a proof of `range` shows that the restricted relation loses no behaviour.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import z3

from irqspec.runtime.trace import Step, Trace

from .. import ir, transition
from .encode import ExprEncoder
from .goals import RANGE, Goal, UnknownProperty, select_goals
from .state import EXPAND_DOMAIN, StateVars, StepVars, action_instances
from .storage import Scalar, evaluate, flatten, scalars
from .values import Value, in_range, literal


@dataclass
class Violation:
    """The condition that a property fails, and how to read the values that show it from a model."""

    name: str
    formula: z3.BoolRef
    witness: Callable[[z3.ModelRef], dict[str, object]]
    fresh: tuple[z3.ExprRef, ...] = ()  # the constants the formula adds beyond the state's (for Horn clauses)


class SymbolicSystem:
    """The formulas of one IR system (see the module docstring)."""

    def __init__(self, system: ir.System):
        self.system = system
        self.relations = {a.name: transition.relation(system, a) for a in system.actions}
        self.instances = action_instances(system)
        self._step_template: tuple[list[z3.ExprRef], list[z3.ExprRef], z3.ExprRef, int] | None = None

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

    def prop(self, expr: ir.Expr, s: StateVars, env: Mapping[int, Value] | None = None) -> z3.BoolRef:
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
        parameters (no fresh state constants: BMC solves the unrolled terms directly), and the step's condition.

        The step is encoded once, over a state and a step of constants (`_template`), and each successor is that
        template with s's parts and the new step's constants put in by one `z3.substitute` (in Z3, sharing kept):
        encoding the step in Python for every depth cost more than the solver at 240 vectors (svm_virq, 2 vCPUs:
        1.0 of 1.8 s). Sound because the template's only constants are those of its state and its step: the
        encoder makes no constants of its own."""
        pre_terms, step_terms, packed, count = self._template()
        step = StepVars(self.system, str(tag), self.instances)
        current = [term for v in self.system.vars for term, _ in s.parts[v.name]]
        out = z3.substitute(packed, *zip(pre_terms, current), *zip(step_terms, step.terms()))
        parts = [out.arg(i) for i in range(count)]
        nexts, k = {}, 1
        for v in self.system.vars:
            n = len(s.parts[v.name])
            nexts[v.name] = parts[k:k + n]
            k += n
        t = StateVars(self.system, str(tag), self.instances, step=step, terms=nexts)
        return t, parts[0]

    def _template(self) -> tuple[list[z3.ExprRef], list[z3.ExprRef], z3.ExprRef, int]:
        """The step from a state of constants by a step of constants: those constants, and the step's condition and
        every next part packed as the arguments of one application (so one substitution renames them all)."""
        if self._step_template is None:
            pre = self.state(":template:pre")
            step = StepVars(self.system, ":template:step", self.instances)
            enabled, nexts = self._step(pre, step)
            outs = [enabled] + [n for v in self.system.vars for n in nexts[v.name]]
            pack = z3.Function(":template:pack", *[o.sort() for o in outs], z3.BoolSort())
            self._step_template = ([term for v in self.system.vars for term, _ in pre.parts[v.name]],
                                   step.terms(), pack(*outs), len(outs))
        return self._step_template

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
        model names the failing elements directly (by binder name; a binder shadowed by a later one of the same name
        is not read by the body and is left out of the witness)."""
        assert goal.expr is not None
        body, binders = goal.expr, []
        while isinstance(body, ir.Quant) and body.kind == "forall":
            binders = [b for b in binders if b.name != body.name] + [body]
            body = body.body
        symbolic: dict[int, Value] = {}
        constraints, fresh = [], []
        small = [b for b in binders if ir.domain_size(b.domain) <= EXPAND_DOMAIN]
        for b in binders:
            if b in small:
                continue
            sc = Scalar.of(b.domain)
            term = sc.const(f":witness:{goal.kind}:{goal.name}({b.name}#{b.uid})@{tag}")
            fresh.append(term)
            symbolic[b.uid] = sc.read(term)
            c = sc.valid(term)
            if c is not None:
                constraints.append(c)
        cases: list[tuple[dict[int, object], z3.BoolRef]] = []
        for combo in itertools.product(*[ir.domain_values(b.domain) for b in small]):
            fixed = {b.uid: value for b, value in zip(small, combo)}
            env = {**symbolic, **{b.uid: literal(fixed[b.uid], b.domain) for b in small}}
            cases.append((fixed, z3.Not(self.prop(body, s, env))))
        formula = z3.And(*constraints, z3.Or([c for _, c in cases]))

        def witness(model: z3.ModelRef) -> dict[str, object]:
            fixed = next((f for f, c in cases if z3.is_true(model.evaluate(c, model_completion=True))), cases[0][0])
            return {b.name: fixed[b.uid] if b.uid in fixed else evaluate(model, symbolic[b.uid], b.domain)
                    for b in binders}

        return Violation(goal.name, formula, witness, tuple(fresh))

    def deadlock(self, s: StateVars) -> Violation:
        """No action instance is enabled in s: every guard false for every parameter value (expanded, so a wide
        parameter costs one guard per value; guards that do not read it fold to one term)."""
        enc = self.encoder(s)
        stuck = []
        for a in self.system.actions:
            for values in itertools.product(*[ir.domain_values(p.type) for p in a.params]):
                env = {p.uid: literal(v, p.type) for p, v in zip(a.params, values)}
                stuck.append(z3.Not(enc.boolean(a.guard, env)))
        return Violation(ir.DEADLOCK_PROPERTY, z3.And(stuck), lambda model: {})

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
                    if z3.is_true(model.evaluate(bad, model_completion=True)):
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
        if z3.is_true(model.evaluate(v.formula, model_completion=True)):
            return v
    return None


__all__ = [
    "RANGE",
    "Goal",
    "StateVars",
    "StepVars",
    "SymbolicSystem",
    "UnknownProperty",
    "Violation",
    "first_violated",
    "select_goals",
]
