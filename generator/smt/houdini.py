"""Houdini over candidate lemmas, and a small support for the proof (docs/infer.md).

`houdini` keeps the largest subset of the candidates that, with the goals, is inductive: a query asks for a state of
the goals and the kept candidates, a step, and a post-state that breaks one of them; every candidate false in that
post-state is dropped (its pre-state satisfied them all, so none of those can be part of an inductive subset with
the others), and the query is asked again. When the post-state breaks a goal and no candidate, no subset of the
candidates can block it: that counterexample to induction is the answer. With `expand`, the rule is also applied
on concrete steps (the generated model's), from the counterexample's pre-state through the states that satisfy the
goals and every candidate still kept: any candidate such a step breaks is dropped too. That is the same rule (a
state of the goals and the kept candidates, a step, a candidate broken), so it keeps the same largest inductive
subset, and one query drops many candidates instead of one or two. A candidate that another one implies
syntactically (the same clause with a literal replaced by a weaker one, `leaf == Idle` by `leaf != Running`) stays out
of the queries while its stronger one is kept: the stronger implies it, so it adds nothing to an inductive set.

A small subset that is enough is found next: QuickXplain (Junker, AAAI 2004) for the candidates that make the goals
relatively inductive, then the same for what those need, until the set is closed; a last pass drops any lemma the
others make redundant, so every printed lemma is needed. The queries go through Z3's qfbv tactic, one fresh solver
each (bmc.new_solver: no unsat cores there, hence the divide and conquer; a greedy choice of the shortest candidate
that blocks each counterexample was tried and kept 13 lemmas where QuickXplain keeps 3).

The candidates' clauses are encoded here as bit-vector formulas (a literal over the vector domain is a 256-bit mask,
`v in VECTORS` one AND with the domain's mask), not by expanding the quantifier over 240 vectors. That encoding only
steers the search: what is kept is proved afterwards by the induction engine on the IR of the printed lemmas,
its certificate re-checked, like every proof.
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
    """"inductive" (the kept candidates, and the small support found among them), "cti" (a counterexample to
    induction of a goal that no candidate blocks), or "unknown" (solver gave up, or out of time)."""

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
    """The largest inductive subset of `cands` with `goals`, and a small support among it (module docstring)."""
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
            alive = [n for n in alive if not z3.is_false(m.eval(init_form[n], model_completion=True))]

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

        while True:
            use = strong()
            q = solver()
            q.add(*base, *[pre_form[n] for n in use],
                  z3.Or([b.formula for b in goal_bad] + [z3.Not(post_form[n]) for n in use]))
            queries += 1
            asked = time.monotonic()
            r = q.check()
            took = time.monotonic() - asked
            if r == z3.unsat:
                break
            if r != z3.sat:
                return unknown(q, "Houdini step")
            m = q.model()
            dropped = {n for n in kept if z3.is_false(m.eval(post_form[n], model_completion=True))}
            if expand is not None and dropped & set(use):
                # the same rule on concrete steps, from the counterexample's pre-state: one query drops many
                # (for as long as the query took: concrete steps are slow where queries are, at 240 vectors)
                dropped |= expand(pre.decode(m), kept - dropped, took)
            if not dropped & set(use):
                hit = first_violated(m, goal_bad)
                assert hit is not None
                action, params = post.step.decode(m)
                cti = CTI(pre.decode(m), action, params, post.decode(m), hit.name, hit.witness(m))
                return HoudiniOutcome("cti", cti=cti, queries=queries,
                                      reason=f"no candidate blocks the step {action} that breaks {hit.name}")
            kept -= dropped
        use = strong()
        houdini_queries = queries
        houdini_s = time.monotonic() - start

        def counterexample(assumed: Sequence[str], targets: Sequence[str], with_goals: bool) -> bool:
            """Whether a step from a state of the goals and `assumed` breaks one of `targets` (or a goal)."""
            nonlocal queries
            q = solver()
            bad = [z3.Not(post_form[n]) for n in targets] + ([b.formula for b in goal_bad] if with_goals else [])
            q.add(*base, *[pre_form[n] for n in assumed], z3.Or(bad))
            queries += 1
            r = q.check()
            if r not in (z3.sat, z3.unsat):
                raise _Unknown(q.reason_unknown())
            return r == z3.sat

        support: list[str] = []
        targets: list[str] = []
        with_goals = True
        while True:
            pool = [n for n in use if n not in support]
            extra = _quickxplain(lambda xs: not counterexample([*support, *xs], targets, with_goals), pool)
            support.extend(extra)
            targets = list(support)
            with_goals = False
            if not counterexample(support, support, True):
                break
            with_goals = True
        # a lemma added early can be made redundant by later ones: a deletion pass leaves a support of which every
        # lemma is needed
        for n in list(support):
            rest = [x for x in support if x != n]
            if not counterexample(rest, rest, True):
                support = rest
        order = {n: i for i, n in enumerate(alive)}
        return HoudiniOutcome("inductive", kept=tuple(n for n in alive if n in kept),
                              support=tuple(sorted(support, key=order.__getitem__)), queries=queries,
                              houdini_queries=houdini_queries, houdini_s=houdini_s,
                              reason=f"{len(kept)} of {len(cands)} candidates inductive with the goals, "
                                     f"{len(support)} needed")
    except _Timeout:
        return HoudiniOutcome("unknown", reason="timeout", queries=queries)
    except _Unknown as err:
        return HoudiniOutcome("unknown", reason=f"support: {err}", queries=queries)


class _Unknown(Exception):
    pass


def _quickxplain(holds: Callable[[list[str]], bool], pool: list[str]) -> list[str]:
    """A minimal subset X of `pool` with holds(X), given holds(pool) (Junker's QuickXplain: about 2k log(n/k)
    queries for a support of k out of n). holds must be monotone: more assumptions, more that holds."""
    if holds([]):
        return []

    def qx(base: list[str], delta: bool, cands: list[str]) -> list[str]:
        if delta and holds(base):
            return []
        if len(cands) == 1:
            return cands
        half = len(cands) // 2
        first, second = cands[:half], cands[half:]
        x2 = qx(base + first, bool(first), second)
        x1 = qx(base + x2, bool(x2), first)
        return x1 + x2

    return qx([], False, pool) if pool else []
