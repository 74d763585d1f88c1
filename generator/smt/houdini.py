"""Lazy Houdini over candidate lemmas: a small set of them that makes the goals inductive (docs/infer.md).

Houdini (Flanagan and Leino, FME 2001) keeps the largest subset of the candidates that is inductive with the goals:
a step from a state of the goals and every kept candidate to a post-state that breaks one of them drops every
candidate that post-state breaks (none of those can be in an inductive subset with the others). Done eagerly, each
round asks Z3 for a post-state breaking any of 141 candidates, 2.5 s a query at 240 vectors, and most drop one.

Here the same rule is applied lazily, only to what the proof needs. Assuming the goals and every kept candidate in
the pre-state, the query asks for a step that breaks a goal or a lemma of the support so far:
- unsat: the unsat core names the kept candidates the targets needed; shrunk by deletion until each is needed,
  they join the support. When the core adds nothing, the goals and the support are inductive.
- sat: the pre-state satisfied every kept candidate, so every candidate the post-state breaks is dropped (a support
  lemma among them leaves the support). If it breaks a goal and no candidate, no subset of the candidates blocks
  that counterexample to induction: it is the answer ("cti"). With `expand`, the rule is also applied on concrete
  steps (the generated model's) from the counterexample's pre-state, through the states that satisfy the goals and
  every candidate still kept: one query then drops many.
A last pass drops any lemma of the support that the others make redundant, so every printed lemma is needed. A
candidate that a kept one implies syntactically (a literal replaced by a weaker one of the same leaf, `leaf == Idle`
by `leaf != Running`) stays out of the assumptions while the stronger one is kept: it adds nothing to them.

The queries go to one incremental solver (Z3's QF_BV solver: bit-blasting into an incremental SAT solver, with
assumptions and unsat cores); the formula stays, only the assumptions change. The candidates' clauses are bit-vector
formulas there (a literal over the vector domain is a 256-bit mask, `v in VECTORS` one AND with the domain's mask),
not the quantifier expanded over 240 vectors. That encoding only steers the search: the support is proved afterwards
by the induction engine on the IR of the printed lemmas, its certificate re-checked, like every proof. (Measured on
svm_evtinj at 240 vectors: eager Houdini through fresh qfbv solvers, then QuickXplain for the support, took 28 s;
this takes 7.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import z3

from .. import ir
from ..infer import Candidate, Vocabulary, implies_literal
from .bmc import new_solver
from .goals import Goal
from .inductive import CTI
from .state import StateVars
from .system import SymbolicSystem, first_violated


@dataclass(frozen=True)
class HoudiniOutcome:
    """"inductive" (the support: with the goals, inductive, each member needed; `kept`: the candidates never
    refuted), "cti" (a counterexample to induction of a goal that no candidate blocks), or "unknown" (solver gave
    up, or out of time)."""

    status: str
    kept: tuple[str, ...] = ()
    support: tuple[str, ...] = ()
    cti: CTI | None = None
    reason: str = ""
    queries: int = 0
    houdini_queries: int = 0  # of `queries`, those before the support was sought
    houdini_s: float = 0.0


class _Timeout(Exception):
    pass


def clause_formula(enc: SymbolicSystem, vocab: Vocabulary, cand: Candidate, s: StateVars) -> z3.BoolRef:
    """The candidate's clause in state s, for every value of the map domain: vector literals as bit masks."""
    code = enc.encoder(s)
    assert vocab.domain is not None
    parts = []
    for d in ir.domain_values(vocab.domain):
        c = ir.Lit(d, vocab.domain)
        ors: list[z3.BoolRef] = []
        mask = None
        full = None
        for i, positive in cand.literals:
            atom = vocab.atoms[i]
            if atom.vdom is None:
                b = code.boolean(atom.build(c, None))
                ors.append(b if positive else z3.Not(b))
                continue
            assert atom.leaf_build is not None
            width = atom.vdom.hi + 1
            leaf = code.encode(atom.leaf_build(c))
            if atom.kind == "bits":
                m = z3.Extract(width - 1, 0, leaf) if leaf.size() > width else leaf
            else:
                x = leaf.term  # an IntV over a non-negative range: its bits are the value
                x = z3.ZeroExt(width - x.size(), x) if x.size() < width else z3.Extract(width - 1, 0, x)
                m = z3.BitVecVal(1, width) << x
            m = m if positive else ~m
            mask = m if mask is None else mask | m
            full = z3.BitVecVal(sum(1 << x for x in ir.domain_values(atom.vdom)), width)
        if mask is not None:
            ors.append(mask & full == full)
        parts.append(z3.Or(ors) if len(ors) > 1 else ors[0])
    return z3.And(parts) if len(parts) > 1 else parts[0]


def _subsumed(vocab: Vocabulary, cands: Sequence[Candidate]) -> dict[str, list[str]]:
    """For each candidate, the candidates it implies syntactically (each literal of it implies one of theirs)."""
    out: dict[str, list[str]] = {c.name: [] for c in cands}
    for a in cands:
        for b in cands:
            if a is b:
                continue
            if all(any(implies_literal(vocab, la, lb) for lb in b.literals) for la in a.literals):
                # mutual implication (the same clause written twice) keeps the first
                if not (all(any(implies_literal(vocab, lb, la) for la in a.literals) for lb in b.literals)
                        and cands.index(b) < cands.index(a)):
                    out[a.name].append(b.name)
    return out


Expand = Callable[[dict[str, object], set[str], float], set[str]]  # (pre-state, kept, seconds) -> dropped


def houdini(system: ir.System, goals: Sequence[Goal], vocab: Vocabulary, cands: Sequence[Candidate],
            timeout: float | None = None, expand: Expand | None = None) -> HoudiniOutcome:
    """A set of `cands` that makes `goals` inductive, each member needed, or the counterexample to induction that no
    candidate blocks (module docstring)."""
    start = time.monotonic()
    enc = SymbolicSystem(system)
    queries = 0

    def solver() -> z3.Solver:
        q = new_solver()
        if timeout is not None:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                raise _Timeout()
            q.set("timeout", max(1, int(left * 1000)))
        return q

    def unknown(q: z3.Solver, what: str) -> HoudiniOutcome:
        why = "timeout" if timeout is not None and time.monotonic() - start >= timeout - 0.01 else q.reason_unknown()
        return HoudiniOutcome("unknown", reason=f"{what}: {why}", queries=queries)

    by_name = {c.name: c for c in cands}
    fixed = [g for g in goals if g.kind != "range"]
    try:
        # init => candidate: drop what an initial state breaks (init is one state in every shipped spec, but any)
        s0 = enc.state("h0")
        init_form = {c.name: clause_formula(enc, vocab, c, s0) for c in cands}
        alive = [c.name for c in cands]
        while alive:
            q = solver()
            q.add(enc.init(s0), z3.Or([z3.Not(init_form[n]) for n in alive]))
            queries += 1
            r = q.check()
            if r == z3.unsat:
                break
            if r != z3.sat:
                return unknown(q, "init => candidates")
            m = q.model()
            alive = [n for n in alive if not z3.is_false(m.evaluate(init_form[n], model_completion=True))]

        pre, post = enc.state("hp"), enc.state("hq")
        pre_form = {n: clause_formula(enc, vocab, by_name[n], pre) for n in alive}
        post_form = {n: clause_formula(enc, vocab, by_name[n], post) for n in alive}
        base = [pre.valid(), enc.trans(pre, post), *[enc.holds(g, pre) for g in fixed]]
        goal_bad = enc.violations(post, goals, "hq")
        implied = _subsumed(vocab, [by_name[n] for n in alive])
        kept = set(alive)

        def strong() -> list[str]:
            weak = {w for n in kept for w in implied[n] if w in kept}
            return [n for n in alive if n in kept and n not in weak]

        # one incremental solver (Z3's QF_BV solver: bit-blasting into an incremental SAT solver, with assumptions
        # and unsat cores): every candidate's pre-state form behind an assumption literal, each set of targets
        # behind a literal of its own; the formula stays, only the assumptions change
        inc = z3.SolverFor("QF_BV")
        inc.add(*base)
        guard = {n: z3.Bool(f"houdini!pre!{n}") for n in alive}
        for n in alive:
            inc.add(z3.Implies(guard[n], pre_form[n]))
        asked: dict[tuple[str, ...], z3.BoolRef] = {}

        def step(assumed: Sequence[str], targets: Sequence[str]) -> tuple[z3.ModelRef | None, list[str], float]:
            """A step from a state of the goals and `assumed` that breaks a goal or one of `targets` (its model), or
            None and the assumed candidates the unsat core used; and the time the query took."""
            nonlocal queries
            key = tuple(sorted(targets))
            if key not in asked:
                asked[key] = z3.Bool(f"houdini!targets!{len(asked)}")
                inc.add(z3.Implies(asked[key], z3.Or([b.formula for b in goal_bad]
                                                     + [z3.Not(post_form[n]) for n in key])))
            if timeout is not None:
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    raise _Timeout()
                inc.set("timeout", max(1, int(left * 1000)))
            queries += 1
            began = time.monotonic()
            r = inc.check(asked[key], *[guard[n] for n in assumed])
            took = time.monotonic() - began
            if r == z3.sat:
                return inc.model(), [], took
            if r != z3.unsat:
                raise _Unknown(inc.reason_unknown())
            used = {str(x) for x in inc.unsat_core()}
            return None, [n for n in assumed if str(guard[n]) in used], took

        def minimal(assumed: list[str], targets: Sequence[str], found: list[str]) -> list[str]:
            """Shrink the core `found` (a subset of `assumed` that suffices for `targets`) until each member is
            needed: the core re-asked while it shrinks, then deletion, each check's core shrinking what is left."""
            while True:
                m, again, _ = step(found, targets)
                assert m is None, "a core suffices"
                if len(again) >= len(found):
                    break
                found = again
            for n in list(found):
                if n in found:
                    m, smaller, _ = step([x for x in found if x != n], targets)
                    if m is None:
                        found = smaller
            return found

        # lazy Houdini: the support for the goals (and then for the support's own lemmas) assuming every kept
        # candidate; a step that breaks a target from a state of all of them drops every candidate it breaks
        support: list[str] = []
        while True:
            use = strong()
            m, found, took = step(use, support)
            if m is not None:
                dropped = {n for n in kept if z3.is_false(m.evaluate(post_form[n], model_completion=True))}
                if expand is not None and dropped:
                    # the same rule on concrete steps, from the counterexample's pre-state: one query drops many
                    # (for as long as the query took: concrete steps are slow where queries are, at 240 vectors)
                    dropped |= expand(pre.decode(m), kept - dropped, took)
                if not dropped & (set(use) | set(support)):  # only a goal broken
                    hit = first_violated(m, goal_bad)
                    assert hit is not None
                    action, params = post.step.decode(m)
                    cti = CTI(pre.decode(m), action, params, post.decode(m), hit.name, hit.witness(m))
                    return HoudiniOutcome("cti", cti=cti, queries=queries,
                                          reason=f"no candidate blocks the step {action} that breaks {hit.name}")
                kept -= dropped
                support = [n for n in support if n in kept]
                continue
            found = minimal(use, support, found)
            if set(found) <= set(support):
                break  # the goals and the support are inductive
            support = list(dict.fromkeys(support + found))
        houdini_queries, houdini_s = queries, time.monotonic() - start
        # a lemma added in a later round can make an earlier one redundant: a deletion pass, with the goals and the
        # rest as targets, leaves a support of which every lemma is needed
        for n in list(support):
            rest = [x for x in support if x != n]
            if step(rest, rest)[0] is None:
                support = rest
        order = {n: i for i, n in enumerate(alive)}
        return HoudiniOutcome("inductive", kept=tuple(n for n in alive if n in kept),
                              support=tuple(sorted(support, key=order.__getitem__)), queries=queries,
                              houdini_queries=houdini_queries, houdini_s=houdini_s,
                              reason=f"{len(support)} of {len(cands)} candidates needed, "
                                     f"{len(cands) - len(kept)} refuted on the way")
    except _Timeout:
        return HoudiniOutcome("unknown", reason="timeout", queries=queries)
    except _Unknown as err:
        return HoudiniOutcome("unknown", reason=f"support: {err}", queries=queries)


class _Unknown(Exception):
    pass

