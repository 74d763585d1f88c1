"""Why no behaviour explains an event: for each candidate action, the guard conjuncts, parameters and observations
that rule it out, in spec terms.

The question goes to Z3 with the trace's context up to the event (the possible states before it: the explicit
frontier, or a symbolic segment's unrolling), the hidden slots before the event, and the candidate's step written
with every guard conjunct (defs inlined, generator/coverage.py's `guard_leaves`), every range obligation, every given
parameter and every observation behind an assumption literal of its own. The unsat core, made minimal by deletion,
is the reason; when only observations are in it, a model without them shows what the spec gives there instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import z3

from irqspec.runtime.tracecheck import Event, Observation

from .. import ir, transition
from ..coverage import guard_leaves
from ..report import format_value
from ..smt.storage import flatten
from .symbolic import Encoding, Segment, observation_parts


@dataclass(frozen=True)
class Reason:
    """One item of a minimal core: what it is ("guard", "range", "param", "observed"), its text, and for an
    observation the value the spec would give there (empty when the core does not consist of observations only)."""

    kind: str
    text: str
    where: str = ""
    spec_gives: str = ""


@dataclass(frozen=True)
class Candidate:
    """Why one candidate action (None: the event only observes) cannot be the event."""

    action: str | None
    reasons: tuple[Reason, ...] = ()
    unknown: bool = False


@dataclass
class Explanation:
    index: int
    event: Event
    candidates: list[Candidate] = field(default_factory=list)


def _observed_type(system: ir.System, obs: Observation) -> ir.Type:
    t = system.vars[obs.var].type
    for p in obs.positions:
        t = t.codomain if isinstance(t, ir.MapType) else t.fields[p][1]  # type: ignore[union-attr]
    return ir.BoolType() if obs.bit is not None else t


def _read(system: ir.System, model: z3.ModelRef, s, obs: Observation) -> str:
    terms = dict(zip(s.names(), s.terms()))
    parts = []
    for name, bit, sc, _ in observation_parts(system, obs):
        term = terms[name]
        if bit is not None:
            return format_value(model.evaluate(z3.Extract(bit, bit, term), model_completion=True).as_long() == 1,
                                ir.BoolType())
        from ..smt.storage import evaluate

        parts.append(evaluate(model, sc.read(term), sc.type))
    t = _observed_type(system, obs)
    from ..smt.storage import assemble

    return format_value(assemble(t, iter(parts)), t)


def _minimal(solver: z3.Solver, core: list[z3.BoolRef]) -> list[z3.BoolRef]:
    """Drop literals from an unsat core while it stays unsat (each query under the segment's context)."""
    keep = list(core)
    i = 0
    while i < len(keep):
        trial = keep[:i] + keep[i + 1:]
        if solver.check(*trial) == z3.unsat:
            keep = trial
        else:
            i += 1
    return keep


def explain(system: ir.System, seg: Segment, index: int, ev: Event,
            source_text: Callable[[object], str | None]) -> Explanation:
    """The explanation of event `index` given `seg`, which holds the trace's context before it."""
    enc: Encoding = seg.enc
    out = Explanation(index, ev)
    candidates: list[str | None] = list(ev.actions) if ev.actions else [None]
    for action in candidates:
        # the segment's solver is Z3's QF_BV tactic, which gives no unsat cores: the context goes to an
        # incremental solver, one per candidate (a few queries: slower per query, once per rejected trace)
        solver = z3.SolverFor("QF_BV")
        solver.add(seg.solver.assertions())
        out.candidates.append(_candidate(system, enc, seg, solver, ev, action, source_text))
    return out


def _candidate(system: ir.System, enc: Encoding, seg: Segment, solver: z3.Solver, ev: Event, action: str | None,
               source_text: Callable[[object], str | None]) -> Candidate:
    s, constraints, _ = seg.prefix(seg.current)
    solver.add(*constraints)
    tracked: list[tuple[z3.BoolRef, Reason, Observation | None]] = []
    serial = iter(range(1 << 30))

    def track(formula: z3.BoolRef, reason: Reason, obs: Observation | None = None) -> None:
        lit = z3.Bool(f":why{next(serial)}@{seg.current.tag}")
        solver.add(z3.Implies(lit, formula))
        tracked.append((lit, reason, obs))

    t = s
    if action is not None:
        a = system.action(action)
        t = enc.fresh("x")
        env = t.step.env(action)
        pre_enc = enc.sym.encoder(s)
        for p in a.params:
            term, sc = t.step.params[action][p.name]
            valid = sc.valid(term)
            if valid is not None:
                solver.add(valid)
        rel = transition.relation(system, a)
        nexts = dict(rel.next_values)
        for v in system.vars:
            if v.name in nexts:
                value = pre_enc.encode(nexts[v.name], env)
                for (term, sc), part in zip(t.parts[v.name], flatten(v.type, value)):
                    solver.add(term == sc.write(part))
            else:
                for (term, _), (before, _) in zip(t.parts[v.name], s.parts[v.name]):
                    solver.add(term == before)
        for leaf in guard_leaves(system, a.guard):
            if isinstance(leaf, ir.Lit):
                continue
            text = source_text(leaf.span) or "a guard conjunct"
            track(pre_enc.boolean(leaf, env), Reason("guard", f"`{text}`", str(leaf.span)))
        for ob in rel.range_obligations:
            from ..smt.values import in_range

            value = pre_enc.encode(ob.value, env)
            track(z3.Implies(pre_enc.boolean(ob.when, env), in_range(value, ob.target)),  # type: ignore[arg-type]
                  Reason("range", f"{ob.var} stays in {ob.target.values_text()}", str(ob.span)))
        for p, value in ev.params.items():
            ptype = next(x.type for x in a.params if x.name == p)
            track(enc.param(t, action, p, value), Reason("param", f"{p} = {format_value(value, ptype)}"))
    for obs in ev.observed:
        track(enc.observed(t, obs),
              Reason("observed", f"{obs.path} = {format_value(obs.value, _observed_type(system, obs))}"), obs)
    lits = [lit for lit, _, _ in tracked]
    answer = solver.check(*lits)
    if answer == z3.unknown:
        return Candidate(action, unknown=True)
    if answer == z3.sat:  # the candidate alone explains the event (others ruled it out together): no reason
        return Candidate(action)
    core_set = {c.get_id() for c in solver.unsat_core()}
    core = _minimal(solver, [lit for lit in lits if lit.get_id() in core_set])
    chosen = [(lit, r, o) for lit, r, o in tracked if any(lit.eq(c) for c in core)]
    reasons = [r for _, r, _ in chosen]
    if any(o is not None for _, _, o in chosen):
        # what the spec gives there: a behaviour that meets the event's step without any of its observations
        others = [lit for lit, _, o in tracked if o is None]
        if solver.check(*others) == z3.sat:
            # the core's observations first, then every other observation of the event this behaviour disagrees
            # with (the core is one minimal reason; the rest show how far the implementation's state is off)
            model = solver.model()
            core_obs = [o for _, _, o in chosen if o is not None]
            rest = [(r, o) for _, r, o in tracked if o is not None and o not in core_obs]
            reasons = [r for _, r, o in chosen if o is None]
            for r, o in [(r, o) for _, r, o in chosen if o is not None] + rest:
                gives = _read(system, model, t, o)  # type: ignore[arg-type]
                if o in core_obs or not r.text.endswith(f"= {gives}"):
                    reasons.append(Reason(r.kind, r.text, r.where, gives))
    return Candidate(action, tuple(reasons))


def explanation_lines(system: ir.System, ex: Explanation, max_hidden: int) -> list[str]:
    """The explanation as the lines `irqspec validate` prints under its verdict: per candidate, the parameters the
    reason needs, then the guard conjuncts that cannot hold, or the observations the spec contradicts (with what it
    gives instead), or both."""
    lines = []
    hidden = f" after up to {max_hidden} hidden steps" if max_hidden else ""
    for c in ex.candidates:
        if c.unknown:
            lines.append(f"{c.action or 'the observation'}: the solver gave no answer")
            continue
        given = [r.text for r in c.reasons if r.kind == "param"]
        head = (c.action or "the observation") + (f"({', '.join(given)})" if given else "")
        guards = [f"{r.text} ({r.where})" for r in c.reasons if r.kind in ("guard", "range")]
        observed = [f"{r.text}" + (f", but the spec gives {r.spec_gives}" if r.spec_gives else "")
                    for r in c.reasons if r.kind == "observed"]
        if not guards and not observed:
            lines.append(f"{head}: possible alone{hidden}, but not with the rest of the event")
        elif guards and not observed:
            if len(guards) == 1:
                lines.append(f"{head}: not enabled{hidden}: {guards[0]} is false in every state the trace allows")
            else:
                lines.append(f"{head}: not enabled{hidden}: {' and '.join(guards)} never hold together in the "
                             f"states the trace allows")
        elif observed and not guards:
            lines.append(f"{head}{hidden}: observed {'; '.join(observed)}")
        else:
            lines.append(f"{head}{hidden}: where {' and '.join(guards)} hold, no step gives the observed "
                         f"{'; '.join(observed)}")
    return lines
