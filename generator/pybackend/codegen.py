"""IR -> Python: the reference model of a spec and its Hypothesis property test, rendered through Jinja2 templates.

The model is straight-line Python (no interpreter over the IR): a state is an immutable tuple subclass, each action
reads the pre-state into locals and rebuilds only the entries it changes. Operators are rendered from the `python`
column of `generator.semantics.OPERATORS` (see generator/pybackend/pyexpr.py). Every spec identifier goes through
`pyexpr.mangle`, every spec text through a literal-escaping function, so no spec can inject code.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

import jinja2

from .. import ir
from ..itf_types import descriptor
from .pyexpr import (ExprCompiler, Namer, comment_text, doc_literal, domain_text, expr_binders, free_locals,
                     in_type_text, is_simple, local_names, mangle, plain_literal, str_literal, tuple_text,
                     value_literal)

_WIDTH = 110


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("irqspec.pybackend", "templates"), undefined=jinja2.StrictUndefined,
                              autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


# ------------------------------------------------------------------------------------------------------ name collection


def _exprs_of_stmts(stmts: tuple[ir.Stmt, ...]):
    for st in stmts:
        if isinstance(st, ir.Assign):
            yield st.value
            for p in st.path:
                if isinstance(p, ir.IndexStep):
                    yield p.index
        elif isinstance(st, ir.LetStmt):
            yield st.value
        elif isinstance(st, ir.If):
            yield st.cond
            yield from _exprs_of_stmts(st.then)
            yield from _exprs_of_stmts(st.else_)


def _stmt_binders(stmts: tuple[ir.Stmt, ...], out: list[tuple[int, str]]) -> None:
    """The binders of an action body in source order: let statements and those inside its expressions."""
    for st in stmts:
        if isinstance(st, ir.LetStmt):
            expr_binders(st.value, out)
            out.append((st.uid, st.name))
        elif isinstance(st, ir.Assign):
            for p in st.path:
                if isinstance(p, ir.IndexStep):
                    expr_binders(p.index, out)
            expr_binders(st.value, out)
        elif isinstance(st, ir.If):
            expr_binders(st.cond, out)
            _stmt_binders(st.then, out)
            _stmt_binders(st.else_, out)


def _enum_domains(e: ir.Expr, out: dict[tuple, ir.Type]) -> None:
    """The map domains indexed in `e` that need a position table: enums (by their members), sets of integers (by
    their runs)."""
    if isinstance(e, ir.Index) and isinstance(e.base.type, ir.MapType):
        _note_domain(e.base.type.domain, out)
    for child in ir.children(e):
        _enum_domains(child, out)


def _note_domain(t: ir.Type, out: dict[tuple, ir.Type]) -> None:
    if isinstance(t, ir.EnumType):
        out.setdefault(t.members, t)
    elif isinstance(t, ir.IntType) and t.runs is not None:
        out.setdefault(t.runs, t)


# ------------------------------------------------------------------------------------------------------ code builders


def _wrap_unpack(names: list[str], indent: str) -> str:
    """`a, b, c = s`, wrapped in parentheses when it is too long for one line."""
    # one name still unpacks: `x, = s` (State is a tuple of the variables)
    line = f"{indent}{', '.join(names)}{',' if len(names) == 1 else ''} = s"
    if len(line) <= _WIDTH:
        return line
    rows, cur = [], indent + "("
    for i, n in enumerate(names):
        piece = n + ("," if i < len(names) - 1 else ")")
        if len(cur) + len(piece) + 1 > _WIDTH:
            rows.append(cur.rstrip())
            cur = indent + " " + piece + " "
        else:
            cur += piece + " "
    rows.append(cur.rstrip() + " = s")
    return "\n".join(rows)


@dataclass
class _Body:
    """The statements of one generated function, with temporaries numbered per function."""

    indent: str = "    "
    lines: list[str] = field(default_factory=list)
    temps: int = 0

    def add(self, text: str) -> None:
        self.lines.append(self.indent + text)

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"


class ModelBuilder:
    """Collects names and renders the parts of a model module."""

    def __init__(self, system: ir.System):
        self.system = system
        self.namer = Namer()
        self.var_py = {v.name: mangle(v.name) for v in system.vars}
        state_locals = set(self.var_py.values())  # actions, guards and properties unpack the state into these
        roots: list[tuple[set[str], list[tuple[int, str]]]] = []
        for f in system.functions:
            roots.append((set(), [(p.uid, p.name) for p in f.params]))
            expr_binders(f.body, roots[-1][1])
        for a in system.actions:
            roots.append((state_locals, [(p.uid, p.name) for p in a.params]))
            expr_binders(a.guard, roots[-1][1])
            if a.fair_when is not None:
                expr_binders(a.fair_when, roots[-1][1])
            _stmt_binders(a.body, roots[-1][1])
        for p in system.invariants + system.lemmas + system.covers:
            roots.append((state_locals, []))
            expr_binders(p.expr, roots[-1][1])
        for lv in system.liveness:
            roots.append((state_locals, [(b.uid, b.name) for b in lv.binders]))
            expr_binders(lv.p, roots[-1][1])
            expr_binders(lv.q, roots[-1][1])
        for _, e in system.init:
            roots.append((set(), []))
            expr_binders(e, roots[-1][1])
        spec_names = {mangle(n) for n in [v.name for v in system.vars] + [f.name for f in system.functions]
                      + [a.name for a in system.actions] + [name for _, r in roots for _, name in r]
                      + [p.name for p in system.invariants + system.lemmas + system.covers]}
        self.local_py = local_names(roots, spec_names)
        self.namer.scope_names = set(self.var_py.values()) | set(self.local_py.values())
        self.function_py = {f.name: self.namer.module(mangle(f.name)) for f in system.functions}
        self.action_py = {a.name: self.namer.module(mangle(a.name), avoid_scope=False) for a in system.actions}
        self.prop_py = {(p.kind, p.name): self.namer.module(mangle(p.name), avoid_scope=False)
                        for p in system.invariants + system.lemmas + system.covers}
        self.live_py = {lv.name: (self.namer.module("_live_p_" + mangle(lv.name)),
                                  self.namer.module("_live_q_" + mangle(lv.name))) for lv in system.liveness}
        self.fair_when_py = {a.name: self.namer.module("_fair_when_" + mangle(a.name))
                             for a in system.actions if a.fair_when is not None}
        self.enabled_py = {a.name: self.namer.module("enabled_" + mangle(a.name)) for a in system.actions}
        self.instances_py = {a.name: self.namer.module("_instances_" + mangle(a.name)) for a in system.actions}
        self.witness_py = {p.name: self.namer.module("_witness_" + mangle(p.name)) for p in system.invariants}
        self.fails_at_py = {p.name: self.namer.module("_fails_at_" + mangle(p.name)) for p in system.invariants}
        self.next_py = {v.name: self.namer.module(mangle(v.name).rstrip("_") + "_next") for v in system.vars}
        enums: dict[tuple, ir.Type] = {}
        every = [f.body for f in system.functions] + [p.expr for p in system.invariants + system.lemmas
                                                      + system.covers] + [e for _, e in system.init]
        every += [e for lv in system.liveness for e in (lv.p, lv.q)]
        for a in system.actions:
            every.append(a.guard)
            if a.fair_when is not None:
                every.append(a.fair_when)
            every.extend(_exprs_of_stmts(a.body))
            for st in _assigns(a.body):
                _path_enums(system.var(st.var).type, st.path, enums)
        for e in every:
            _enum_domains(e, enums)
        enum_keys = sorted(k for k, t in enums.items() if isinstance(t, ir.EnumType))
        set_keys = sorted(k for k, t in enums.items() if isinstance(t, ir.IntType))
        self.enum_py = {members: self.namer.module("_POSITION_" + mangle(enums[members].name or "enum"))  # type: ignore[union-attr]
                        for members in enum_keys}
        self.enum_tables = [(self.enum_py[m], "{" + ", ".join(f"{str_literal(x)}: {i}" for i, x in enumerate(m))
                             + "}") for m in enum_keys]
        for runs in set_keys:  # a set's table is built when the model is imported: its text stays as short as the set's
            name = self.namer.module("_POSITION_" + mangle(enums[runs].name or "set"))  # type: ignore[union-attr]
            self.enum_py[runs] = name
            self.enum_tables.append((name, f"{{_v: _i for _i, _v in enumerate({domain_text(enums[runs])})}}"))
        self.state_expr = ExprCompiler(self.var_py, self.function_py, self.enum_py, self.local_py)
        self.pure_expr = ExprCompiler({}, self.function_py, self.enum_py, self.local_py)

    # ---------------------------------------------------------------------------------------------------- parts
    def unpack(self, indent: str = "    ") -> str:
        return _wrap_unpack([self.var_py[v.name] for v in self.system.vars], indent)

    def function(self, f: ir.Function) -> dict:
        lets, result = self.pure_expr.hoisted(f.body)
        return {"name": self.function_py[f.name], "raw": str_literal(f.name),
                "params": [self.local_py[p.uid] for p in f.params],
                "doc": doc_literal(f.doc or f"{f.name}: a pure function of {f.module}.", "    "),
                "body": [f"    {line}" for line in lets] + [f"    return {result}"]}

    def guard(self, a: ir.Action) -> dict:
        lets, result = self.state_expr.hoisted(a.guard)
        params = [self.local_py[p.uid] for p in a.params]
        return {"name": self.enabled_py[a.name], "params": params,
                "doc": doc_literal(f"Whether {a.name} is enabled: its guard.", "    "),
                "body": [f"    {line}" for line in lets] + [f"    return {result}"]}

    def fair_when(self, a: ir.Action) -> dict:
        assert a.fair_when is not None
        lets, result = self.state_expr.hoisted(a.fair_when)
        return {"name": self.fair_when_py[a.name], "params": [self.local_py[p.uid] for p in a.params],
                "doc": doc_literal(f"The states where {a.name}'s fairness applies (its `when` clause).", "    "),
                "body": [f"    {line}" for line in lets] + [f"    return {result}"]}

    def instances(self, a: ir.Action) -> dict:
        """A generator of the enabled parameter tuples, each conjunct of the guard tested as soon as the parameters
        it reads are chosen."""
        params = [p.uid for p in a.params]
        parts = ir.conjuncts(a.guard)
        depth: dict[int, list[str]] = {}
        for c in parts:
            used = free_locals(c)
            level = max((params.index(n) for n in used if n in params), default=-1)
            if isinstance(c, ir.Lit) and c.value is True:
                continue
            depth.setdefault(level, []).append(self.state_expr.expr(c))
        lines = []
        indent = "    "
        for level in range(-1, len(params)):
            if level >= 0:
                p = a.params[level]
                lines.append(f"{indent}for {self.local_py[p.uid]} in {domain_text(p.type)}:")
                indent += "    "
            for cond in depth.get(level, []):
                lines.append(f"{indent}if {cond}:")
                indent += "    "
        lines.append(f"{indent}yield {tuple_text([self.local_py[p] for p in params]) if params else '()'}")
        return {"name": self.instances_py[a.name], "body": lines}

    def action(self, a: ir.Action) -> dict:
        body = _Body()
        for v in a.modifies:
            body.add(f"{self.next_py[v]} = {self.var_py[v]}")
        self._block(a, a.body, body)
        fields = [self.next_py[v.name] if v.name in a.modifies else self.var_py[v.name] for v in self.system.vars]
        params = [self.local_py[p.uid] for p in a.params]
        return {"name": self.action_py[a.name], "raw": a.name, "params": params,
                "doc": doc_literal(a.doc or f"The action {a.name}.", "    "),
                "enabled": self.enabled_py[a.name], "body": body.lines,
                "message": str_literal(f"{a.name} is not enabled"),
                "result": _wrap_call("    return _new(State, (", fields, "))")}

    def _block(self, a: ir.Action, stmts: tuple[ir.Stmt, ...], body: _Body) -> None:
        for st in stmts:
            if isinstance(st, ir.LetStmt):
                lets, value = self.state_expr.hoisted(st.value)
                for line in lets:
                    body.add(line)
                body.add(f"{self.local_py[st.uid]} = {value}")
            elif isinstance(st, ir.Assign):
                self._assign(a, st, body)
            elif isinstance(st, ir.If):
                body.add(f"if {self.state_expr.expr(st.cond)}:")
                mark = len(body.lines)
                inner = _Body(body.indent + "    ", body.lines, body.temps)
                self._block(a, st.then, inner)
                if len(body.lines) == mark:
                    inner.add("pass")
                if st.else_:
                    body.add("else:")
                    mark = len(body.lines)
                    inner = _Body(body.indent + "    ", body.lines, inner.temps)
                    self._block(a, st.else_, inner)
                    if len(body.lines) == mark:
                        inner.add("pass")
                body.temps = inner.temps

    def _assign(self, a: ir.Action, st: ir.Assign, body: _Body) -> None:
        value = self.state_expr.expr(st.value)
        if st.range_checked:
            assert isinstance(st.target_type, ir.IntType)
            t = body.temp()
            body.add(f"{t} = {value}")
            where = st.var + "".join("[..]" if isinstance(p, ir.IndexStep) else f".{p.name}" for p in st.path)
            body.add(f"if not {in_type_text(t, st.target_type)}:")
            body.add(f"    raise RangeViolation({str_literal(f'{a.name}: {where} would be ')} + repr({t}) + "
                     f"{str_literal(f', outside {st.target_type.values_text()}')})")
            value = t
        target = self.next_py[st.var]
        new = self._updated(target, self.system.var(st.var).type, st.path, value, body)
        body.add(f"{target} = {new}")

    def _updated(self, cur: str, t: ir.Type, path: tuple[ir.PathStep, ...], value: str, body: _Body) -> str:
        """The text of `cur` (of type `t`) with the part at `path` replaced by `value`."""
        if not path:
            return value
        step, rest = path[0], path[1:]
        if isinstance(step, ir.FieldStep):
            assert isinstance(t, ir.RecordType)
            k = t.field_index(step.name)
            inner = self._updated(f"{cur}[{k}]", t.field_type(step.name), rest, value, body)
            items = [inner if i == k else f"{cur}[{i}]" for i in range(len(t.fields))]
            return tuple_text(items)
        if isinstance(t, ir.MapType):
            k = self.state_expr.position(step.index, t.domain)
            if not is_simple(k):
                tmp = body.temp()
                body.add(f"{tmp} = {k}")
                k = tmp
            inner = self._updated(f"{cur}[{k}]", t.codomain, rest, value, body)
            n = ir.domain_size(t.domain)
            if k.isdigit():
                items = [inner if i == int(k) else f"{cur}[{i}]" for i in range(n)]
                if n <= 4:
                    return tuple_text(items)
                return f"{cur}[:{k}] + ({inner},) + {cur}[{int(k) + 1}:]"
            return f"{cur}[:{k}] + ({inner},) + {cur}[{k} + 1:]"
        assert isinstance(t, ir.BitsType)
        idx = self.state_expr.expr(step.index)
        it = step.index.type
        if isinstance(it, ir.IntType) and 0 <= it.lo and it.hi < t.width and value in ("True", "False"):
            return f"({cur} | (1 << {idx}))" if value == "True" else f"({cur} & ~(1 << {idx}))"
        return f"set_bit({cur}, {idx}, {value}, {t.width})"

    def prop(self, p: ir.Property) -> dict:
        lets, result = self.state_expr.hoisted(p.expr)
        what = {"invariant": "Invariant", "lemma": "Lemma", "cover": "Cover goal"}[p.kind]
        return {"name": self.prop_py[(p.kind, p.name)], "raw": p.name,
                "doc": doc_literal(f"{what} {p.name}" + (f": {p.doc}" if p.doc else "."), "    "),
                "body": [f"    {line}" for line in lets] + [f"    return {result}"]}

    def liveness(self, lv: ir.Liveness) -> dict:
        """`p` and `q` of a liveness property as two functions of the state and the binders' values."""
        params = "".join(f", {self.local_py[b.uid]}" for b in lv.binders)
        sides = []
        for which, e, name in (("p", lv.p, self.live_py[lv.name][0]), ("q", lv.q, self.live_py[lv.name][1])):
            lets, result = self.state_expr.hoisted(e)
            sides.append({"name": name, "params": params,
                          "doc": doc_literal(f"Liveness {lv.name}: its {'left' if which == 'p' else 'right'} side.",
                                             "    "),
                          "body": [f"    {line}" for line in lets] + [f"    return {result}"]})
        binders = tuple_text([f"({str_literal(b.name)}, {domain_text(b.type)})" for b in lv.binders]) \
            if lv.binders else "()"
        return {"raw": str_literal(lv.name), "binders": binders, "sides": sides}

    def witness(self, p: ir.Property) -> dict:
        """Search the values of the outermost `forall` chain for which the invariant fails."""
        lines: list[str] = []
        e = p.expr
        indent = "    "
        while isinstance(e, ir.Quant) and e.kind == "forall":
            lines.append(f"{indent}for {self.local_py[e.uid]} in {domain_text(e.domain)}:")
            indent += "    "
            e = e.body
        binders = _witness_binders(p.expr)
        if binders:
            lines.append(f"{indent}if not {self.state_expr.expr(e)}:")
            found = ", ".join(f"{str_literal(b.name)}: {self.local_py[b.uid]}" for b in binders)
            lines.append(f"{indent}    return {{{found}}}")
        lines.append("    return {}")
        return {"name": self.witness_py[p.name], "raw": str_literal(p.name), "check": self.prop_py[("invariant", p.name)],
                "uses_state": bool(binders), "body": lines}

    def fails_at(self, p: ir.Property) -> dict:
        """Whether the invariant fails for given values of its outermost `forall` chain (a witness): the body of
        the chain evaluated at them, after checking that they are the chain's variables, each in its domain."""
        binders = _witness_binders(p.expr)
        e = p.expr
        while isinstance(e, ir.Quant) and e.kind == "forall":
            e = e.body
        names = "{" + ", ".join(str_literal(b.name) for b in binders) + "}" if binders else "set()"
        lines = [f"    if set(_witness) != {names}:", "        return False"]
        if not binders:
            lines.append(f"    return not {self.prop_py[('invariant', p.name)]}(s)")
            return {"name": self.fails_at_py[p.name], "raw": str_literal(p.name), "uses_state": False, "body": lines}
        for b in binders:
            lines.append(f"    {self.local_py[b.uid]} = _witness[{str_literal(b.name)}]")
        outside = " or ".join(f"{self.local_py[b.uid]} not in {domain_text(b.domain)}" for b in binders)
        lines += [f"    if {outside}:", "        return False", f"    return not {self.state_expr.expr(e)}"]
        return {"name": self.fails_at_py[p.name], "raw": str_literal(p.name), "uses_state": True, "body": lines}


def _witness_binders(e: ir.Expr) -> list[ir.Quant]:
    """The variables a witness of an invariant gives values to: those of its outermost chain of `forall`s, a binder
    shadowed by an inner one of the same name left out (the body cannot read it)."""
    binders: list[ir.Quant] = []
    while isinstance(e, ir.Quant) and e.kind == "forall":
        binders = [b for b in binders if b.name != e.name] + [e]
        e = e.body
    return binders


def _assigns(stmts: tuple[ir.Stmt, ...]):
    for st in stmts:
        if isinstance(st, ir.Assign):
            yield st
        elif isinstance(st, ir.If):
            yield from _assigns(st.then)
            yield from _assigns(st.else_)


def _path_enums(t: ir.Type, path: tuple[ir.PathStep, ...], out: dict) -> None:
    for step in path:
        if isinstance(step, ir.FieldStep):
            assert isinstance(t, ir.RecordType)
            t = t.field_type(step.name)
        elif isinstance(t, ir.MapType):
            _note_domain(t.domain, out)
            t = t.codomain


def _wrap_call(head: str, items: list[str], tail: str) -> str:
    text = head + ", ".join(items) + ("," if len(items) == 1 else "") + tail
    if len(text) <= _WIDTH:
        return text
    pad = " " * len(head)
    rows, cur = [], head
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 or len(items) == 1 else "")
        if len(cur) + len(piece) + 1 > _WIDTH and cur.strip() not in (head.strip(),):
            rows.append(cur.rstrip())
            cur = pad + piece + " "
        else:
            cur += piece + " "
    rows.append(cur.rstrip() + tail)
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------------------- entry


def generate_model(system: ir.System, spec_path: str, spec_text_hash: str, command: str) -> str:
    """The source of `<module>_model.py`: the executable reference model of `system`."""
    b = ModelBuilder(system)
    var_descs = [(v.name, descriptor(v.type)) for v in system.vars]
    state_doc = "A state of " + system.module + " (immutable, hashable). Fields, in order:\n" + "\n".join(
        f"  {v.name}{' (ghost)' if v.ghost else ''}: {v.type}" + (f" -- {v.doc}" if v.doc else "")
        for v in system.vars)
    init_items = [f"{b.var_py[name]}={b.state_expr.expr(e)}" for name, e in system.init]
    context = {
        "spec_path": comment_text(spec_path),
        "spec_hash": comment_text(spec_text_hash),
        "command": comment_text(command),
        "module_doc": doc_literal((system.doc or f"The reference model of {system.module}.")
                                  + f"\n\nGenerated from the spec module {system.module}.", ""),
        "constants": [f"{comment_text(c.name)} = {comment_text(repr(c.value))}"
                      + (" (overridden)" if c.overridden else "") for c in system.constants],
        "spec_name": str_literal(system.module),
        "constant_table": "{" + ", ".join(f"{str_literal(c.name)}: {plain_literal(c.value)}"
                                          for c in system.constants) + "}",
        "set_constants": comment_text(", ".join(c.name for c in system.constants
                                                if len(ir.constant_runs(c.value) or ()) > 1)),
        "state_doc": doc_literal(state_doc, "    "),
        "fields": [{"name": b.var_py[v.name], "index": i, "doc": str_literal(v.doc or v.name)}
                   for i, v in enumerate(system.vars)],
        "field_list": ", ".join(b.var_py[v.name] for v in system.vars),
        "new_tuple": tuple_text([b.var_py[v.name] for v in system.vars]),
        "var_names": tuple_text([str_literal(v.name) for v in system.vars]),
        "var_types": "{" + ", ".join(f"{str_literal(n)}: {d!r}" for n, d in var_descs) + "}",
        "param_types": "{" + ", ".join(
            f"{str_literal(a.name)}: {{" + ", ".join(f"{str_literal(p.name)}: {descriptor(p.type)!r}"
                                                      for p in a.params) + "}" for a in system.actions) + "}",
        "enum_tables": b.enum_tables,
        "unpack": b.unpack(),
        "init": _wrap_call("    return State(", init_items, ")"),
        "functions": [b.function(f) for f in system.functions],
        "guards": [b.guard(a) for a in system.actions],
        "instances": [b.instances(a) for a in system.actions],
        "actions": [b.action(a) for a in system.actions],
        "action_table": [{"raw": str_literal(a.name),
                          "params": tuple_text([f"({str_literal(p.name)}, {domain_text(p.type)})"
                                                for p in a.params]) if a.params else "()",
                          "enabled": b.enabled_py[a.name], "apply": b.action_py[a.name],
                          "instances": b.instances_py[a.name], "doc": str_literal(a.doc),
                          "param_names": [b.local_py[p.uid] for p in a.params],
                          "param_dict": "{" + ", ".join(f"{str_literal(p.name)}: {b.local_py[p.uid]}"
                                                        for p in a.params) + "}",
                          "param_tuple": tuple_text([b.local_py[p.uid] for p in a.params]) if a.params else "()"}
                         for a in system.actions],
        "invariants": [b.prop(p) for p in system.invariants],
        "lemmas": [b.prop(p) for p in system.lemmas],
        "covers": [b.prop(p) for p in system.covers],
        "witnesses": [b.witness(p) for p in system.invariants],
        "fails_at": [b.fails_at(p) for p in system.invariants],
        "invariant_table": [(str_literal(p.name), b.prop_py[("invariant", p.name)]) for p in system.invariants],
        "lemma_table": [(str_literal(p.name), b.prop_py[("lemma", p.name)]) for p in system.lemmas],
        "cover_table": [(str_literal(p.name), b.prop_py[("cover", p.name)]) for p in system.covers],
        "liveness": [b.liveness(lv) for lv in system.liveness],
        "fairness_table": [(str_literal(a.name), str_literal(a.fairness)) for a in system.actions if a.fairness],
        "fair_whens": [b.fair_when(a) for a in system.actions if a.fair_when is not None],
        "fair_when_table": [(str_literal(a.name), b.fair_when_py[a.name]) for a in system.actions
                            if a.fair_when is not None],
    }
    return environment().get_template("model.py.j2").render(**context)


def generate_property_tests(system: ir.System, model_module_name: str, spec_path: str = "",
                            spec_text_hash: str = "", command: str = "", max_examples: int = 100,
                            step_count: int = 40, expect_failure: str | None = None) -> str:
    """The source of `test_<module>_properties.py`: a Hypothesis state machine over the model that checks every
    invariant after every step (only invariants: which tests a spec with a known violation gets is decided by the
    suite generator). `expect_failure`: why a violation is expected (an invariant Z3 refutes); a run that finds one
    is then reported as an expected failure, and one that does not passes. A spec without actions has one state:
    the test then checks the invariants of the initial state, without random runs."""
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in model_module_name.split(".")):
        raise ValueError(f"not a module name: {model_module_name!r}")
    class_name = "Test" + "".join(part.capitalize() for part in system.module.split("_") if part) + "Properties"
    if not class_name.isidentifier():
        class_name = "TestProperties"
    context = {
        "spec_path": comment_text(spec_path),
        "spec_hash": comment_text(spec_text_hash),
        "command": comment_text(command),
        "module": comment_text(system.module),
        "model_module": model_module_name,
        "class_name": class_name,
        "invariants": comment_text(", ".join(p.name for p in system.invariants) or "(none)"),
        "max_examples": int(max_examples),
        "module_ident": system.module,
        "spec_module": str_literal(system.module),
        "expect_failure": str_literal(expect_failure) if expect_failure else "",
        "step_count": int(step_count),
        "actions": bool(system.actions),
        "doc": doc_literal(f"Property tests of {system.module}: random runs of the reference model, every invariant "
                           "checked after every step; a failing run shrinks to a short trace and prints it."
                           if system.actions else f"Property tests of {system.module}: every invariant checked in "
                           "the initial state, the only state of a spec without actions.", ""),
    }
    return environment().get_template("test_properties.py.j2").render(**context)


__all__ = ["generate_model", "generate_property_tests", "value_literal"]
