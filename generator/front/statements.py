"""Checking the init block and actions: guards, statement blocks, assignments and the frame rules (no location
assigned twice in one run, every variable initialised once, `x'` read only after the assignments to x on its path)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir
from ..transition import close, merge, update_path
from ..ir import BOOL, BitsType, IntType, MapType, RecordType
from . import syntax as s
from .checkbase import POISONED, Abort, CheckerBase, Scope, locations_overlap, modified_vars, show_location
from .diagnostics import Span


@dataclass
class PostState:
    """What a read of `x'` sees at a point of an action's body, on the path that reaches it: each variable assigned
    so far on the path as an expression over the pre-state and the parameters (lets substituted, ifs merged into
    `Ite`, partial assignments as `Update` chains, as `transition.relation` reads the whole body), and the reads of
    `x'` made so far (an assignment to x after one of them is an error: the read would not see it)."""

    post: dict[str, ir.Expr] = field(default_factory=dict)
    lets: list[tuple[int, ir.Expr]] = field(default_factory=list)
    reads: list[tuple[str, Span]] = field(default_factory=list)

    def copy(self) -> "PostState":
        return PostState(dict(self.post), list(self.lets), list(self.reads))

    def close(self, e: ir.Expr) -> ir.Expr:
        return close(e, self.lets)


class StatementChecker(CheckerBase):
    _path: PostState | None = None

    def init_decls(self) -> tuple[tuple[str, ir.Expr], ...]:
        decls = [d for d in self.root.decls if isinstance(d, s.InitDecl)]
        values: dict[str, ir.Expr] = {}
        spans: dict[str, Span] = {}
        for d in decls:
            if self.nesting(d) is None:
                for a in d.assigns:
                    spans.setdefault(a.var, a.span)  # reported as too deep, not also as uninitialised
                continue
            for a in d.assigns:
                def one(a=a):
                    if a.var not in self.vars:
                        if a.var in self.consts:
                            raise self.error(a.span, f"cannot assign to constant '{a.var}'")
                        raise self.unknown(a.var, a.span, "variable", list(self.vars))
                    if a.var in spans:
                        raise self.error(a.span, f"variable '{a.var}' is initialised twice (first at {spans[a.var]})")
                    spans[a.var] = a.span  # before the value is checked: a bad value is not also a missing one
                    t = self.vars[a.var].type
                    value = self.coerce(self.expr(a.value, Scope({}, "init"), t), t, a.value.span, strict=True)
                    values[a.var] = value
                self.guarded(one)
        where = decls[0].span if decls else self.root.span
        for name, var in self.vars.items():
            if name not in spans:
                self.error(where if decls else var.span, f"variable '{name}' has no initial value",
                           f"add '{name} = ...' to the init block")
        return tuple((n, values[n]) for n in self.vars if n in values)

    # ---------------------------------------------------------------------------------------------------- actions
    def action_decl(self, d: s.ActionDecl) -> ir.Action:
        # actions share the global namespace: generated code and traces name them beside variables and functions
        first = self.declared.get(d.name)
        if not (first and first[0] == "action") and not self.declare(d.name, "action", d.span):
            raise Abort()  # (two actions of one name are reported by check_unique)
        if self.nesting(d) is None:
            raise Abort()
        params = self.params(d.params)
        scope = Scope({p.name: (p.type, p.uid) for p in params}, "guard")
        guards = []
        known = scope  # each `requires` is evaluated only where the earlier ones hold (`narrowing`)
        for r in d.requires:
            g = self.guarded(lambda r=r, known=known: self.expect_bool(r, known))
            if g is not None:
                guards.append(g)
                known = known.knowing(g)
        guard: ir.Expr = ir.Lit(True, BOOL)
        for g in guards:
            guard = g if isinstance(guard, ir.Lit) and guard.value is True else ir.Op("and", (guard, g), BOOL)
        self._branch = 0
        self._path = PostState()
        try:
            body = self.block(d.body, Scope(dict(scope.names), "action", known.facts), [])
        finally:
            self._path = None
        modified = modified_vars(body)
        modifies = tuple(n for n in self.vars if n in modified)
        when = None
        if d.fair_when is not None:
            if not d.fairness:
                raise self.error(d.fair_when.span, "a `when` clause says in which states the action's fairness "
                                 "applies, and this action is not fair",
                                 "declare it `fair action` or `strong fair action`, or drop the `when`")
            when = self.expect_bool(d.fair_when, scope)
        return ir.Action(d.name, tuple(params), guard, body, modifies, d.doc, d.span, fairness=d.fairness,
                         fair_when=when)

    def block(self, stmts: tuple[s.SStmt, ...], scope: Scope, prior: list[tuple[tuple, Span]]) -> tuple[ir.Stmt, ...]:
        """Check a block; `prior` holds the locations assigned earlier on this path (extended in place)."""
        out: list[ir.Stmt] = []
        for st in stmts:
            try:
                if isinstance(st, s.MatchStmt):  # an if-else chain, one if per arm but the last
                    cases = self.match_cases(st.subject, st.arms, st.span, scope)  # type: ignore[attr-defined]
                    chain: tuple[s.SStmt, ...] = cases[-1][1]  # type: ignore[assignment]
                    for cond, body, span in reversed(cases[:-1]):
                        chain = (s.IfStmt(cond, body, chain, span),)  # type: ignore[arg-type]
                    out.extend(self.block(chain, scope, prior))
                    continue
                if isinstance(st, s.LetStmtS):
                    self.check_local_name(st.name, st.span)
                    if st.name in scope.names:
                        raise self.error(st.span, f"'{st.name}' is already bound here", "choose another name")
                    try:
                        value = self.expr(st.value, scope)
                    except Abort:
                        # keep the name bound, so that its uses do not each report an unknown name
                        scope = scope.child(st.name, POISONED, 0)
                        raise
                    uid = self.uid()
                    out.append(ir.LetStmt(st.name, value, st.span, uid=uid))
                    assert self._path is not None
                    self._path.lets.append((uid, self._path.close(value)))
                    scope = scope.child(st.name, value.type, uid)
                elif isinstance(st, s.AssignStmt):
                    out.append(self.assign(st, scope, prior))
                elif isinstance(st, s.IfStmt):
                    cond = self.expect_bool(st.cond, scope)
                    branch = self._branch
                    self._branch += 1
                    then_prior, else_prior = list(prior), list(prior)
                    before = self._path
                    assert before is not None  # blocks are action bodies
                    self._path = then_path = before.copy()
                    then = self.block(st.then, scope.knowing(cond), then_prior)
                    self._path = else_path = before.copy()
                    other = self.block(st.else_, scope.knowing(cond, False), else_prior)
                    self._path = self.merged(before, cond, then_path, else_path)
                    for loc in then_prior[len(prior):] + else_prior[len(prior):]:
                        if loc not in prior:
                            prior.append(loc)
                    out.append(ir.If(cond, then, other, branch, st.span))
            except Abort:
                continue
        return tuple(out)

    def merged(self, before: PostState, cond: ir.Expr, then: PostState, other: PostState) -> PostState:
        """The post-state after an `if`: each variable either branch assigned as an `Ite` on the condition."""
        out = before.copy()
        out.post = merge(before.post, before.close(cond), then.post, other.post,
                         {name: v.type for name, v in self.vars.items()})
        for read in then.reads + other.reads:
            if read not in out.reads:
                out.reads.append(read)
        return out

    def post_read(self, name: str, span: Span) -> ir.Expr:
        """`name'` read in an action's body: the value the path so far gives it (the pre-state value when no
        assignment to it came before)."""
        path = self._path
        assert path is not None
        if name not in self.vars:
            if name in self.consts:
                raise self.error(span, f"'{name}' is a constant: it has no post-state value", f"write {name}")
            raise self.unknown(name, span, "variable", list(self.vars))
        path.reads.append((name, span))
        return path.post.get(name, ir.Var(name, self.vars[name].type, span))

    def assign(self, st: s.AssignStmt, scope: Scope, prior: list[tuple[tuple, Span]]) -> ir.Assign:
        assert self._path is not None
        p = self._path
        own = len(p.reads)  # the reads of x' from here on are inside this assignment
        if st.var not in self.vars:
            if st.var in self.consts:
                raise self.error(st.span, f"cannot assign to constant '{st.var}'")
            if st.var in scope.names:
                raise self.error(st.span, f"cannot assign to '{st.var}': it is a parameter or a let, not a state "
                                 "variable")
            raise self.unknown(st.var, st.span, "variable", list(self.vars))
        t: ir.Type = self.vars[st.var].type
        path: list[ir.PathStep] = []
        key: list[object] = []
        for i, sel in enumerate(st.selectors):
            if isinstance(sel, s.SelectField):
                if not isinstance(t, RecordType):
                    raise self.error(sel.span, f"'.{sel.name}' selects a field, but this part of '{st.var}' is {t}")
                try:
                    ft = t.field_type(sel.name)
                except KeyError:
                    raise self.unknown(sel.name, sel.span, "field", [n for n, _ in t.fields], str(t)) from None
                path.append(ir.FieldStep(sel.name))
                key.append(("field", sel.name))
                t = ft
            else:
                if isinstance(t, MapType):
                    idx = self.index_into_domain(sel.index, t.domain, scope)
                    t = t.codomain
                elif isinstance(t, BitsType):
                    if i != len(st.selectors) - 1:
                        raise self.error(sel.span, "a single bit has no parts to select")
                    idx = self.bit_index(sel.index, t, scope)
                    t = BOOL
                else:
                    raise self.error(sel.span, f"'[...]' selects a map entry or a bit, but this part of '{st.var}' "
                                     f"is {t}")
                path.append(ir.IndexStep(idx))
                key.append(("index", idx.value) if isinstance(idx, ir.Lit) else ("expr", idx))
        value = self.expr(st.value, scope, t)
        value = self.coerce(value, t, st.value.span)
        checked = isinstance(t, IntType) and isinstance(value.type, IntType) and not t.contains(value.type)
        location = (st.var, tuple(key))
        for other, where in prior:
            if locations_overlap(location, other):
                raise self.error(st.span, f"'{show_location(location)}' is assigned twice in one run of the action "
                                 f"(also at {where})", "an action's updates are simultaneous: assign each part once")
        prior.append((location, st.span))
        for i, (name, where) in enumerate(p.reads):
            if name == st.var and i >= own:
                raise self.error(where, f"primed variable '{st.var}'' on the right-hand side of its own assignment",
                                 f"{st.var}' is the value being assigned here: write {st.var} for the pre-state value")
            if name == st.var:
                raise self.error(st.span, f"'{st.var}' is assigned after {st.var}' is read (at {where}); a read of "
                                 f"{st.var}' sees only the assignments before it on its path",
                                 f"move the read of {st.var}' after this assignment")
        base = p.post.get(st.var, ir.Var(st.var, self.vars[st.var].type))
        steps = tuple(ir.IndexStep(p.close(q.index)) if isinstance(q, ir.IndexStep) else q for q in path)
        p.post[st.var] = update_path(base, steps, p.close(value))
        return ir.Assign(st.var, tuple(path), value, t, checked, st.span)

    # ------------------------------------------------------------------------------------------------- properties
