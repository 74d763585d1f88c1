"""IR -> a Quint module (`irqspec export --quint`, docs/export.md).

The module's behaviours are the spec's at the exported constants, as in the TLA+ export: a `var` per state
variable, `init`, an action per action (its guard's conjuncts and every variable's next value in one `all`, the
variables it does not assign kept with `x' = x`, as Quint has no UNCHANGED), `step` choosing an action instance with
`nondet` (so that `quint run --mbt` records the action's name and its parameters under the spec's names, and the ITF
trace it writes replays with `irqspec replay`), a `pure def` per def, a `val` per invariant, lemma and cover goal,
`typeOK` for the implicit range property, `allInvariants` (typeOK and the invariants) to hand to
`quint run --invariant`, and a `temporal` per liveness property with the fairness of the fair actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import ir
from . import environment
from .quintexpr import QuintExprWriter, QuintHelpers, quint_names, legal
from .reading import constant_type, named_types, next_values, properties, type_key


@dataclass(frozen=True)
class QuintModule:
    name: str  # the module's name: the file is NAME.qnt
    text: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Definition:
    doc: tuple[str, ...]
    text: str




def comment_lines(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(("/// " + line).rstrip() for line in text.splitlines())


def export_quint(system: ir.System, origin: str = "") -> QuintModule:
    """The Quint module of `system` (constants as they were substituted); `origin` goes into the header."""
    return _Exporter(system, origin).module()


class _Exporter:
    def __init__(self, system: ir.System, origin: str) -> None:
        self.system = system
        self.origin = origin
        self.types = named_types(system)
        enums = _enums(system)
        spec_names = ({v.name for v in system.vars} | {c.name for c in system.constants}
                      | {getattr(t, "name") for t in self.types} | {f.name for f in system.functions}
                      | {a.name for a in system.actions} | {p.name for p in properties(system)}
                      | {p.name for p in system.liveness} | {m for e in enums for m in e.members})
        self.names = quint_names(spec_names)
        self.notes: list[str] = []
        var_names = {v.name: self.names.claim(v.name) for v in system.vars}
        self.scalar_constants = [c for c in system.constants if not isinstance(c.value, tuple)]
        constant_names = {c.name: self.names.claim(c.name) for c in self.scalar_constants}
        type_names: dict[tuple, str] = {}
        set_names: dict[tuple, str] = {}
        for t in self.types:
            if isinstance(t, (ir.EnumType, ir.RecordType)):
                type_names[type_key(t)] = self.names.claim(t.name)
            elif isinstance(t, ir.IntType):
                set_names[type_key(t)] = self.names.claim(t.name)
        for e in enums:  # an enum without a name (none in the language today) still needs a sum type
            if type_key(e) not in type_names:
                type_names[type_key(e)] = self.names.fresh("Enum")
        members: dict[tuple[tuple[str, ...], str], str] = {}
        for e in enums:
            for m in e.members:
                if (e.members, m) in members:
                    continue
                name = self.names.claim(m)
                if name not in (m, m + "_"):
                    self.notes.append(f"the enum member {m} is the constructor {name} in Quint: a Quint trace "
                                      f"names it so, and irqspec replay will not read it as {m}")
                members[(e.members, m)] = name
        function_names = {f.name: self.names.claim(f.name) for f in system.functions}
        self.action_names = {a.name: self.names.claim(a.name) for a in system.actions}
        self.property_names = {p.name: self.names.claim(p.name) for p in properties(system)}
        self.liveness_names = {p.name: self.names.claim(p.name) for p in system.liveness}
        self.fixed = {k: self.names.fresh(k) for k in ("typeOK", "allInvariants")}
        self.helpers = QuintHelpers(self.names)
        self.w = QuintExprWriter(var_names, function_names, type_names, set_names, constant_names, members,
                                 self.helpers)
        self.var_names = var_names
        self.enums = enums

    def module(self) -> QuintModule:
        s, w = self.system, self.w
        constants = [Definition((), f"pure val {w.constant_names[c.name]}: {_scalar_type(c.value)} = "
                                    f"{w.value(c.value, constant_type(c.value))}") for c in self.scalar_constants]
        types = []
        for t in self.types:
            if isinstance(t, ir.EnumType):
                types.append(Definition((), f"type {w.type_names[type_key(t)]} = "
                                            + " | ".join(w.member(t, m) for m in t.members)))
            elif isinstance(t, ir.RecordType):
                fields = ", ".join(f"{legal(f)}: {w.type_text(ft)}" for f, ft in t.fields)
                types.append(Definition((), f"type {w.type_names[type_key(t)]} = {{ {fields} }}"))
        for e in self.enums:
            if not e.name:
                types.append(Definition((), f"type {w.type_names[type_key(e)]} = "
                                            + " | ".join(w.member(e, m) for m in e.members)))
        sets = [Definition((), f"pure val {w.set_names[type_key(t)]}: Set[int] = {w.domain(ir.IntType(t.lo, t.hi, '', t.runs))}")
                for t in self.types if isinstance(t, ir.IntType)]
        variables = [Definition(self.doc(("ghost: " if v.ghost else "") + v.doc),
                                f"var {self.var_names[v.name]}: {w.type_text(v.type)}") for v in s.vars]
        w.scope.start()
        type_ok = [w.in_type(self.var_names[v.name], v.type) for v in s.vars]
        type_ok = [t for t in type_ok if t != "true"] or ["true"]
        functions = [self.function(f) for f in s.functions]
        init = []
        for v, e in s.init:
            w.scope.start()
            init.append(f"{self.var_names[v]}' = {w.rhs(e)}")
        actions = [self.action(a) for a in s.actions]
        step = [self.instance(a) for a in s.actions]
        props = {kind: [self.property(p) for p in getattr(s, kind)] for kind in ("invariants", "lemmas", "covers")}
        liveness = [self.liveness(p) for p in s.liveness]
        all_invariants = [self.fixed["typeOK"]] + [self.property_names[p.name] for p in s.invariants]
        text = environment().get_template("module.qnt.j2").render(
            name=legal(s.module), doc=self.doc(s.doc), header=self.header(), constants=constants, types=types,
            sets=sets, variables=variables, type_ok_name=self.fixed["typeOK"], type_ok=type_ok,
            helpers=self.helpers.definitions(), functions=functions, init=init, actions=actions, step=step,
            invariants=props["invariants"], lemmas=props["lemmas"], covers=props["covers"], liveness=liveness,
            all_invariants_name=self.fixed["allInvariants"], all_invariants=all_invariants,
            fairness=self.fairness())
        return QuintModule(legal(s.module), re.sub(r"\n{3,}", "\n\n", text), tuple(self.notes))

    def doc(self, text: str) -> tuple[str, ...]:
        return comment_lines(text)

    def header(self) -> list[str]:
        lines = [f"// Exported by irqspec from {self.origin or self.system.file}."]
        if self.system.constants:
            lines.append("// Constants as exported: " + ", ".join(
                f"{c.name} = {ir.constant_text(c.value)}" for c in self.system.constants) + ".")
        lines.append("// bits[N] values are sets of bit indices; check with:")
        lines.append(f"//   quint run {legal(self.system.module)}.qnt --invariant {self.fixed['allInvariants']}")
        return lines

    def function(self, f: ir.Function) -> Definition:
        w = self.w
        w.scope.start()
        params = ", ".join(f"{w.scope.bind(p.uid, p.name)}: {w.type_text(p.type)}" for p in f.params)
        name = w.function_names[f.name]
        result = w.type_text(f.result)
        head = f"pure def {name}({params}): {result}" if f.params else f"pure val {name}: {result}"
        return Definition(self.doc(f.doc), f"{head} = {w.expr(f.body)}")

    def action(self, a: ir.Action) -> Definition:
        w = self.w
        lets, values = next_values(self.system, a)
        w.scope.start()
        params = ", ".join(f"{w.scope.bind(p.uid, p.name)}: {w.type_text(p.type)}" for p in a.params)
        name = self.action_names[a.name]
        head = f"action {name}({params}): bool =" if a.params else f"action {name} ="
        guard = [w.expr(c) for c in ir.conjuncts(a.guard) if not (isinstance(c, ir.Lit) and c.value is True)]
        defs = []
        for let in lets:
            value = w.expr(let.value)
            defs.append(f"val {w.scope.bind(let.uid, let.name)} = {value}")
        updates = [f"{self.var_names[v.name]}' = " + (w.rhs(values[v.name]) if v.name in values
                                                       else self.var_names[v.name]) for v in self.system.vars]
        body = "all {\n" + "".join(f"    {item},\n" for item in guard + updates) + "  }"
        if defs:
            body = "{\n" + "".join(f"    {d}\n" for d in defs) + "  " + body.replace("\n", "\n  ") + "\n  }"
        return Definition(self.doc(a.doc), f"{head} {body}")

    def instance(self, a: ir.Action) -> str:
        """The action chosen with its parameters in `step`: `nondet c = Cpu.oneOf()` per parameter."""
        w = self.w
        w.scope.start()
        picks = [f"nondet {w.scope.bind(p.uid, p.name)} = {w.domain(p.type)}.oneOf()" for p in a.params]
        name = self.action_names[a.name]
        if not picks:
            return name
        call = f"{name}({', '.join(w.scope.names[p.uid] for p in a.params)})"
        return "{ " + " ".join(picks) + f" {call} }}"

    def property(self, p: ir.Property) -> Definition:
        self.w.scope.start()
        return Definition(self.doc(p.doc), f"val {self.property_names[p.name]} = {self.w.expr(p.expr)}")

    def liveness(self, p: ir.Liveness) -> Definition:
        w = self.w
        w.scope.start()
        names = [w.scope.bind(b.uid, b.name) for b in p.binders]
        body = f"always({w.operand(p.p)} implies eventually({w.expr(p.q)}))"
        for name, b in reversed(list(zip(names, p.binders))):
            body = f"{w.domain(b.type)}.forall({name} => {body})"
        return Definition(self.doc(p.doc), f"temporal {self.liveness_names[p.name]} = {body}")

    def fairness(self) -> list[str]:
        """weakFair / strongFair of every instance of a fair action (as the TLA+ export's Spec has them)."""
        w = self.w
        out = []
        all_vars = "(" + ", ".join(self.var_names[v.name] for v in self.system.vars) + ")" \
            if len(self.system.vars) > 1 else self.var_names[self.system.vars[0].name]
        for a in self.system.actions:
            if not a.fairness:
                continue
            w.scope.start()
            names = [w.scope.bind(p.uid, p.name) for p in a.params]
            call = f"{self.action_names[a.name]}({', '.join(names)})" if a.params else self.action_names[a.name]
            if a.fair_when is not None:
                call = f"{w.operand(a.fair_when)} and {call}"
            kind = "weakFair" if a.fairness == "weak" else "strongFair"
            fair = f"{kind}({call}, {all_vars})"
            for name, p in reversed(list(zip(names, a.params))):
                fair = f"{w.domain(p.type)}.forall({name} => {fair})"
            out.append(fair)
        return out


def _enums(system: ir.System) -> list[ir.EnumType]:
    """Every enum type of the spec's variables, parameters, defs and binders (by members), in first-use order."""
    out: list[ir.EnumType] = []

    def visit(t: ir.Type) -> None:
        if isinstance(t, ir.EnumType) and all(e.members != t.members for e in out):
            out.append(t)
        elif isinstance(t, ir.RecordType):
            for _, ft in t.fields:
                visit(ft)
        elif isinstance(t, ir.MapType):
            visit(t.domain)
            visit(t.codomain)

    for t in named_types(system):
        visit(t)
    for v in system.vars:
        visit(v.type)
    return out


def _scalar_type(value: object) -> str:
    return "bool" if isinstance(value, bool) else "int"
