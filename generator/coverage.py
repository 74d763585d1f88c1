"""Coverage targets of a spec: what the generated suites must exercise, each a question Z3 can answer.

Branches of actions are not enough: the priority logic of an APIC (PPR, the pending vector, "is its class above
PPR's") lives in defs and if-expressions, and a `>=` written for `>` there is found only by a run that makes the two
sides of the comparison meet. So the targets reach into the logic, in the context of each call site:

- `action`: the action is taken;
- `branch`: each side of each `if` statement of an action (the path conditions of `generator.transition`);
- `decision`: each side of each if-expression, in the action's guard and updates and in every def they call (the
  def inlined at its call site, so a def called from three actions gives targets in each), and each side of the
  short-circuit operands of `and`/`or`/`implies` (a right operand is decided only when the left one lets it be),
  except the top-level conjuncts of a guard, which hold whenever the action is taken;
- `boundary`: for each integer ordering `a OP b` there (<, <=, >, >=), the runs where `a == b`, `a == b + 1` and `a + 1 == b`
  (e.g. prio(v) == prio(ppr) and prio(v) == prio(ppr) + 1: where `>` and `>=` differ, and one step either side),
  each along every path through the if-expressions of `a` and `b` (defs inlined; up to four paths, else one):
  prio(v) == prio(ppr) where PPR comes from TPR and where it comes from ISRV & 0xf0 are two targets, since a slip
  in either half of ppr shows only at the boundary it feeds;
- `pair`: two actions in a row where the second's guard or updates read a variable the first writes, the first
  one also through each side of each of its `if`s;
- `cover-then`: each `cover` goal's state followed by each action;
- `update`: each assignment of each action changing what it assigns (under its path condition, the new value
  differs from the pre-state's): a dropped or misdirected update shows only in a run where it changes something;
- `refusal`: for each conjunct of each action's guard (defs inlined, so `guest_runs(...) and stage[c] == Running`
  has three), a reachable state and parameters where that conjunct alone is false (the MC/DC false side; for a
  guard of one conjunct, where it is false): the test ends by checking that the implementation refuses the step
  (irqspec.runtime.conformance.refuse). Without them a guard the implementation weakens (`stage == Running` dropped from
  ack) passes every test, since every test takes only steps the spec enables.

A target is (the last step's action, a condition over the pre-state and that action's parameters, and for pairs the
action of the step before); a refusal target's condition is over the last state and the refused step's parameters. Conditions under a quantifier or a map comprehension are wrapped in `exists` over its
binder. Every condition is an IR expression over the spec's own terms, so the Z3 backend answers it like any other
(generator/smt/bmc.py `reach_step`, `reach_pair`) and the report can show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ir, transition
from .transition import and_ as _and
from .transition import not_ as _not
from .ir import BOOL

# boundaries matter where a comparison orders: `>` for `>=` is the slip; `==` against `!=` is a decision target
_ORDERINGS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
# the paths through if-expressions a boundary is split along (more are not split: the targets would multiply)
_MAX_PATHS = 4


@dataclass(frozen=True)
class Target:
    kind: str  # "action" | "branch" | "decision" | "boundary" | "pair" | "cover-then" | "update" | "refusal"
    name: str  # a base for the test name
    action: str  # the action of the last step
    condition: ir.Expr | None  # over the pre-state of the last step and its parameters
    description: str
    previous: str | None = None  # for "pair": the action of the step before
    previous_condition: ir.Expr | None = None  # for "pair": over that step's pre-state and parameters


def _plus_one(e: ir.Expr) -> ir.Expr:
    assert isinstance(e.type, ir.IntType)
    return ir.Op("add", (e, ir.Lit(1, ir.IntType(1, 1))), ir.IntType(e.type.lo + 1, e.type.hi + 1))


@dataclass
class _Site:
    """Where an expression sits: the path condition that reaches it and the binders around it."""

    path: ir.Expr
    binders: tuple[ir.Expr, ...]  # enclosing Quant / MapLit nodes, outermost first
    where: str  # for descriptions: "guard", "update of irr", "def ppr (from send_ipi)"


class _Collector:
    def __init__(self, system: ir.System, action: ir.Action, source_line):
        self.system = system
        self.action = action
        self.functions = {f.name: f for f in system.functions}
        self.source_line = source_line
        self.out: list[Target] = []
        self.seen: set[tuple[str, ir.Expr]] = set()

    def add(self, kind: str, label: str, site: _Site, cond: ir.Expr, span) -> None:
        # one target per decision or comparison of the spec, its inlined arguments and the path that reaches it: the
        # same call reached through the updates of several variables (lets substituted into each) on the same path
        # is one target, but on another path (vmrun's pending vector where it re-injects, and where it injects) it
        # is another, since a slip may show on one path only
        key = (kind, label, cond, site.path)
        if key in self.seen:
            return
        self.seen.add(key)
        full = _and(site.path, cond)
        for b in reversed(site.binders):
            assert isinstance(b, (ir.Quant, ir.MapLit))
            full = ir.Quant("exists", b.name, b.domain, full, BOOL, uid=b.uid)
        text = self.source_line(span)
        n = sum(1 for t in self.out if t.kind == kind) + 1
        self.out.append(Target(kind, f"test_{self.action.name}_{kind}{n}", self.action.name, full,
                               f"{self.action.name}, {site.where}: {label}" + (f" (`{text}`)" if text else "")))

    def guard(self, e: ir.Expr) -> None:
        """The guard holds whenever the action is taken: its top-level conjuncts are targets' context, not
        decisions (a run that takes the action with a conjunct false does not exist; refusals are not steps)."""
        for conjunct in ir.conjuncts(e):
            self.visit(conjunct, _Site(ir.Lit(True, BOOL), (), "guard"))

    def ite_paths(self, e: ir.Expr) -> list[tuple[ir.Expr, str]]:
        """The paths through the if-expressions of `e` (defs and lets inlined; not under a binder, whose variable
        a path condition could not name): (path condition, description). One path (true, "") when there is none;
        more than _MAX_PATHS are not split."""
        if isinstance(e, ir.Ite):
            line = f" at line {e.span.line}" if e.span.line else ""
            return ([(_and(e.cond, p), f", the if-expression{line} true" + h) for p, h in self.ite_paths(e.then)]
                    + [(_and(_not(e.cond), p), f", the if-expression{line} false" + h)
                       for p, h in self.ite_paths(e.else_)])[:_MAX_PATHS + 1]
        if isinstance(e, ir.Call):
            f = self.functions[e.func]
            body = f.body
            for p, arg in zip(f.params, e.args):
                body = transition.substitute(body, p.uid, arg)
            return self.ite_paths(body)
        if isinstance(e, ir.Let):
            return self.ite_paths(transition.substitute(e.body, e.uid, e.value))
        if isinstance(e, (ir.Quant, ir.MapLit)):
            return [(ir.Lit(True, BOOL), "")]
        out: list[tuple[ir.Expr, str]] = [(ir.Lit(True, BOOL), "")]
        for child in ir.children(e):
            out = [(_and(p, q), h + k) for p, h in out for q, k in self.ite_paths(child)][:_MAX_PATHS + 1]
        return out

    def visit(self, e: ir.Expr, site: _Site) -> None:
        if isinstance(e, ir.Ite):
            self.visit(e.cond, site)
            line = f"line {e.span.line}" if e.span.line else "an if"
            self.add("decision", f"the condition of the if-expression at {line} true", site, e.cond, e.span)
            self.add("decision", f"the condition of the if-expression at {line} false", site, _not(e.cond), e.span)
            self.visit(e.then, _Site(_and(site.path, e.cond), site.binders, site.where))
            self.visit(e.else_, _Site(_and(site.path, _not(e.cond)), site.binders, site.where))
            return
        if isinstance(e, ir.Op) and e.op in ("and", "or", "implies"):
            left, right = e.args
            self.visit(left, site)
            gate = left if e.op in ("and", "implies") else _not(left)
            line = f"line {e.span.line}" if e.span.line else ""
            self.add("decision", f"the right operand of '{e.op}' {line} decides, true", site,
                     _and(gate, right), e.span)
            self.add("decision", f"the right operand of '{e.op}' {line} decides, false", site,
                     _and(gate, _not(right)), e.span)
            self.visit(right, _Site(_and(site.path, gate), site.binders, site.where))
            return
        if isinstance(e, ir.Op) and e.op in _ORDERINGS and all(isinstance(a.type, ir.IntType) for a in e.args):
            a, b = e.args
            for a_ in e.args:
                self.visit(a_, site)
            sym = _ORDERINGS[e.op]
            line = f"line {e.span.line}" if e.span.line else ""
            paths = [(_and(pa, pb), ha + hb) for pa, ha in self.ite_paths(a) for pb, hb in self.ite_paths(b)]
            if len(paths) > _MAX_PATHS:
                paths = [(ir.Lit(True, BOOL), "")]
            for path, how in paths:
                for label, cond in ((f"the two sides of '{sym}' {line} equal", ir.Op("eq", (a, b), BOOL)),
                                    (f"the left side of '{sym}' {line} one above the right",
                                     ir.Op("eq", (a, _plus_one(b)), BOOL)),
                                    (f"the left side of '{sym}' {line} one below the right",
                                     ir.Op("eq", (_plus_one(a), b), BOOL))):
                    self.add("boundary", label + how, site, _and(path, cond), e.span)
            return
        if isinstance(e, ir.Call):
            f = self.functions[e.func]
            for arg in e.args:
                self.visit(arg, site)
            body = f.body
            for p, arg in zip(f.params, e.args):
                body = transition.substitute(body, p.uid, arg)
            self.visit(body, _Site(site.path, site.binders, f"def {f.name} (called in {site.where})"))
            return
        if isinstance(e, ir.Let):
            self.visit(e.value, site)
            self.visit(transition.substitute(e.body, e.uid, e.value), site)
            return
        if isinstance(e, (ir.Quant, ir.MapLit)):
            self.visit(e.body, _Site(site.path, site.binders + (e,), site.where))
            return
        for child in ir.children(e):
            self.visit(child, site)


def guard_leaves(system: ir.System, e: ir.Expr) -> list[ir.Expr]:
    """The conjuncts of a guard with the defs and lets it uses inlined, so that `guest_runs(...) and s == Running`
    gives guest_runs' own conjuncts too."""
    if isinstance(e, ir.Op) and e.op == "and":
        return guard_leaves(system, e.args[0]) + guard_leaves(system, e.args[1])
    if isinstance(e, ir.Call):
        f = next(f for f in system.functions if f.name == e.func)
        body = f.body
        for p, arg in zip(f.params, e.args):
            body = transition.substitute(body, p.uid, arg)
        inner = guard_leaves(system, body)
        return inner if len(inner) > 1 else [e]
    if isinstance(e, ir.Let):
        inner = guard_leaves(system, transition.substitute(e.body, e.uid, e.value))
        return inner if len(inner) > 1 else [e]
    return [e]


def _refusals(system: ir.System, action: ir.Action, source_line) -> list[Target]:
    leaves = [x for x in guard_leaves(system, action.guard) if not (isinstance(x, ir.Lit) and x.value is True)]
    out = []
    for i, leaf in enumerate(leaves):
        rest = [x for j, x in enumerate(leaves) if j != i]
        cond = _not(leaf)
        for x in reversed(rest):
            cond = _and(x, cond)
        text = source_line(leaf.span)
        what = f"`{text}`" if text else f"guard conjunct {i + 1}"
        alone = ", the rest of the guard true" if rest else ""
        out.append(Target("refusal", f"test_{action.name}_refused", action.name, cond,
                          f"{action.name} refused: {what} false{alone}"))
    return out


def targets(system: ir.System, source_line=lambda span: "", source_text=None) -> list[Target]:
    """Every target of `system`, in a deterministic order (actions in declaration order, then pairs, then covers).
    `source_line(span)` gives the source text shown in descriptions (empty when unknown), `source_text(span)` the
    exact text of a guard conjunct (default: source_line)."""
    out: list[Target] = []
    reads: dict[str, set[str]] = {}
    for action in system.actions:
        out.append(Target("action", f"test_{action.name}_is_taken", action.name, None, f"{action.name} is taken"))
        rel = transition.relation(system, action)
        for branch_id, then, other in rel.branch_paths:
            out.append(Target("branch", f"test_{action.name}_if{branch_id}_then", action.name, then,
                              f"{action.name}: the then branch of if #{branch_id}"))
            out.append(Target("branch", f"test_{action.name}_if{branch_id}_else", action.name, other,
                              f"{action.name}: the else branch of if #{branch_id}"))
        c = _Collector(system, action, source_line)
        c.guard(action.guard)
        for var, value in rel.next_values:
            c.visit(value, _Site(ir.Lit(True, BOOL), (), f"update of {var}"))
        for ob in rel.range_obligations:
            c.visit(ob.value, _Site(ob.when, (), f"update of {ob.var}"))
        out += c.out
        for n, eff in enumerate(rel.effects, start=1):
            text = (source_text or source_line)(eff.span)
            out.append(Target("update", f"test_{action.name}_update{n}", action.name,
                              _and(eff.when, _not(ir.Op("eq", (eff.after, eff.before), BOOL))),
                              f"{action.name}: the update " + (f"`{text}`" if text else f"of {eff.var}")
                              + " changes what it assigns"))
        out += _refusals(system, action, source_text or source_line)
        reads[action.name] = set(ir.vars_read((action.guard, *[v for _, v in rel.next_values])))
    for first in system.actions:
        sides = [(None, "", first.name)]
        for branch_id, then, other in transition.relation(system, first).branch_paths:
            sides += [(then, f" taking the then branch of if #{branch_id}", f"{first.name}_if{branch_id}_then"),
                      (other, f" taking the else branch of if #{branch_id}", f"{first.name}_if{branch_id}_else")]
        for second in system.actions:
            shared = set(first.modifies) & reads[second.name]
            if not shared:
                continue
            for condition, how, label in sides:
                # after each side of the first action's ifs too: "the window was requested, then an exit" is
                # a different pair from "nothing was pending, then an exit"
                out.append(Target("pair", f"test_{label}_then_{second.name}", second.name, None,
                                  f"{first.name}{how}, then {second.name} ({second.name} reads "
                                  f"{', '.join(sorted(shared))})", first.name, condition))
    for cover in system.covers:
        for action in system.actions:
            out.append(Target("cover-then", f"test_{cover.name}_then_{action.name}", action.name, cover.expr,
                              f"cover {cover.name} holds, then {action.name}"))
    return out


__all__ = ["Target", "targets"]
