"""The small-domain reduction of the vector sort: which values of a spec are interrupt vectors and priority classes,
whether the spec treats them data-independently, and the representative vectors that decide one depth of BMC.

The argument and its conditions are in docs/reduction.md. In short: when every vector-typed value is used only
through equality, order, `prio` (v >> 4), the class base (`v & 0xf0`, `c << 4`), `min`/`max`, bit sets of vectors
(`bit`, membership, union, intersection, difference, `highest`, `lowest`, `popcount`), and the constant 0, then a
map that renames the vectors a run mentions, keeping their order and their classes' order, turns the run into a run
of the same spec that violates the same property. A run of d steps mentions at most n = p*d + w vectors and classes
(p: the most an action takes as parameters, w: the property's quantified ones), and every such set of values maps
into the fixed "staircase" set `representatives(n)`. So BMC at depth d may draw the vector and class parameters, and
the property's witnesses, from that set alone: no violation there means none at all.

`analyse(system)` infers the sorts by unification over the IR (every integer position of state, parameters, defs
and properties is a node; an expression's shape joins the nodes it reads, writes or compares) and checks the
conditions, giving the sorts found or the first reason the reduction does not apply (with its position). Only the
Z3 BMC uses it (generator/smt/bmc.py); the generated model and the explorer read the full domains.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import ir, transition
from .front.diagnostics import NO_SPAN, Span
from .semantics import OPERATORS

UNIVERSE = ir.IntType(0, 255)  # the vector sort's values: 8-bit vectors and priority registers
CLASSES = ir.IntType(0, 15)  # its priority classes, v >> 4
CLASS_SHIFT, CLASS_MASK = 4, 0xF0


@dataclass(frozen=True)
class Sort:
    """One vector sort and its class sort, as the BMC restricts them."""

    vector_params: tuple[tuple[str, str], ...]  # (action, parameter) whose values are vectors
    class_params: tuple[tuple[str, str], ...]  # (action, parameter) whose values are priority classes
    per_step: int  # the most vector and class parameters one action takes
    witnesses: dict[str, tuple[tuple[int, str], ...]]  # property -> its leading binders of the sorts (uid, "vector"|"class")
    sets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (variable, path: "[]" or a field name) of each bit set of vectors
    guarded: frozenset[int] = frozenset()  # witnesses a violation needs in a bit set: they cost no representative

    def counted(self, prop: str) -> int:
        """w: the leading binders of `prop` over these sorts that may be values no parameter brought in."""
        return sum(1 for uid, _ in self.witnesses.get(prop, ()) if uid not in self.guarded)


@dataclass(frozen=True)
class Analysis:
    sorts: tuple[Sort, ...]
    reason: str = ""  # why no vector reduction applies ("" when `sorts` is not empty)
    fixed: dict[int, int] = field(default_factory=dict)  # binder uid -> the value symmetry fixes that witness to
    symmetric: tuple[str, ...] = ()  # the sorts whose values are interchangeable, by the name of their type

    @property
    def applies(self) -> bool:
        return bool(self.sorts or self.fixed)

    def atoms(self, prop: str, depth: int) -> int:
        """n: the most vector and class values a run of `depth` steps that violates `prop` mentions (per sort)."""
        return max(s.per_step * depth + s.counted(prop) for s in self.sorts)


def representatives(n: int) -> tuple[ir.IntType, ir.IntType]:
    """The vectors and classes into which any n vector and class values map (docs/reduction.md): class 0 keeps its
    lowest n+1 vectors; the j-th class above it (j = 1..n) its base and the lowest n-j+1 vectors above the base."""
    vec = [(0, min(15, n))]
    for j in range(1, min(n, 15) + 1):
        vec.append((16 * j, 16 * j + min(15, n - j + 1)))
    return ir.int_set(vec), ir.IntType(0, min(n, 15))


def downward_closed(t: ir.IntType, kind: str) -> bool:
    """Whether the renaming keeps values of `t` in `t`: it lowers a vector's offset in its class and its class (not
    class 0), and lowers a class (not class 0)."""
    values = [v for a, b in t.spans() for v in range(a, b + 1)]
    if kind == "class":
        return all(0 <= v <= CLASSES.hi for v in values) and all(v < 2 or t.has(v - 1) for v in values)
    return all(0 <= v <= UNIVERSE.hi for v in values) and all(
        (v & 15 == 0 or t.has(v - 1)) and (v >> 4 < 2 or t.has(v - 16)) for v in values)


# ------------------------------------------------------------------------------------------------------- shapes
@dataclass
class _Bits:
    elem: int


@dataclass
class _Map:
    dom: int | None  # None: an enum domain
    cod: "_Shape"


@dataclass
class _Rec:
    fields: dict[str, "_Shape"]


_Shape = int | _Bits | _Map | _Rec | None


@dataclass
class _Class:
    """What is known of one class of nodes."""

    consts: set[int] = field(default_factory=set)
    set_consts: set[int] = field(default_factory=set)  # bit-set literals whose members are of this class
    types: list[tuple[ir.IntType, str, str]] = field(default_factory=list)  # (declared type, "slot"|"domain", where)
    widths: set[int] = field(default_factory=set)  # widths of bit sets of this class
    params: list[tuple[str, str]] = field(default_factory=list)
    witnesses: list[tuple[str, int]] = field(default_factory=list)  # (property, binder uid)
    guarded: set[int] = field(default_factory=set)  # witness uids the violation needs as members of a bit set
    refused: list[str] = field(default_factory=list)  # uses outside the conditions, with their positions
    inner: list[str] = field(default_factory=list)  # quantifiers inside formulas (fine for a symmetric sort)
    ordered: bool = False  # compared by order, or min/max taken
    proj: int | None = None  # the node of this class's `prio`


class _Analyser:
    def __init__(self, system: ir.System):
        self.system = system
        self.parent: list[int] = []
        self.data: list[_Class] = []
        self.var_shapes = {v.name: self.shape_of(v.type, f"variable {v.name}") for v in system.vars}
        self.func_shapes: dict[str, tuple[list[_Shape], _Shape]] = {}

    # union-find
    def node(self) -> int:
        self.parent.append(len(self.parent))
        self.data.append(_Class())
        return len(self.parent) - 1

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        self.parent[b] = a
        da, db = self.data[a], self.data[b]
        da.consts |= db.consts
        da.set_consts |= db.set_consts
        da.types += db.types
        da.widths |= db.widths
        da.params += db.params
        da.witnesses += db.witnesses
        da.guarded |= db.guarded
        da.refused += db.refused
        da.inner += db.inner
        da.ordered |= db.ordered
        pa, pb = da.proj, db.proj
        da.proj = pa if pa is not None else pb
        if pa is not None and pb is not None:
            self.union(pa, pb)

    def cls(self, n: int) -> _Class:
        return self.data[self.find(n)]

    def refuse(self, shape: _Shape, why: str, span: Span) -> None:
        where = f"{span}: " if span != NO_SPAN and span.line > 0 else ""
        for n in self.nodes(shape):
            self.cls(n).refused.append(f"{where}{why}")

    def nodes(self, shape: _Shape) -> list[int]:
        if isinstance(shape, int):
            return [shape]
        if isinstance(shape, _Bits):
            return [shape.elem]
        if isinstance(shape, _Map):
            return ([shape.dom] if shape.dom is not None else []) + self.nodes(shape.cod)
        if isinstance(shape, _Rec):
            return [n for s in shape.fields.values() for n in self.nodes(s)]
        return []

    def projection(self, n: int) -> int:
        c = self.cls(n)
        if c.proj is None:
            c.proj = self.node()
        return c.proj

    # shapes
    def shape_of(self, t: ir.Type, where: str, kind: str = "slot") -> _Shape:
        if isinstance(t, ir.IntType):
            n = self.node()
            self.data[n].types.append((t, kind, where))
            return n
        if isinstance(t, ir.BitsType):
            n = self.node()
            self.data[n].widths.add(t.width)
            return _Bits(n)
        if isinstance(t, ir.MapType):
            dom = self.shape_of(t.domain, where, "map domain") if isinstance(t.domain, ir.IntType) else None
            return _Map(dom if isinstance(dom, int) else None, self.shape_of(t.codomain, where))
        if isinstance(t, ir.RecordType):
            return _Rec({name: self.shape_of(ft, f"{where}.{name}") for name, ft in t.fields})
        return None

    def join(self, a: _Shape, b: _Shape) -> None:
        if isinstance(a, int) and isinstance(b, int):
            self.union(a, b)
        elif isinstance(a, _Bits) and isinstance(b, _Bits):
            self.union(a.elem, b.elem)
        elif isinstance(a, _Map) and isinstance(b, _Map):
            if a.dom is not None and b.dom is not None:
                self.union(a.dom, b.dom)
            self.join(a.cod, b.cod)
        elif isinstance(a, _Rec) and isinstance(b, _Rec):
            for name, s in a.fields.items():
                if name in b.fields:
                    self.join(s, b.fields[name])

    # expressions
    def expr(self, e: ir.Expr, env: dict[int, _Shape]) -> _Shape:
        if isinstance(e, ir.Lit):
            if isinstance(e.type, ir.BitsType):
                n = self.node()
                self.data[n].set_consts.add(int(e.value))  # type: ignore[call-overload]
                self.data[n].widths.add(e.type.width)
                return _Bits(n)
            if isinstance(e.type, ir.IntType) and not isinstance(e.value, bool):
                n = self.node()
                self.data[n].consts.add(int(e.value))  # type: ignore[call-overload]
                return n
            return None
        if isinstance(e, ir.Var):
            return self.var_shapes[e.name]
        if isinstance(e, ir.Local):
            return env.get(e.uid)
        if isinstance(e, ir.Index):
            base = self.expr(e.base, env)
            idx = self.expr(e.index, env)
            if isinstance(base, _Bits):
                self.join(base.elem, idx)
                return None
            if isinstance(base, _Map):
                if base.dom is not None:
                    self.join(base.dom, idx)
                return base.cod
            return None
        if isinstance(e, ir.Field):
            base = self.expr(e.base, env)
            return base.fields.get(e.name) if isinstance(base, _Rec) else None
        if isinstance(e, ir.Ite):
            self.expr(e.cond, env)
            a, b = self.expr(e.then, env), self.expr(e.else_, env)
            self.join(a, b)
            return a
        if isinstance(e, ir.Let):
            value = self.expr(e.value, env)
            return self.expr(e.body, {**env, e.uid: value})
        if isinstance(e, ir.Quant):
            binder = self.shape_of(e.domain, f"the binder {e.name}", "quantifier")
            if isinstance(binder, int):
                where = f"{e.span}: " if e.span != NO_SPAN and e.span.line > 0 else ""
                self.data[binder].inner.append(f"{where}a quantifier over vectors inside a formula (`{e.kind} "
                                               f"{e.name}`)")
            self.expr(e.body, {**env, e.uid: binder})
            return None
        if isinstance(e, ir.MapLit):
            binder = self.shape_of(e.domain, f"the binder {e.name}", "map domain")
            return _Map(binder if isinstance(binder, int) else None, self.expr(e.body, {**env, e.uid: binder}))
        if isinstance(e, ir.RecordLit):
            assert isinstance(e.type, ir.RecordType)
            return _Rec({name: self.expr(v, env) for (name, _), v in zip(e.type.fields, e.values)})
        if isinstance(e, ir.Call):
            params, result = self.function(e.func)
            for p, a in zip(params, e.args):
                self.join(p, self.expr(a, env))
            return result
        if isinstance(e, ir.Update):
            base = self.expr(e.base, env)
            value = self.expr(e.value, env)
            if e.index is not None:
                idx = self.expr(e.index, env)
                if isinstance(base, _Bits):
                    self.join(base.elem, idx)
                elif isinstance(base, _Map):
                    if base.dom is not None:
                        self.join(base.dom, idx)
                    self.join(base.cod, value)
            elif isinstance(base, _Rec) and e.field_name is not None:
                self.join(base.fields.get(e.field_name), value)
            return base
        assert isinstance(e, ir.Op)
        return self.op(e, env)

    def op(self, e: ir.Op, env: dict[int, _Shape]) -> _Shape:
        op = e.op
        if op == "bvand" and isinstance(e.args[1], ir.Op) and e.args[1].op == "bvnot":
            a, b = self.expr(e.args[0], env), self.expr(e.args[1].args[0], env)  # a - b: a set difference
            self.join(a, b)
            return a
        if op in ("shr", "shl") and isinstance(e.args[1], ir.Lit) and e.args[1].value == CLASS_SHIFT or op == "prio":
            arg = self.expr(e.args[0], env)
            if not isinstance(arg, int):
                return None
            if op == "shl":  # a class's base vector, whose class is the argument
                out = self.node()
                self.union(self.projection(out), arg)
                return out
            return self.projection(arg)
        if op == "band" and isinstance(e.args[1], ir.Lit) and e.args[1].value == CLASS_MASK:
            return self.expr(e.args[0], env)  # the base of v's class: a vector of the same sort
        args = [self.expr(a, env) for a in e.args]
        if op in ("eq", "ne", "lt", "le", "gt", "ge", "min", "max", "bvor", "bvand"):
            self.join(args[0], args[1])
            if op in ("lt", "le", "gt", "ge", "min", "max") and isinstance(args[0], int):
                self.cls(args[0]).ordered = True
            return args[0] if op in ("min", "max", "bvor", "bvand") else None
        if op == "bit":
            return _Bits(args[0]) if isinstance(args[0], int) else None
        if op in ("highest", "lowest"):
            return args[0].elem if isinstance(args[0], _Bits) else None
        if op in ("not", "and", "or", "implies", "popcount"):
            return self.node() if op == "popcount" else None
        symbol = OPERATORS[op].symbol if op in OPERATORS else op
        for a in args:
            self.refuse(a, f"`{symbol}` on a vector", e.span)
        out = self.node() if isinstance(e.type, ir.IntType) else (
            _Bits(self.node()) if isinstance(e.type, ir.BitsType) else None)
        self.refuse(out, f"a vector computed by `{symbol}`", e.span)
        return out

    def function(self, name: str) -> tuple[list[_Shape], _Shape]:
        if name not in self.func_shapes:
            f = self.system.function(name)
            params = [self.shape_of(p.type, f"parameter {p.name} of {name}") for p in f.params]
            result = self.shape_of(f.result, f"the result of {name}")
            self.func_shapes[name] = (params, result)
            self.join(result, self.expr(f.body, {p.uid: s for p, s in zip(f.params, params)}))
        return self.func_shapes[name]

    def run(self, extra: Sequence[tuple[str, ir.Expr]] = (), liveness: bool = False) -> None:
        s = self.system
        self.param_shapes: dict[str, dict[int, _Shape]] = {}
        for name, e in s.init:
            self.join(self.var_shapes[name], self.expr(e, {}))
        for a in s.actions:
            env: dict[int, _Shape] = {}
            for p in a.params:
                shape = self.shape_of(p.type, f"parameter {p.name} of {a.name}", "domain")
                env[p.uid] = shape
                if isinstance(shape, int):
                    self.data[shape].params.append((a.name, p.name))
            self.param_shapes[a.name] = env
            self.expr(a.guard, env)
            for var, e in transition.relation(s, a).next_values:
                self.join(self.var_shapes[var], self.expr(e, env))
        for prop in s.invariants + s.lemmas + s.covers:
            kind = "exists" if prop.kind == "cover" else "forall"
            body, env = prop.expr, {}
            while isinstance(body, ir.Quant) and body.kind == kind:
                binder = self.shape_of(body.domain, f"the binder {body.name} of {prop.name}", "domain")
                if isinstance(binder, int):
                    self.data[binder].witnesses.append((prop.name, body.uid))
                env[body.uid] = binder
                body = body.body
            for uid in _members_needed(body, prop.kind == "cover"):
                shape = env.get(uid)
                if isinstance(shape, int):
                    self.data[self.find(shape)].guarded.add(uid)
            self.expr(body, env)
        for action, e in extra:  # conditions over an action's pre-state and parameters (coverage goals)
            self.expr(e, self.param_shapes[action])
        if liveness:  # the lasso search reads the liveness properties and the fairness clauses too
            for lv in s.liveness:
                env = {}
                for b in lv.binders:
                    binder = self.shape_of(b.type, f"the binder {b.name} of {lv.name}", "domain")
                    if isinstance(binder, int):
                        self.data[binder].witnesses.append((lv.name, b.uid))
                    env[b.uid] = binder
                for uid in _members_needed(lv.p, True):  # p holds at the lasso's state j: a member of the state
                    shape = env.get(uid)
                    if isinstance(shape, int):
                        self.data[self.find(shape)].guarded.add(uid)
                self.expr(lv.p, env)
                self.expr(lv.q, env)
            for a in s.actions:
                if a.fair_when is not None:
                    self.expr(a.fair_when, self.param_shapes[a.name])


def analyse(system: ir.System, extra: Sequence[tuple[str, ir.Expr]] = (), liveness: bool = False) -> Analysis:
    """The vector sorts of `system` for which the reduction is sound, or why there is none (docs/reduction.md).
    `extra`: conditions over an action's pre-state and parameters that a search asks for (coverage goals, by their
    action's name), held to the same conditions as the spec. `liveness`: for the lasso search, which also reads the
    liveness properties (their binders are witnesses) and the fairness `when` clauses, and whose fairness counts every
    instance of a fair action: a vector or class parameter of one refuses the reduction of its sort."""
    a = _Analyser(system)
    a.run(extra, liveness)
    roots = sorted({a.find(n) for n in range(len(a.parent))})
    sorts, reasons = [], []
    for root in roots:
        vec = a.data[root]
        if vec.proj is None or not vec.params:
            continue
        krt = a.find(vec.proj)
        why = _refusal(a, root, "vector") or _refusal(a, krt, "class")
        if not why and krt == root:
            why = "a value is both a vector and its own priority class"
        if not why and a.data[krt].proj is not None:
            why = "the priority class of a priority class is taken"
        if not why and liveness:
            fair = next((f"{act}({p})" for act, p in vec.params + a.data[krt].params
                         if system.action(act).fairness), None)
            if fair is not None:
                why = (f"the fair action parameter {fair} ranges over vectors: fairness counts its instances for "
                       "every vector, not only the representatives")
        if why:
            reasons.append(why)
            continue
        cls = a.data[krt]
        per_step = max((sum(1 for p in act.params if (act.name, p.name) in vec.params + cls.params)
                        for act in system.actions), default=0)
        witnesses: dict[str, list[tuple[int, str]]] = {}
        for kind, c in (("vector", vec), ("class", cls)):
            for prop, uid in c.witnesses:
                witnesses.setdefault(prop, []).append((uid, kind))
        sets = tuple((var, path) for var, shape in a.var_shapes.items() for path, elem in _set_paths(shape, ())
                     if a.find(elem) == root)
        sorts.append(Sort(tuple(vec.params), tuple(cls.params), per_step,
                          {p: tuple(sorted(w)) for p, w in witnesses.items()}, sets,
                          frozenset(vec.guarded | cls.guarded)))
    fixed, symmetric = _symmetric_witnesses(a, roots)
    if sorts:
        return Analysis(tuple(sorts), "", fixed, symmetric)
    reason = reasons[0] if reasons else \
        "no action parameter is an interrupt vector (a value whose priority class `prio` is taken)"
    return Analysis((), reason, fixed, symmetric)


def scalarset(system: ir.System, name: str) -> str:
    """"" when every use of the type `name` is a scalarset's (docs/reduction.md, "Symmetric vCPUs"), so that one
    permutation of its values applied to all of them at once maps runs to runs; else the first reason it is not.
    Unlike the witness fixing, which looks at each sort the unification finds on its own, this holds every sort
    that the named type's positions fall into to the conditions: explore permutes them all together."""
    a = _Analyser(system)
    a.run((), False)
    roots = sorted({a.find(n) for n in range(len(a.parent))})
    projections = {a.find(c.proj) for c in (a.data[r] for r in roots) if c.proj is not None}
    found = False
    for root in roots:
        c = a.data[root]
        if not any(t.name == name for t, _, _ in c.types):
            continue
        found = True
        where = next(w for t, _, w in c.types if t.name == name)
        if c.refused:  # (quantifiers inside formulas, `inner`, range over the whole type: fine for a scalarset)
            return f"{where}: {c.refused[0]}"
        if c.consts or c.set_consts:
            return f"{where}: a constant of {name}"
        if c.widths:
            return f"{where}: a bit set of {name}"
        if c.ordered:
            return f"{where}: {name} is ordered or computed with"
        if c.proj is not None or root in projections:
            return f"{where}: a priority class of {name}, or from it"
        if len({(t.lo, t.hi, t.runs) for t, _, _ in c.types}) != 1 or any(t.runs for t, _, _ in c.types):
            return f"{where}: {name} positions with different ranges"
    return "" if found else f"{name} is not used"


def _symmetric_witnesses(a: _Analyser, roots: list[int]) -> tuple[dict[int, int], tuple[str, ...]]:
    """The witnesses that symmetry fixes (docs/reduction.md, "Symmetric vCPUs"): for each sort whose values are
    interchangeable (a scalarset: some action's parameters, one full range as every type, used only by equality, as a
    map index, as parameters and in quantifiers over the whole range; no constant, order, arithmetic, bit set or
    class), the first leading binder of each property over it, fixed to the range's lowest value."""
    projections = {a.find(c.proj) for c in (a.data[r] for r in roots) if c.proj is not None}
    fixed: dict[int, int] = {}
    names: list[str] = []
    for root in roots:
        c = a.data[root]
        if not c.witnesses or not c.params or c.refused or c.consts or c.set_consts or c.widths or c.ordered:
            continue
        if c.proj is not None or root in projections:
            continue
        types = {(t.lo, t.hi, t.runs) for t, _, _ in c.types}
        if len(types) != 1 or next(iter(types))[2] is not None:
            continue
        lo = next(iter(types))[0]
        seen: set[str] = set()
        for prop, uid in c.witnesses:
            if prop not in seen:
                seen.add(prop)
                fixed[uid] = lo
        names.extend(sorted({t.name for t, _, _ in c.types if t.name}))
    return fixed, tuple(dict.fromkeys(names))


def _members_needed(body: ir.Expr, cover: bool) -> set[int]:
    """The binders that a state violating `body` (for a cover: meeting it) must hold in a bit set: those indexing a
    set of the state in a conjunct of `A` of `A implies B` or of `X` of `not X` (of `body` itself for a cover). Such
    a witness is a value the run already has (a parameter, a class base or 0), so it costs no representative."""
    if cover:
        parts = ir.conjuncts(body)
    elif isinstance(body, ir.Op) and body.op == "implies":
        parts = ir.conjuncts(body.args[0])
    elif isinstance(body, ir.Op) and body.op == "not":
        parts = ir.conjuncts(body.args[0])
    else:
        return set()
    return {c.index.uid for c in parts if isinstance(c, ir.Index) and isinstance(c.base.type, ir.BitsType)
            and isinstance(c.index, ir.Local) and _state_part(c.base)}


def _state_part(e: ir.Expr) -> bool:
    """Whether `e` reads a part of the state (`irr[c]`, `outer[c].vector`), not a value computed in the formula:
    the members of `(s | bit(v))` include v whatever the run."""
    while isinstance(e, (ir.Index, ir.Field)):
        e = e.base
    return isinstance(e, ir.Var)


def _set_paths(shape: _Shape, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    """The paths to the bit sets inside a variable's shape, with their element nodes."""
    if isinstance(shape, _Bits):
        return [(path, shape.elem)]
    if isinstance(shape, _Map):
        return _set_paths(shape.cod, path + ("[]",))
    if isinstance(shape, _Rec):
        return [x for name, s in shape.fields.items() for x in _set_paths(s, path + (name,))]
    return []


def _refusal(a: _Analyser, root: int, kind: str) -> str:
    c = a.data[root]
    if c.refused or c.inner:
        return (c.refused or c.inner)[0]
    universe = UNIVERSE if kind == "vector" else CLASSES
    if c.consts - {0}:
        return f"the constant {min(c.consts - {0})} used as a {kind} (only 0 may be)"
    if c.set_consts - {0}:
        return f"a set literal other than the empty set over {kind}s"
    if kind == "vector" and c.widths - {UNIVERSE.hi + 1} or kind == "class" and c.widths - {CLASSES.hi + 1}:
        return f"a bit set of {kind}s that is not {universe.hi + 1} bits wide"
    for t, how, where in c.types:
        if how == "domain":
            if not downward_closed(t, kind):
                return (f"the {kind}s of {where} ({t.values_text()}) are not closed under lowering a {kind} "
                        f"(docs/reduction.md)")
        elif how == "slot":
            if (t.lo, t.hi, t.runs) != (universe.lo, universe.hi, None):
                return f"{where} holds {kind}s in {t.values_text()}, not all of {universe.values_text()}"
        else:
            return f"{where} ranges over {kind}s ({how})"
    return ""


def intersect(t: ir.IntType, other: ir.IntType) -> ir.IntType | None:
    """The values of both types (None: none), named as `t`."""
    spans = [(max(a, c), min(b, d)) for a, b in t.spans() for c, d in other.spans() if max(a, c) <= min(b, d)]
    return ir.int_set(spans, t.name) if spans else None


def restrict(system: ir.System, analysis: Analysis, ns: tuple[int, ...]) -> ir.System:
    """`system` with every vector and class parameter, and every leading binder of a property over them, drawn from
    `representatives(n)` (one n per sort of `analysis`); `system` itself when that narrows nothing. A parameter left
    with no value keeps one, its lowest: its action then takes only that value, which no run of the bound mentions
    otherwise."""
    domains: dict[tuple[str, str], ir.IntType] = {}
    binders: dict[int, ir.IntType] = {}
    for s, n in zip(analysis.sorts, ns):
        vec, cls = representatives(n)
        for key in s.vector_params:
            domains[key] = vec
        for key in s.class_params:
            domains[key] = cls
        for uids in s.witnesses.values():
            for uid, kind in uids:
                binders[uid] = vec if kind == "vector" else cls
    for uid, value in analysis.fixed.items():
        binders[uid] = ir.IntType(value, value)

    def narrowed(t: ir.Type, to: ir.IntType | None) -> ir.Type:
        if to is None or not isinstance(t, ir.IntType):
            return t
        out = intersect(t, to)
        return out if out is not None else ir.IntType(t.lo, t.lo, t.name)

    masks: dict[tuple[str, tuple[str, ...]], int] = {}  # bit sets of vectors -> the representatives' bits
    for s, n in zip(analysis.sorts, ns):
        vec, _ = representatives(n)
        mask = sum(1 << v for a, b in vec.spans() for v in range(a, b + 1))
        for key in s.sets:
            masks[key] = mask

    def masked(stmts: tuple[ir.Stmt, ...]) -> tuple[ir.Stmt, ...]:
        out: list[ir.Stmt] = []
        for st in stmts:
            if isinstance(st, ir.If):
                out.append(dataclasses.replace(st, then=masked(st.then), else_=masked(st.else_)))
            elif isinstance(st, ir.Assign) and isinstance(st.target_type, ir.BitsType):
                key = (st.var, tuple("[]" if isinstance(p, ir.IndexStep) else p.name for p in st.path))
                if key in masks:
                    t = st.target_type
                    value = ir.Op("bvand", (st.value, ir.Lit(masks[key], t)), t, st.value.span)
                    st = dataclasses.replace(st, value=value)
                out.append(st)
            else:
                out.append(st)
        return tuple(out)

    actions = tuple(dataclasses.replace(a, body=masked(a.body), params=tuple(
        dataclasses.replace(p, type=narrowed(p.type, domains.get((a.name, p.name)))) for p in a.params))
        for a in system.actions)

    def prop(p: ir.Property) -> ir.Property:
        def lead(e: ir.Expr) -> ir.Expr:
            if isinstance(e, ir.Quant) and e.uid in binders:
                domain = narrowed(e.domain, binders[e.uid])
                assert isinstance(domain, ir.IntType)
                return dataclasses.replace(e, domain=domain, body=lead(e.body))
            if isinstance(e, ir.Quant):
                return dataclasses.replace(e, body=lead(e.body))
            return e
        return dataclasses.replace(p, expr=lead(p.expr))

    liveness = tuple(dataclasses.replace(lv, binders=tuple(
        dataclasses.replace(b, type=narrowed(b.type, binders.get(b.uid))) for b in lv.binders))
        for lv in system.liveness)
    if all(p.type == q.type for a, b in zip(actions, system.actions) for p, q in zip(a.params, b.params)) and all(
            _lead_domains(p.expr) == _lead_domains(q.expr) for p, q in zip(
                (prop(x) for x in system.invariants + system.lemmas), system.invariants + system.lemmas)) and all(
            p.type == q.type for a, b in zip(liveness, system.liveness) for p, q in zip(a.binders, b.binders)):
        return system  # every domain is already within the representatives
    return dataclasses.replace(system, actions=actions, invariants=tuple(map(prop, system.invariants)),
                               lemmas=tuple(map(prop, system.lemmas)), covers=tuple(map(prop, system.covers)),
                               liveness=liveness)


def _lead_domains(e: ir.Expr) -> list[object]:
    out = []
    while isinstance(e, ir.Quant):
        out.append(e.domain)
        e = e.body
    return out
