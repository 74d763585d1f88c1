"""Vacuity: properties that hold only because nothing can happen.

A spec in which no action can ever fire satisfies every invariant of its initial state, and an invariant that
holds because a guard can never be true proves nothing about that action. `vacuity(system, certificate)` reports,
as warnings in spec terms:
- actions whose guard is unsatisfiable for every parameter value in every state (the guard is dead code);
- an initial state in which no action is enabled (the spec stops at once: every run is the initial state);
- with a 1-inductive certificate C of a proof (C holds in every reachable state), the actions whose guard is false
  wherever C holds: they never fire in any reachable state, shown, not guessed; when that is every action, the proof
  is vacuous.
Each question is one small Z3 query per action; an unknown answer reports nothing (a warning is never a guess).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from .. import ir
from ..switches import describe as describe_switch
from ..switches import switched_off
from .certificate import Certificate, from_smt2
from .context import in_fresh_context
from .state import StepVars
from .system import SymbolicSystem


@dataclass(frozen=True)
class VacuityWarning:
    kind: str  # "unsatisfiable-guard" | "initial-deadlock" | "never-enabled" | "vacuous-proof"
    message: str
    actions: tuple[str, ...] = ()


def _enabled(enc: SymbolicSystem, s, action: ir.Action) -> z3.BoolRef:
    """Some instance of `action` is enabled in s (any parameter values)."""
    step = s.step
    index = [a.name for a in enc.system.actions].index(action.name)
    options = [z3.And(step.is_instance(j), enc.encoder(s).boolean(action.guard, step.instance_env(j)))
               for j, inst in enumerate(step.instances) if inst.action == index]
    return z3.And(step.valid(), z3.Or(options))


def _sat(formula: z3.BoolRef, timeout: float) -> z3.CheckSatResult:
    q = z3.Solver()
    q.set("timeout", max(1, int(timeout * 1000)))
    q.add(formula)
    return q.check()


@in_fresh_context
def vacuity(system: ir.System, certificate: Certificate | None = None, timeout: float = 5.0) -> list[VacuityWarning]:
    enc = SymbolicSystem(system)
    s = enc.state("vac")
    out: list[VacuityWarning] = []
    if not system.actions:
        return [VacuityWarning("initial-deadlock", "the spec has no actions: every run is the initial state, so "
                               "every property of it holds trivially")]
    dead = [a.name for a in system.actions if _sat(z3.And(s.valid(), _enabled(enc, s, a)), timeout) == z3.unsat]
    for name in dead:
        switch = switched_off(system.action(name).guard)
        if switch:  # a design switch (switches.py): intended, but the properties then say nothing about the action
            out.append(VacuityWarning("switched-off-action", f"action {name} is switched off by "
                                      f"{describe_switch(system, switch)}: its guard is false in every state, so it "
                                      "never fires in this design", (name,)))
            continue
        out.append(VacuityWarning("unsatisfiable-guard", f"the guard of action {name} is false in every state for "
                                  "every parameter value: the action can never fire", (name,)))
    init = enc.state("vac0")
    enabled_at_init = z3.Or([_enabled(enc, init, a) for a in system.actions])
    if _sat(z3.And(enc.init(init), enabled_at_init), timeout) == z3.unsat:
        out.append(VacuityWarning("initial-deadlock", "no action is enabled in the initial state: every run is the "
                                  "initial state, so every property of it holds trivially"))
    if certificate is not None and certificate.smt2:
        canonical = enc.state("")
        c = z3.substitute(from_smt2(certificate.smt2), *zip(canonical.terms(), s.terms()))
        never = [a.name for a in system.actions if a.name not in dead
                 and _sat(z3.And(s.valid(), c, _enabled(enc, s, a)), timeout) == z3.unsat]
        if never:
            out.append(VacuityWarning("never-enabled", "the proof's inductive invariant shows that "
                                      f"{', '.join(never)} never fire{'s' if len(never) == 1 else ''} in any "
                                      "reachable state", tuple(never)))
        if len(never) + len(dead) == len(system.actions):
            out.append(VacuityWarning("vacuous-proof", "no action can fire in any reachable state: the proof holds "
                                      "only because nothing ever happens"))
    return out


@in_fresh_context
def never_taken(system: ir.System, certificate: Certificate, action: str, condition: ir.Expr | None,
                timeout: float = 5.0, previous: str | None = None, guard: bool = True) -> bool:
    """Whether the certificate's inductive invariant C shows that `action` is never taken with `condition` true
    (over the pre-state and the action's parameters), and with `previous`, never right after that action: C holds
    in every reachable state, so `C and guard and condition` (after a step of `previous` from a C-state)
    unsatisfiable means no reachable state allows it. False when satisfiable or unknown (never a guess). Without
    `guard`, the guard is left out: no reachable state and parameters of `action` make `condition` true (a refusal
    target's state)."""
    if not certificate.smt2:
        return False
    enc = SymbolicSystem(system)
    canonical = enc.state("")
    start = enc.state("dead0") if previous is not None else enc.state("dead")
    c = z3.substitute(from_smt2(certificate.smt2), *zip(canonical.terms(), start.terms()))
    extra = []
    s = start
    if previous is not None:
        s = enc.state("dead")
        names = [x.name for x in system.actions]
        extra = [start.valid(), enc.trans(start, s), s.step.is_action(names.index(previous))]
    a = system.action(action)
    index = [x.name for x in system.actions].index(action)
    step = StepVars(system, "take", enc.instances)  # the step that takes `action` from s (not the one into s)
    options = []
    for j, inst in enumerate(step.instances):
        if inst.action != index:
            continue
        env = step.instance_env(j)
        parts = [step.is_instance(j)] + ([enc.encoder(s).boolean(a.guard, env)] if guard else [])
        if condition is not None:
            parts.append(enc.encoder(s).boolean(condition, env))
        options.append(z3.And(parts))
    return _sat(z3.And(*extra, s.valid(), step.valid(), c, z3.Or(options)), timeout) == z3.unsat


def never_holds(system: ir.System, certificate: Certificate, expr: ir.Expr, timeout: float = 5.0) -> bool:
    """Whether the certificate's inductive invariant C rules out every state where `expr` (over the state) holds:
    `C and expr` unsatisfiable. A cover goal it rules out is dead for good. False when satisfiable or unknown."""
    if not certificate.smt2:
        return False
    enc = SymbolicSystem(system)
    canonical = enc.state("")
    s = enc.state("dead")
    c = z3.substitute(from_smt2(certificate.smt2), *zip(canonical.terms(), s.terms()))
    return _sat(z3.And(s.valid(), c, enc.prop(expr, s)), timeout) == z3.unsat


__all__ = ["VacuityWarning", "never_holds", "never_taken", "vacuity"]
