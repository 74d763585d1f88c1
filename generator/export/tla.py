"""IR -> a TLA+ module and its TLC configuration (`irqspec export --tla`, docs/export.md).

The module's behaviours are the spec's at the exported constants: one variable per state variable, `Init` from the
init block, one operator per action (its guard's conjuncts, a LET for its lets, `x' = ...` for every variable it
assigns, with EXCEPT for partial assignments, and UNCHANGED for the rest), `Next` the disjunction of every action
instance, one operator per def, invariant, lemma, cover goal and liveness property, and `Spec` with the fairness of
the fair actions (WF_vars / SF_vars of each instance). `TypeOK` says that every variable holds a value of its type:
it is what TLC reports where irqspec reports the implicit `range` property. The configuration checks TypeOK and the
invariants (and the liveness properties), and deadlock unless asked not to, as `irqspec explore` does.

Everything is read from the IR, as every backend does; the expression reading is in tlaexpr.py.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .. import ir
from . import environment
from .reading import all_exprs, constant_type, named_types, next_values, properties, type_key
from .tlaexpr import IMPLIES, NOT, HelperSet, TlaExprWriter, tla_names, legal

# TLC computes with 32-bit integers: an integer expression whose interval leaves them makes TLC stop with an
# overflow error, which the export says beforehand.
_TLC_INT = (-(2 ** 31), 2 ** 31 - 1)


def _evaluated(e: ir.Expr) -> ir.Expr:
    """A guard as TLC evaluates it the way every other reading does. TLC computes an action's successors by
    descending its `/\\`, `\\/`, `\\E`, IF and LET, and takes each disjunct as an alternative of its own: it would
    evaluate `pend[c]` in `c = 0 \\/ pend[c]` with c = 0, outside the map's domain, which narrowing by guards allows
    (docs/language.md, "Narrowing"), and stop with an error. `a \\/ b` is written `IF a THEN TRUE ELSE b`, the same
    predicate, which TLC reads by evaluating `a` first (the rewriting Apalache uses to mimic TLC)."""
    if isinstance(e, ir.Op) and e.op in ("and", "or"):
        left, right = (_evaluated(x) for x in e.args)
        if e.op == "or":
            return ir.Ite(left, ir.Lit(True, e.type), right, e.type, e.span)
        return ir.Op("and", (left, right), e.type, e.span)
    if isinstance(e, ir.Quant) and e.kind == "exists":
        return dataclasses.replace(e, body=_evaluated(e.body))
    if isinstance(e, ir.Ite):
        return ir.Ite(e.cond, _evaluated(e.then), _evaluated(e.else_), e.type, e.span)
    if isinstance(e, ir.Let):
        return dataclasses.replace(e, body=_evaluated(e.body))
    return e


@dataclass(frozen=True)
class TlaModule:
    name: str  # the module's name: the files are NAME.tla and NAME.cfg
    tla: str
    cfg: str
    notes: tuple[str, ...]  # what a TLC user should know about this export (integers past TLC's range)


@dataclass(frozen=True)
class Definition:
    doc: tuple[str, ...]  # comment lines
    text: str




def comment_lines(text: str) -> tuple[str, ...]:
    """A doc comment as TLA+ line comments, ASCII only."""
    if not text:
        return ()
    return tuple(("\\* " + line.encode("ascii", "backslashreplace").decode()).rstrip() for line in text.splitlines())


def export_tla(system: ir.System, deadlock: bool = True, origin: str = "") -> TlaModule:
    """The TLA+ module of `system` (constants as they were substituted) and its TLC configuration; `deadlock` False
    writes CHECK_DEADLOCK FALSE; `origin` (the spec file and -D options) goes into the header comment."""
    return _Exporter(system, deadlock, origin).module()


class _Exporter:
    def __init__(self, system: ir.System, deadlock: bool, origin: str) -> None:
        self.system = system
        self.deadlock = deadlock
        self.origin = origin
        scalar_constants = [c for c in system.constants if not isinstance(c.value, tuple)]
        self.named_types = named_types(system)
        spec_names = ({v.name for v in system.vars} | {c.name for c in system.constants}
                      | {t.name for t in self.named_types} | {f.name for f in system.functions}
                      | {a.name for a in system.actions} | {p.name for p in properties(system)}
                      | {p.name for p in system.liveness} | {system.module})
        self.names = tla_names(spec_names)
        self.names.taken.add(legal(system.module))
        var_names = {v.name: self.names.claim(v.name) for v in system.vars}
        constant_names = {c.name: self.names.claim(c.name) for c in scalar_constants}
        type_names: dict[tuple, str] = {}
        for t in self.named_types:
            type_names[type_key(t)] = self.names.claim(t.name)  # type: ignore[union-attr]
        function_names = {f.name: self.names.claim(f.name) for f in system.functions}
        self.action_names = {a.name: self.names.claim(a.name) for a in system.actions}
        self.property_names = {p.name: self.names.claim(p.name) for p in properties(system)}
        self.liveness_names = {p.name: self.names.claim(p.name) for p in system.liveness}
        self.fixed = {key: self.names.fresh(key) for key in ("vars", "TypeOK", "Init", "Next", "Spec")}
        self.scalar_constants = scalar_constants
        self.helpers = HelperSet(self.names)
        self.writer = TlaExprWriter(var_names, function_names, type_names, constant_names, self.helpers)
        self.var_names = var_names

    # -- the parts

    def module(self) -> TlaModule:
        s, w = self.system, self.writer
        constants = [Definition((), f"{w.constant_names[c.name]} == {w.value(c.value, constant_type(c.value))}")
                     for c in self.scalar_constants]
        types = [Definition((), f"{w.type_names[type_key(t)]} == {w.type_set(t, top=True)}") for t in self.named_types]
        type_ok = self.junction([f"{self.var_names[v.name]} \\in {w.type_set(v.type)}" for v in s.vars], "/\\")
        functions = [self.function(f) for f in s.functions]
        init = self.init()
        actions = [self.action(a) for a in s.actions]
        properties = {kind: [self.property(p) for p in getattr(s, kind)] for kind in ("invariants", "lemmas", "covers")}
        liveness = [self.liveness(p) for p in s.liveness]
        spec = self.spec()
        variables = [(comment_lines(("ghost: " if v.ghost else "") + v.doc), self.var_names[v.name])
                     for v in s.vars]
        tla = environment().get_template("module.tla.j2").render(
            name=legal(s.module), header=self.header(), doc=comment_lines(s.doc), constants=constants, types=types,
            variables=variables, vars_name=self.fixed["vars"], type_ok_name=self.fixed["TypeOK"], type_ok=type_ok,
            helpers=self.helpers.definitions(), functions=functions, init_name=self.fixed["Init"], init=init,
            actions=actions, next_name=self.fixed["Next"], next=self.next(), spec_name=self.fixed["Spec"], spec=spec,
            invariants=properties["invariants"], lemmas=properties["lemmas"], covers=properties["covers"],
            liveness=liveness, modules=sorted({f.module for f in s.functions} - {s.module}))
        cfg = environment().get_template("module.cfg.j2").render(
            name=legal(s.module), spec_name=self.fixed["Spec"],
            invariants=[self.fixed["TypeOK"]] + [self.property_names[p.name] for p in s.invariants],
            properties=[self.liveness_names[p.name] for p in s.liveness], deadlock=self.deadlock)
        return TlaModule(legal(s.module), re.sub(r"\n{3,}", "\n\n", tla), cfg, self.notes())

    def header(self) -> list[str]:
        lines = [f"Exported by irqspec from {self.origin or self.system.file}."]
        if self.system.constants:
            lines.append("Constants as exported: " + ", ".join(
                f"{c.name} = {ir.constant_text(c.value)}" for c in self.system.constants) + ".")
        lines.append("bits[N] values are sets of bit indices (subsets of 0..N-1), enum members strings, maps "
                     "functions.")
        return [f"\\* {line}" for line in _wrap(lines)]

    def junction(self, items: list[str], bullet: str, indent: int = 4) -> str:
        """A bulleted conjunction or disjunction list, one item a line (`TRUE`/`FALSE` when empty)."""
        if not items:
            return "TRUE" if bullet == "/\\" else "FALSE"
        pad = " " * indent
        return "\n".join(f"{pad}{bullet} {item}" for item in items)

    def function(self, f: ir.Function) -> Definition:
        w = self.writer
        w.scope.start()
        params = ", ".join(w.scope.bind(p.uid, p.name) for p in f.params)
        head = f"{w.function_names[f.name]}({params})" if f.params else w.function_names[f.name]
        return Definition(comment_lines(f.doc), f"{head} == {w.expr(f.body)}")

    def init(self) -> str:
        items = []
        for v, e in self.system.init:
            self.writer.scope.start()
            items.append(f"{self.var_names[v]} = {self.writer.rhs(e)}")
        return self.junction(items, "/\\")

    def action(self, a: ir.Action) -> Definition:
        lets, values = next_values(self.system, a)
        w = self.writer
        head, _ = self._instance(a)
        guard = [w.render(_evaluated(c)) for c in ir.conjuncts(a.guard)
                 if not (isinstance(c, ir.Lit) and c.value is True)]
        items = [text if binds >= NOT else f"({text})" for text, binds in guard]
        definitions = []
        for let in lets:
            value = w.expr(let.value)
            definitions.append(f"{w.scope.bind(let.uid, let.name)} == {value}")
        updates = [f"{self.var_names[v]}' = {w.rhs(e)}" for v, e in values.items()]
        unchanged = [self.var_names[v.name] for v in self.system.vars if v.name not in values]
        if unchanged:
            updates.append("UNCHANGED " + (unchanged[0] if len(unchanged) == 1 else f"<<{', '.join(unchanged)}>>"))
        if definitions:
            items.append("LET " + "\n           ".join(definitions) + " IN\n" + self.junction(updates, "/\\", 7))
        else:
            items += updates
        return Definition(comment_lines(a.doc), f"{head} ==\n" + self.junction(items, "/\\"))

    def _instance(self, a: ir.Action) -> tuple[str, str]:
        """The action applied to its parameters (`send_ipi(src, dst, v)`), with the parameters bound in a new
        definition's scope, and their bound list (`src \\in Cpu, dst \\in Cpu, v \\in VECTORS`, '' for none)."""
        w = self.writer
        w.scope.start()
        names = [w.scope.bind(p.uid, p.name) for p in a.params]
        bounds = ", ".join(f"{n} \\in {w.domain(p.type)}" for n, p in zip(names, a.params))
        call = f"{self.action_names[a.name]}({', '.join(names)})" if a.params else self.action_names[a.name]
        return call, bounds

    def next(self) -> str:
        items = []
        for a in self.system.actions:
            call, bounds = self._instance(a)
            items.append(f"\\E {bounds} : {call}" if bounds else call)
        return self.junction(items, "\\/")

    def spec(self) -> str:
        parts = [self.fixed["Init"], f"[][{self.fixed['Next']}]_{self.fixed['vars']}"]
        for a in self.system.actions:
            if not a.fairness:
                continue
            call, bounds = self._instance(a)
            if a.fair_when is not None:
                call = f"{self.writer.operand(a.fair_when, NOT)} /\\ {call}"
            kind = "WF" if a.fairness == "weak" else "SF"
            fair = f"{kind}_{self.fixed['vars']}({call})"
            parts.append(f"(\\A {bounds} : {fair})" if bounds else fair)
        return " /\\ ".join(parts)

    def property(self, p: ir.Property) -> Definition:
        self.writer.scope.start()
        return Definition(comment_lines(p.doc), f"{self.property_names[p.name]} == {self.writer.expr(p.expr)}")

    def liveness(self, p: ir.Liveness) -> Definition:
        w = self.writer
        w.scope.start()
        names = [w.scope.bind(b.uid, b.name) for b in p.binders]
        leads = f"{w.operand(p.p, IMPLIES)} ~> {w.operand(p.q, IMPLIES)}"
        if p.binders:
            bounds = ", ".join(f"{n} \\in {w.domain(b.type)}" for n, b in zip(names, p.binders))
            leads = f"\\A {bounds} : {leads}"
        return Definition(comment_lines(p.doc), f"{self.liveness_names[p.name]} == {leads}")

    def notes(self) -> tuple[str, ...]:
        wide = _wide_integers(self.system)
        if not wide:
            return ()
        return (f"TLC computes with 32-bit integers, and {wide} may leave them: TLC would stop with an overflow "
                f"error there",)


def _wide_integers(system: ir.System) -> str:
    """The first integer expression whose interval leaves TLC's 32-bit integers, described; '' when none."""
    lo, hi = _TLC_INT
    for e in all_exprs(system):
        found = _wide(e, lo, hi)
        if found is not None:
            return found
    return ""


def _wide(e: ir.Expr, lo: int, hi: int) -> str | None:
    t = getattr(e, "type", None)
    if isinstance(t, ir.IntType) and (t.lo < lo or t.hi > hi):
        return f"an integer of {t.lo}..{t.hi} (at {e.span})"
    for child in ir.children(e):
        found = _wide(child, lo, hi)
        if found is not None:
            return found
    return None


def _wrap(lines: list[str], width: int = 112) -> list[str]:
    out = []
    for line in lines:
        words, current = line.split(), ""
        for word in words:
            if current and len(current) + 1 + len(word) > width:
                out.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        out.append(current)
    return out
