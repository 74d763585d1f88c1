"""Candidate lemmas for `prove --engine infer`: the spec's vocabulary, filtered by reachable states (docs/infer.md).

The candidates are clauses of at most two literals, quantified as the spec's own properties are: over the domain of
the state's maps (`forall c in Cpu: ...`), and, for literals that read a value, over a domain an invariant quantifies
(`forall c in Cpu, v in VECTORS: ...`). The atoms come from the types of the state variables, per leaf of each map's
codomain (record fields are leaves): a bool leaf is an atom; an enum leaf gives `leaf == M` per member; an integer
leaf `leaf == lo` (its least value, the usual "none"), and `leaf == v` when it can hold the values of a quantified
domain; a bits leaf `leaf == 0` and `leaf[v]`. Clauses whose literals contradict only by the leaf's own values (two
members of one enum) are tautologies and left out.

Sampling keeps only the clauses that hold on every sampled reachable state of the generated model: a breadth-first
prefix of the state graph and seeded random walks beyond it. A clause is checked on the distinct valuations of its
atoms at one value of the map domain (every literal of a clause reads the same `c`), so the cost grows with the
distinct valuations, not with the states. Sampling can only drop clauses that are false in some reachable state, so
it never loses a lemma that holds; what it keeps may still be false, and the Houdini step (generator/smt/houdini.py)
decides. Each candidate is built as IR and as irqspec source text from the same structure, so what is printed is what
was proved (tests re-check the printed text and compare the IR).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from . import ir
from .ir import BOOL

_UID_BASE = 1 << 40  # binder uids of the candidates: far above the checker's
INFERRED_DOC = "Inferred by irqspec prove --engine infer."


@dataclass(frozen=True)
class Atom:
    """A boolean reading of the state at one value `c` of the map domain: `text` with `{c}` (and `{v}` for an atom
    over a quantified value domain `vdom`). `read(state, pos)` is the atom's value at the domain position `pos`: a
    bool, or for an atom over `vdom` the set of its values where it holds, as a bit mask."""

    text: str
    leaf: str  # the leaf it reads: atoms of one leaf can be tautologically related
    vdom: ir.IntType | None
    build: Callable[[ir.Expr, ir.Expr | None], ir.Expr]  # (c, v) -> the atom's IR
    read: Callable[[tuple, int], Any]
    member: str = ""  # an enum atom: the member it compares with
    point: object = None  # the leaf's value(s) where the atom holds, when it is a value test (for tautologies)
    kind: str = "bool"  # over vdom: "bits" (the leaf holds v) or "eq" (the leaf equals v)
    leaf_build: Callable[[ir.Expr], ir.Expr] | None = None  # c -> the leaf (atoms over vdom)


@dataclass(frozen=True)
class Candidate:
    """A clause `literals` (atom index, polarity) over `domain` (and `vdom` when a literal reads a value)."""

    name: str
    text: str  # irqspec source: `forall c in Cpu: ...`
    expr: ir.Expr
    literals: tuple[tuple[int, bool], ...]

    def lemma_text(self) -> str:
        return f"lemma {self.name}:\n  {self.text}"

    def prop(self) -> ir.Property:
        return ir.Property("lemma", self.name, self.expr, doc=INFERRED_DOC)


@dataclass(frozen=True)
class Vocabulary:
    domain: ir.IntType | ir.EnumType | None  # the map domain the clauses quantify over (None: no map variables)
    atoms: tuple[Atom, ...]
    cname: str
    vname: str


def _names(system: ir.System) -> set[str]:
    names = {v.name for v in system.vars} | {c.name for c in system.constants} | {f.name for f in system.functions}
    names |= {a.name for a in system.actions}
    for v in system.vars:
        for t in _types(v.type):
            if isinstance(t, ir.EnumType):
                names |= set(t.members) | {t.name}
            elif isinstance(t, (ir.IntType, ir.RecordType)) and t.name:
                names.add(t.name)
    return names


def _types(t: ir.Type) -> Iterable[ir.Type]:
    yield t
    if isinstance(t, ir.MapType):
        yield from _types(t.domain)
        yield from _types(t.codomain)
    elif isinstance(t, ir.RecordType):
        for _, f in t.fields:
            yield from _types(f)


def _fresh(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def _quantified_domains(system: ir.System) -> list[ir.IntType]:
    """The integer domains the invariants quantify over that no map is indexed by (the values, not the vCPUs)."""
    out: list[ir.IntType] = []
    map_domains = {v.type.domain for v in system.vars if isinstance(v.type, ir.MapType)}

    def walk(e: object) -> None:
        if isinstance(e, ir.Quant) and isinstance(e.domain, ir.IntType) and e.domain.name \
                and e.domain not in map_domains and e.domain not in out:
            out.append(e.domain)
        if hasattr(e, "__dataclass_fields__"):
            for f in e.__dataclass_fields__:
                value = getattr(e, f)
                for x in value if isinstance(value, tuple) else (value,):
                    if hasattr(x, "__dataclass_fields__"):
                        walk(x)

    for p in system.invariants:
        walk(p.expr)
    return out


def _members_mask(t: ir.IntType) -> int:
    mask = 0
    for x in ir.domain_values(t):
        mask |= 1 << x
    return mask


def _leaves(t: ir.Type, text: str, build: Callable[[ir.Expr], ir.Expr], read: Callable[[Any], Any]):
    """(text, type, build, read) per leaf of a value of type `t`: records are opened, field by field."""
    if isinstance(t, ir.RecordType):
        for i, (fname, ft) in enumerate(t.fields):
            yield from _leaves(ft, f"{text}.{fname}",
                               lambda e, b=build, f=fname, ft=ft: ir.Field(b(e), f, ft),
                               lambda x, r=read, i=i: r(x)[i])
    elif isinstance(t, (ir.BoolType, ir.IntType, ir.BitsType, ir.EnumType)):
        yield text, t, build, read


def vocabulary(system: ir.System) -> Vocabulary:
    """The atoms of `system`'s candidates (see the module docstring)."""
    taken = _names(system)
    cname, vname = _fresh("c", taken), _fresh("v", taken)
    domains = [v.type.domain for v in system.vars if isinstance(v.type, ir.MapType)]
    domain = max(set(domains), key=domains.count) if domains else None  # the domain most maps are indexed by
    vdoms = _quantified_domains(system)
    atoms: list[Atom] = []
    for i, var in enumerate(system.vars):
        t = var.type
        if isinstance(t, ir.MapType) and t.domain == domain:
            base_text, base_t = f"{var.name}[{{c}}]", t.codomain

            def base_build(c, var=var):
                return ir.Index(ir.Var(var.name, var.type), c, var.type.codomain)

            def base_read(s, pos, i=i):
                return s[i][pos]
        elif isinstance(t, ir.MapType):
            continue  # maps over another domain (or maps of maps): not in the templates
        else:
            base_text, base_t = var.name, t

            def base_build(c, var=var):
                return ir.Var(var.name, var.type)

            def base_read(s, pos, i=i):
                return s[i]
        for text, lt, lbuild, lread in _leaves(base_t, base_text, lambda e: e, lambda x: x):
            def build_leaf(c, b=lbuild, bb=base_build):
                return b(bb(c))

            def read_leaf(s, pos, r=lread, br=base_read):
                return r(br(s, pos))

            atoms.extend(_atoms_of_leaf(text, lt, build_leaf, read_leaf, vdoms))
    return Vocabulary(domain, tuple(atoms), cname, vname)


def _atoms_of_leaf(text: str, t: ir.Type, build, read, vdoms: list[ir.IntType]) -> list[Atom]:
    out: list[Atom] = []
    if isinstance(t, ir.BoolType):
        out.append(Atom(text, text, None, lambda c, v: build(c), lambda s, p: bool(read(s, p))))
    elif isinstance(t, ir.EnumType):
        for m in t.members[:1] if len(t.members) == 2 else t.members:
            lit = ir.Lit(m, t)
            out.append(Atom(f"{text} == {m}", text, None, lambda c, v, lit=lit: ir.Op("eq", (build(c), lit), BOOL),
                            lambda s, p, m=m: read(s, p) == m, member=m, point=m))
    elif isinstance(t, ir.IntType):
        lo = min(ir.domain_values(t))
        lit = ir.Lit(lo, ir.IntType(lo, lo))
        out.append(Atom(f"{text} == {lo}", text, None, lambda c, v: ir.Op("eq", (build(c), lit), BOOL),
                        lambda s, p: read(s, p) == lo, point=lo))
        for d in vdoms:
            if t.lo <= d.lo and d.hi <= t.hi:
                mask = _members_mask(d)
                out.append(Atom(f"{text} == {{v}}", text, d,
                                lambda c, v: ir.Op("eq", (build(c), v), BOOL),
                                lambda s, p, mask=mask: (1 << read(s, p)) & mask, point=d,
                                kind="eq", leaf_build=build))
    elif isinstance(t, ir.BitsType):
        zero = ir.Lit(0, t)
        out.append(Atom(f"{text} == 0", text, None, lambda c, v: ir.Op("eq", (build(c), zero), BOOL),
                        lambda s, p: read(s, p) == 0, point=-1))
        for d in vdoms:
            if d.hi < t.width:
                mask = _members_mask(d)
                out.append(Atom(f"{text}[{{v}}]", text, d, lambda c, v: ir.Index(build(c), v, BOOL),
                                lambda s, p, mask=mask: read(s, p) & mask, point=d,
                                kind="bits", leaf_build=build))
    return out


def _tautology(a: Atom, pa: bool, b: Atom, pb: bool) -> bool:
    """`leaf == x implies leaf != y` for two values that cannot meet (two members of an enum, a bits leaf empty and
    holding v, the least value and a quantified value outside it): valid whatever the state."""
    if a.leaf != b.leaf or pa or pb or a.point is None or b.point is None:
        return False
    if isinstance(a.point, ir.IntType) and isinstance(b.point, ir.IntType):
        return False  # the same quantified value on both sides: not valid
    if isinstance(a.point, ir.IntType):
        a, b = b, a
    if isinstance(b.point, ir.IntType):
        return a.point not in ir.domain_values(b.point)  # (the empty set of a bits leaf is the point -1)
    return a.point != b.point


def implies_literal(vocab: Vocabulary, first: tuple[int, bool], second: tuple[int, bool]) -> bool:
    """Whether literal `first` implies `second` whatever the state: the same literal, or `leaf == x` and
    `leaf != y` for values x, y that cannot meet."""
    if first == second:
        return True
    (i, pi), (j, pj) = first, second
    return pi and not pj and _tautology(vocab.atoms[i], False, vocab.atoms[j], False)


def clauses(vocab: Vocabulary) -> list[tuple[tuple[int, bool], ...]]:
    """Every clause of one or two literals over the atoms, at most one quantified value domain per clause."""
    lits = [(i, p) for i in range(len(vocab.atoms)) for p in (True, False)]
    out: list[tuple[tuple[int, bool], ...]] = [(lit,) for lit in lits]
    atoms = vocab.atoms
    for (i, pi), (j, pj) in itertools.combinations(lits, 2):
        a, b = atoms[i], atoms[j]
        if i == j or (a.vdom is not None and b.vdom is not None and a.vdom != b.vdom):
            continue
        if _tautology(a, pi, b, pj):
            continue
        out.append(((i, pi), (j, pj)))
    return out


def sample_states(model: ModuleType, bfs_states: int = 2000, walks: int = 200, length: int = 60,
                  seed: int = 0) -> list[tuple]:
    """Reachable states of the generated model: a breadth-first prefix of `bfs_states` states, then `walks` seeded
    random walks of `length` steps (an action chosen uniformly, then one of its enabled instances)."""
    from collections import deque

    from irqspec.runtime.values import RangeViolation

    init = model.initial_state()
    seen = {init: None}
    queue = deque([init])
    while queue and len(seen) < bfs_states:
        s = queue.popleft()
        for name, params in model.enabled_actions(s):
            try:
                t = model.ACTIONS[name].apply(s, *params.values())
            except RangeViolation:
                continue
            if t not in seen:
                seen[t] = None
                queue.append(t)
                if len(seen) >= bfs_states:
                    break
    rng = random.Random(seed)
    actions = list(model.ACTIONS.values())
    for _ in range(walks):
        s = init
        for _ in range(length):
            order = rng.sample(actions, len(actions))
            for info in order:
                # rejection first (a few random parameter tuples), the enumeration of enabled instances after
                choice = None
                for _ in range(4):
                    params = tuple(rng.choice(dom) for _, dom in info.params)
                    if info.enabled(s, *params):
                        choice = params
                        break
                if choice is None:
                    instances = list(info.instances(s))
                    if not instances:
                        continue
                    choice = rng.choice(instances)
                try:
                    s = info.apply(s, *choice)
                except RangeViolation:
                    continue
                seen.setdefault(s, None)
                break
            else:
                break  # nothing enabled: the walk ends
    return list(seen)


def signatures(vocab: Vocabulary, states: Iterable[tuple]) -> set[tuple]:
    """The distinct valuations of the atoms at one domain value, over `states`."""
    positions = range(len(ir.domain_values(vocab.domain))) if vocab.domain is not None else range(1)
    reads = [a.read for a in vocab.atoms]
    return {tuple(r(s, p) for r in reads) for s in states for p in positions}


def filter_clauses(vocab: Vocabulary, cands: list[tuple[tuple[int, bool], ...]], sigs: Iterable[tuple]):
    """The clauses that hold at every valuation in `sigs`. Each atom becomes a bit set over the valuations (for an
    atom over a value domain, one per value), so a clause is checked by a few big-integer operations: at every value
    v, the union of its literals' sets is every valuation."""
    sigs = list(sigs)
    everything = (1 << len(sigs)) - 1
    cpu: dict[int, int] = {}
    per_value: dict[int, dict[int, int]] = {}
    for i, atom in enumerate(vocab.atoms):
        if atom.vdom is None:
            cpu[i] = sum(1 << k for k, sig in enumerate(sigs) if sig[i])
        else:
            sets = dict.fromkeys(ir.domain_values(atom.vdom), 0)
            for k, sig in enumerate(sigs):
                mask = sig[i]
                while mask:
                    low = mask & -mask
                    sets[low.bit_length() - 1] |= 1 << k
                    mask ^= low
            per_value[i] = sets

    def lit(i: int, p: bool, bits: int) -> int:
        return bits if p else everything & ~bits

    def holds(clause: tuple[tuple[int, bool], ...]) -> bool:
        fixed = 0
        values: list[tuple[int, bool]] = []
        for i, p in clause:
            if i in cpu:
                fixed |= lit(i, p, cpu[i])
            else:
                values.append((i, p))
        if not values:
            return fixed == everything
        domain = per_value[values[0][0]]
        for v in domain:
            union = fixed
            for i, p in values:
                union |= lit(i, p, per_value[i][v])
            if union != everything:
                return False
        return True

    return [c for c in cands if holds(c)]


def _lit_text(vocab: Vocabulary, lit: tuple[int, bool], negate: bool = False) -> str:
    i, positive = lit
    if negate:
        positive = not positive
    text = vocab.atoms[i].text.format(c=vocab.cname, v=vocab.vname)
    if positive:
        return text
    if " == " in text:
        return text.replace(" == ", " != ")
    return f"not {text}"


def _lit_expr(vocab: Vocabulary, lit: tuple[int, bool], c: ir.Expr, v: ir.Expr | None, negate: bool = False):
    i, positive = lit
    if negate:
        positive = not positive
    e = vocab.atoms[i].build(c, v)
    if positive:
        return e
    if isinstance(e, ir.Op) and e.op == "eq":
        return ir.Op("ne", e.args, BOOL)
    return ir.Op("not", (e,), BOOL)


def candidate(vocab: Vocabulary, clause: tuple[tuple[int, bool], ...], name: str, uid: int) -> Candidate:
    """The clause as a lemma: `forall c in D[, v in V]: ...`, written `A implies B` with the negative literal (or,
    with none, the first one negated) as the antecedent."""
    vdom = next((vocab.atoms[i].vdom for i, _ in clause if vocab.atoms[i].vdom is not None), None)
    assert vocab.domain is not None
    c = ir.Local(vocab.cname, vocab.domain, uid=uid)
    v = ir.Local(vocab.vname, vdom, uid=uid + 1) if vdom is not None else None
    if len(clause) == 1:
        body_text = _lit_text(vocab, clause[0])
        body = _lit_expr(vocab, clause[0], c, v)
    else:
        first, second = clause
        if first[1] and not second[1]:
            first, second = second, first
        body_text = f"{_lit_text(vocab, first, negate=True)} implies {_lit_text(vocab, second)}"
        body = ir.Op("implies", (_lit_expr(vocab, first, c, v, negate=True), _lit_expr(vocab, second, c, v)), BOOL)
    binders = f"{vocab.cname} in {vocab.domain.name}"
    if v is not None:
        assert vdom is not None
        binders += f", {vocab.vname} in {vdom.name}"
        body = ir.Quant("forall", vocab.vname, vdom, body, uid=uid + 1)
    expr = ir.Quant("forall", vocab.cname, vocab.domain, body, uid=uid)
    return Candidate(name, f"forall {binders}: {body_text}", expr, tuple(clause))


def candidates(system: ir.System, model: ModuleType, prefix: str = "candidate",
               sample: Callable[[ModuleType], list[tuple]] = sample_states,
               vocab: Vocabulary | None = None) -> tuple[list[Candidate], dict[str, int]]:
    """The candidate lemmas of `system` that hold on the sampled reachable states of `model`, with counts."""
    vocab = vocab if vocab is not None else vocabulary(system)
    if vocab.domain is None or not getattr(vocab.domain, "name", ""):
        return [], {"atoms": 0, "clauses": 0, "states": 0, "kept": 0}
    every = clauses(vocab)
    states = sample(model)
    sigs = signatures(vocab, states)
    kept = filter_clauses(vocab, every, sigs)
    taken = {p.name for p in (*system.invariants, *system.lemmas, *system.covers)}
    out = []
    n = 0
    for k, clause in enumerate(kept):
        n += 1
        name = _fresh(f"{prefix}_{n}", taken)
        out.append(candidate(vocab, clause, name, _UID_BASE + 2 * k))
    return out, {"atoms": len(vocab.atoms), "clauses": len(every), "states": len(states),
                 "valuations": len(sigs), "kept": len(kept)}


@dataclass(frozen=True)
class Inference:
    """What `infer` found: the system with the needed lemmas added (None when none could be found), their source
    text, the counterexample to induction no candidate blocks (when that is why), and the figures."""

    system: ir.System | None
    lemmas: tuple[Candidate, ...]
    status: str  # "inductive" | "cti" | "unknown"
    reason: str
    cti: object = None
    figures: dict[str, float] | None = None


def infer(system: ir.System, goals, timeout: float | None = None, model: ModuleType | None = None) -> Inference:
    """Candidates from the vocabulary, filtered by sampled reachable states, then Houdini and a small support with
    Z3 on `system` itself (generator/smt/houdini.py). The lemmas are not yet proved: the caller proves the returned
    system by induction and re-checks the certificate."""
    import time

    from .pybackend.loadmodel import load_model
    from .pybackend.pyexpr import UnsafeName
    from .smt.houdini import houdini

    start = time.monotonic()
    why_none = ""
    if model is None:
        try:
            model = load_model(system)
        except UnsafeName as err:  # a system built by the tool (mutation's product) whose names are not Python's
            why_none = f"no samples: {err}"
    vocab = vocabulary(system)
    if model is not None:
        cands, counts = candidates(system, model, vocab=vocab)
    else:
        cands, counts = [], {"atoms": 0, "clauses": 0, "states": 0, "kept": 0}
    if not cands and not why_none:
        why_none = ("no candidate lemma holds on the sampled states" if counts["clauses"]
                    else "the spec's state has no map over a named domain to quantify over")
    sampled = time.monotonic() - start
    figures: dict[str, float] = {**counts, "sampling_s": sampled}
    # with no candidate, Houdini's first query is plain induction's step query: the invariants may be inductive alone
    left = None if timeout is None else timeout - sampled
    expand = _expander(system, model, vocab, cands, goals) if model is not None and cands else None
    out = houdini(system, goals, vocab, cands, left, expand=expand)
    figures.update(queries=out.queries, houdini_queries=out.houdini_queries, houdini_s=out.houdini_s,
                   support_s=time.monotonic() - start - sampled - out.houdini_s,
                   refuted=len(cands) - len(out.kept), needed=len(out.support))
    if out.status != "inductive":
        reason = f"{out.reason} ({why_none})" if why_none else out.reason
        return Inference(None, (), out.status, reason, cti=out.cti, figures=figures)
    # renumbered in the order kept, so the printed names are inferred_1, inferred_2, ...
    taken = {p.name for p in (*system.invariants, *system.lemmas, *system.covers)}
    by_name = {c.name: c for c in cands}
    needed = []
    for k, name in enumerate(out.support, 1):
        c = by_name[name]
        fresh = _fresh(f"inferred_{k}", taken)
        taken.add(fresh)
        needed.append(Candidate(fresh, c.text, c.expr, c.literals))
    from dataclasses import replace

    with_lemmas = replace(system, lemmas=system.lemmas + tuple(c.prop() for c in needed))
    return Inference(with_lemmas, tuple(needed), "inductive", out.reason, figures=figures)


def _expander(system: ir.System, model: ModuleType, vocab: Vocabulary, cands: list[Candidate], goals,
              budget: int = 1000, draws: int = 8):
    """Houdini's rule on concrete steps (generator/smt/houdini.py): from a counterexample's pre-state, breadth first
    through the states that satisfy the goals and the kept candidates (at most `budget` states, and at most `seconds`
    per call), the candidates that some step breaks; from each state, the steps of `successors`."""
    import time
    from collections import deque

    from irqspec.runtime.values import RangeViolation

    from .evaluate import evaluate

    lemmas = [g for g in goals if g.kind == "lemma"]
    positions = range(len(ir.domain_values(vocab.domain))) if vocab.domain is not None else range(1)
    reads = [a.read for a in vocab.atoms]

    fails: dict[tuple, frozenset[str]] = {}  # a valuation -> the candidates false at it (valuations repeat)

    def false_at(s) -> set[str]:
        out: set[str] = set()
        for p in positions:
            sig = tuple(r(s, p) for r in reads)
            if sig not in fails:
                held = set(filter_clauses(vocab, [c.literals for c in cands], [sig]))
                fails[sig] = frozenset(c.name for c in cands if c.literals not in held)
            out |= fails[sig]
        return out

    def in_region(s, names: set[str]) -> bool:
        if false_at(s) & names or model.violated_invariants(s):
            return False
        return not lemmas or all(evaluate(system, g.expr, model.state_to_dict(s)) for g in lemmas)

    actions = list(model.ACTIONS.values())
    rng = random.Random(0)

    def successors(s):
        """A few steps of each action: its enabled instances when there are few, else some drawn at random (at
        240 vectors, enumerating every instance of every action in every state is what would cost)."""
        for info in actions:
            size = 1
            for _, dom in info.params:
                size *= len(dom)
            if size <= draws:
                chosen = list(info.instances(s))
            else:
                chosen = {params for params in (tuple(rng.choice(dom) for _, dom in info.params)
                                                 for _ in range(draws)) if info.enabled(s, *params)}
            for params in chosen:
                try:
                    yield info.apply(s, *params)
                except RangeViolation:
                    continue

    def expand(pre: dict[str, object], kept: set[str], seconds: float) -> set[str]:
        try:
            start = model.state_from_dict(pre)
        except (KeyError, TypeError, ValueError):
            return set()
        kept = set(kept)
        dropped: set[str] = set()
        if not in_region(start, kept):
            return dropped
        seen = {start}
        queue = deque([start])
        deadline = time.monotonic() + seconds
        while queue and len(seen) < budget and time.monotonic() < deadline:
            s = queue.popleft()
            if not in_region(s, kept):
                continue  # entered the region before a drop made it larger, left it since: not a pre-state now
            for t in successors(s):
                if t in seen:
                    continue
                seen.add(t)
                bad = false_at(t) & kept
                if bad:
                    dropped |= bad
                    kept -= bad
                queue.append(t)
        return dropped

    return expand

