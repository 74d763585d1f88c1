"""Traces, witnesses and proof results as text a person reads: the step table of a counterexample (what changed, and
what the action wrote without changing it), bit vectors as the set of vectors they hold (`irr[1] = {0x20}`), and
which parts of a violated invariant are false at its witness.

One formatting rule for every value, driven by its IR type (`format_value`): parameters, state values, map keys and
witnesses of a vector type read in hex, as in the APIC manuals; everything else as the spec writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from irqspec.runtime.trace import Trace
from irqspec.runtime.values import RangeViolation, vector_set

from . import ir
from .front.diagnostics import Span, SpecError
from .evaluate import Evaluator, Run, Write, enabled, evaluate, part, run_action
from .ir import BitsType, BoolType, IntType, MapType, RecordType, System, Type, domain_values
from .front.modules import read_source

INDENT = " " * 8  # under the text after "step N  "

# ------------------------------------------------------------------------------------------------------ one value


def is_vector_type(t: Type | None) -> bool:
    """Whether integers of `t` are interrupt vectors (or APIC priority registers, which share their encoding), shown in
    hex: a named type or range constant whose name says so (`Vector`, `VECTORS`), or an unnamed range inside the
    vectors a fixed interrupt may use, 16..255 (`v: 32..47`)."""
    if not isinstance(t, IntType):
        return False
    if t.name:
        return "vector" in t.name.lower()
    return 16 <= t.lo and t.hi <= 255


def format_value(value: object, t: Type | None) -> str:
    """A value of type `t` as every report shows it: bools as the spec writes them, bit vectors as the set of their
    bits, integers of a vector type in hex, records with field names, maps as [key: value] (keys by the same rule).
    Without a type (a value whose type is not known here) it reads as Python would print it, numbers in decimal."""
    if isinstance(t, BoolType) or isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(t, BitsType):
        assert isinstance(value, int)
        return "{" + ", ".join(f"0x{i:02x}" for i in vector_set(value)) + "}"
    if isinstance(t, IntType) and isinstance(value, int):
        return f"0x{value:02x}" if is_vector_type(t) and value >= 0 else str(value)
    if isinstance(t, RecordType) and isinstance(value, tuple):
        return "{" + ", ".join(f"{n}: {format_value(v, ft)}" for (n, ft), v in zip(t.fields, value)) + "}"
    if isinstance(t, MapType) and isinstance(value, tuple):
        return "[" + ", ".join(f"{format_value(k, t.domain)}: {format_value(v, t.codomain)}"
                               for k, v in zip(domain_values(t.domain), value)) + "]"
    return str(value)


def location(name: str, t: Type, path: tuple[object, ...]) -> str:
    """The spec's name of a part of variable `name`: `irr[1]`, `ev[0].vector`, `owed[1][0xbc]` (a single bit)."""
    out = name
    for step in path:
        if isinstance(t, MapType):
            out += f"[{format_value(step, t.domain)}]"
            t = t.codomain
        elif isinstance(t, RecordType):
            out += f".{step}"
            t = t.field_type(str(step))
        else:
            out += f"[0x{step:02x}]" if isinstance(step, int) and step >= 0 else f"[{step}]"
            t = ir.BOOL
    return out


def format_state(system: System, state: Mapping[str, object]) -> list[str]:
    """`name = value` for every variable, in declaration order."""
    return [f"{v.name} = {format_value(state[v.name], v.type)}" for v in system.vars if v.name in state]


def format_params(params: Mapping[str, object], system: System, action: str | None) -> str:
    """`send_ipi(src=0, dst=1, v=0x3d)`."""
    if action is None:
        return ""
    types = {p.name: p.type for p in system.action(action).params}
    return f"{action}(" + ", ".join(f"{k}={format_value(v, types.get(k))}" for k, v in params.items()) + ")"


# ------------------------------------------------------------------------------------------------------ one step


def _diff(name: str, key: tuple[int, ...], before: object, after: object, t: Type) -> list[tuple[tuple[int, ...], str]]:
    """(sort key, `name[...] = value`) for the parts of a variable that differ, descending into maps."""
    if before == after:
        return []
    if isinstance(t, MapType) and isinstance(before, tuple) and isinstance(after, tuple):
        out: list[tuple[tuple[int, ...], str]] = []
        for i, (k, b, a) in enumerate(zip(domain_values(t.domain), before, after)):
            out += _diff(f"{name}[{format_value(k, t.domain)}]", key + (i,), b, a, t.codomain)
        return out
    # a record, a bit vector and a scalar read best whole: {valid: true, vector: 0x20}
    return [(key, f"{name} = {format_value(after, t)}")]


def changes(name: str, before: object, after: object, t: Type) -> list[str]:
    """`name[...] = value` lines for the parts of a variable that differ, descending into maps."""
    return [text for _, text in _diff(name, (), before, after, t)]


def _sort_key(t: Type, path: tuple[object, ...]) -> tuple[int, ...]:
    out = []
    for step in path:
        if isinstance(t, MapType):
            out.append(list(domain_values(t.domain)).index(step))
            t = t.codomain
        elif isinstance(t, RecordType):
            out.append(t.field_index(str(step)))
            t = t.field_type(str(step))
        else:
            out.append(int(step))  # type: ignore[call-overload]
            t = ir.BOOL
    return tuple(out)


def _reads_target(e: ir.Expr, var: str, path: tuple[ir.PathStep, ...]) -> bool:
    """Whether `e` reads the very part that an assignment to `var` through `path` writes (`irr[dst]` in
    `irr'[dst] = irr[dst] | bit(v)`)."""
    if not path:
        return isinstance(e, ir.Var) and e.name == var
    last = path[-1]
    if isinstance(last, ir.IndexStep):
        return isinstance(e, ir.Index) and e.index == last.index and _reads_target(e.base, var, path[:-1])
    return isinstance(e, ir.Field) and e.name == last.name and _reads_target(e.base, var, path[:-1])


def _unchanged_write(system: System, w: Write, t: Type, ev: Evaluator, before: Mapping[str, object]) -> str:
    """The line of a write that left its part as it was: `irr[1] |= {0xbc} (already set)` when it ors into the part
    (an IPI merging into a set IRR bit: one operand reads the part, or has its value here, as
    `(if dst == src then sender_irr else irr[dst]) | bit(v)` does), else `irr[0] = {} (written, unchanged)`."""
    where = location(w.var, t, w.path)
    value, part_type = part(before[w.var], t, w.path)
    e = w.stmt.value
    if isinstance(e, ir.Op) and e.op in ("bvor", "bor") and isinstance(part_type, (BitsType, IntType)):
        for mine, other in ((e.args[0], e.args[1]), (e.args[1], e.args[0])):
            if _reads_target(mine, w.stmt.var, w.stmt.path) or ev.value(mine, before, w.env) == value:
                added = ev.value(other, before, w.env)
                return f"{where} |= {format_value(added, part_type)} (already set)"
    return f"{where} = {format_value(value, part_type)} (written, unchanged)"


def _run(system: System, action: str, params: Mapping[str, object], before: Mapping[str, object],
         after: Mapping[str, object]) -> Run | None:
    """The action's run from `before`, when it is the step recorded (else the writes cannot be told: None)."""
    try:
        run = run_action(system, system.action(action), before, params)
    except (KeyError, RangeViolation, TypeError, ValueError, IndexError):
        return None
    return run if all(run.post.get(v.name) == after.get(v.name) for v in system.vars) else None


def step_lines(system: System, action: str, params: Mapping[str, object], before: Mapping[str, object],
               after: Mapping[str, object]) -> list[str]:
    """What a step did, variable by variable in declaration order: the parts it changed (`irr[1] = {0x20}`) and the
    parts it wrote without changing them (`irr[1] |= {0x20} (already set)`)."""
    run = _run(system, action, params, before, after)
    ev = Evaluator(system)
    lines: list[tuple[int, tuple[int, ...], int, str]] = []
    for i, v in enumerate(system.vars):
        lines += [(i, key, 0, text) for key, text in _diff(v.name, (), before[v.name], after[v.name], v.type)]
    if run is not None:
        types = {v.name: v.type for v in system.vars}
        order = {v.name: i for i, v in enumerate(system.vars)}
        shown: set[tuple[str, tuple[object, ...]]] = set()
        for w in reversed(run.writes):  # where two writes hit one part, the later one is the one that counts
            t = types[w.var]
            if (w.var, w.path) in shown:
                continue
            shown.add((w.var, w.path))
            if part(before[w.var], t, w.path)[0] == part(after[w.var], t, w.path)[0]:
                lines.append((order[w.var], _sort_key(t, w.path), 1, _unchanged_write(system, w, t, ev, before)))
    return [text for *_, text in sorted(lines, key=lambda x: x[:3])]


def doc_line(system: System, action: str) -> str:
    """The first line of the action's doc comment ('' when it has none), with ' ...' when its sentence goes on."""
    lines = [line.strip() for line in system.action(action).doc.strip().splitlines()]
    if not lines or not lines[0]:
        return ""
    return lines[0] + (" ..." if len(lines) > 1 and not lines[0].endswith(".") else "")


def format_step(system: System, action: str, params: Mapping[str, object], before: Mapping[str, object],
                after: Mapping[str, object]) -> list[str]:
    """The doc comment's first line (as `--- ...`), then what the step did, or `(nothing changed)`."""
    doc = doc_line(system, action)
    return ([f"--- {doc}"] if doc else []) + (step_lines(system, action, params, before, after)
                                              or ["(nothing changed)"])


LOOP_MARK = "-- the loop starts here: what follows repeats forever"


def format_trace(system: System, trace: Trace, full: bool = False) -> str:
    """The step table: step 0 is the initial state (all variables), then each action with the first line of its doc
    comment and what it did; with `full`, the whole last state again at the end. A lasso (`trace.loop`) is marked
    where its loop starts and ends; a stutter step in it says so."""
    lines = ["step 0  initial state"]
    first = trace.steps[0].state
    lines += [INDENT + text for text in format_state(system, first)]
    prev = first
    if trace.loop == 0:
        lines.append(LOOP_MARK)
    for i, step in enumerate(trace.steps[1:], start=1):
        if step.action is None and trace.loop is not None and step.state == prev:
            lines.append(f"step {i:<2} stutter (nothing changes)")
        elif step.action is None:
            lines.append(f"step {i:<2} (no action recorded)")
            lines += [INDENT + c for c in _changes_of_state(system, prev, step.state)]
        else:
            lines.append(f"step {i:<2} {format_params(step.params, system, step.action)}")
            lines += [INDENT + text for text in format_step(system, step.action, step.params, prev, step.state)]
        prev = step.state
        if trace.loop is not None and i == trace.loop:
            lines.append(LOOP_MARK)
    if trace.loop is not None:
        last = len(trace.steps) - 1
        again = f"step {last} repeats" if last == trace.loop + 1 else f"steps {trace.loop + 1}..{last} repeat"
        lines.append(f"-- back in the state of step {trace.loop}: {again} forever")
    if full and len(trace.steps) > 1:
        lines.append(f"state after step {len(trace.steps) - 1}, every variable:")
        lines += [INDENT + text for text in format_state(system, prev)]
    return "\n".join(lines)


def _changes_of_state(system: System, before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """What changed between two states, for a step that names no action (nothing tells what was written)."""
    out: list[str] = []
    for v in system.vars:
        out += changes(v.name, before[v.name], after[v.name], v.type)
    return out or ["(nothing changed)"]


# ---------------------------------------------------------------------------------------------------- witnesses


def _property(system: System, name: str | None) -> ir.Property | None:
    return next((p for p in (*system.invariants, *system.lemmas) if p.name == name), None)


def _binders(prop: ir.Property) -> tuple[list[ir.Quant], ir.Expr]:
    """The leading `forall` binders whose values a witness names (a binder shadowed by a later one of the same name
    is not read by the body and is not named), and the body under them."""
    body, binders = prop.expr, []
    while isinstance(body, ir.Quant) and body.kind == "forall":
        binders = [b for b in binders if b.name != body.name] + [body]
        body = body.body
    return binders, body


def _range_target(system: System, action: str, var: str) -> Type | None:
    def find(stmts: tuple[ir.Stmt, ...]) -> Type | None:
        for st in stmts:
            if isinstance(st, ir.Assign) and st.var == var and st.range_checked:
                return st.target_type
            if isinstance(st, ir.If):
                found = find(st.then) or find(st.else_)
                if found is not None:
                    return found
        return None

    try:
        return find(system.action(action).body)
    except KeyError:
        return None


def format_witness(system: System, prop: str | None, witness: Mapping[str, object]) -> str:
    """The values for which `prop` fails: `c = 1, v = 0xbc` (each by its quantifier's domain), or for the implicit
    range property the step that would leave the range: `a(p=1), which would set x to 6 (outside 0..4)`."""
    if prop is not None and prop.startswith(f"{ir.RANGE_PROPERTY}:") and "action" in witness:
        action, var = str(witness["action"]), str(witness.get("var", prop.partition(":")[2]))
        params = witness.get("params") or {}
        target = _range_target(system, action, var)
        step = format_params(params, system, action) if isinstance(params, Mapping) and action in \
            {a.name for a in system.actions} else action
        outside = f" (outside {target.values_text()})" if isinstance(target, IntType) else ""
        return f"{step}, which would set {var} to {format_value(witness.get('value'), target)}{outside}"
    found = _property(system, prop)
    domains: dict[str, Type] = {b.name: b.domain for b in _binders(found)[0]} if found is not None else {}
    live = next((p for p in system.liveness if p.name == prop), None)
    if live is not None:
        domains = {b.name: b.type for b in live.binders}
    return ", ".join(f"{k} = {format_value(v, domains.get(k))}" for k, v in witness.items())


# ------------------------------------------------------------------------------------------ why the property fails


def _source_text(span: Span, sources: dict[str, str | None]) -> str | None:
    """The source text of `span` on one line (comments dropped, white space collapsed), or None when unknown."""
    if span.line <= 0 or span.end_line < span.line:
        return None
    if span.file not in sources:
        try:
            sources[span.file] = read_source(Path(span.file))
        except SpecError:
            sources[span.file] = None
    text = sources[span.file]
    if text is None:
        return None
    lines = text.split("\n")  # lines end at LF only, as the lexer counts them (generator/front/modules.py)
    if span.end_line > len(lines):
        return None
    if span.line == span.end_line:
        pieces = [lines[span.line - 1][span.column - 1:span.end_column - 1]]
    else:
        pieces = [lines[span.line - 1][span.column - 1:], *lines[span.line:span.end_line - 1],
                  lines[span.end_line - 1][:span.end_column - 1]]
    return " ".join(" ".join(p.split("--", 1)[0] for p in pieces).split()) or None


def _flatten(e: ir.Expr, op: str) -> list[ir.Expr]:
    if isinstance(e, ir.Op) and e.op == op:
        return _flatten(e.args[0], op) + _flatten(e.args[1], op)
    return [e]


class _Why:
    """Which parts of a false formula are false, as indented `holds:` / `false:` lines with their source text."""

    MAX_DEPTH = 4

    def __init__(self, system: System, state: Mapping[str, object], sources: dict[str, str | None]):
        self.ev = Evaluator(system)
        self.state = state
        self.sources = sources

    def text(self, e: ir.Expr) -> str:
        return _source_text(e.span, self.sources) or f"({e.span})"

    def holds(self, e: ir.Expr, env: dict[int, object]) -> bool:
        return bool(self.ev.value(e, self.state, env))

    def lines(self, e: ir.Expr, env: dict[int, object], depth: int = 0) -> list[str]:
        """Why `e`, false under `env`, is false (empty when it is a plain fact: a comparison, a bit test)."""
        pad = "  " * depth
        while isinstance(e, ir.Let):
            env = {**env, e.uid: self.ev.value(e.value, self.state, env)}
            e = e.body
        if depth >= self.MAX_DEPTH:
            return []
        out: list[str] = []
        if isinstance(e, ir.Op) and e.op == "and":
            for c in _flatten(e, "and"):
                if not self.holds(c, env):
                    out.append(f"{pad}false: {self.text(c)}")
                    out += self.lines(c, env, depth + 1)
        elif isinstance(e, ir.Op) and e.op == "implies":
            premise, conclusion = e.args
            out.append(f"{pad}holds: {self.text(premise)}")
            out += self._all_false(conclusion, env, depth, pad)
        elif isinstance(e, ir.Op) and e.op == "or":
            out += self._all_false(e, env, depth, pad)
        elif isinstance(e, ir.Quant) and e.kind == "forall":
            for x in domain_values(e.domain):
                inner = {**env, e.uid: x}
                if not self.holds(e.body, inner):
                    out.append(f"{pad}false for {e.name} = {format_value(x, e.domain)}: {self.text(e.body)}")
                    out += self.lines(e.body, inner, depth + 1)
                    break
        return out

    def _all_false(self, e: ir.Expr, env: dict[int, object], depth: int, pad: str) -> list[str]:
        parts = _flatten(e, "or")
        if len(parts) == 1:
            return [f"{pad}false: {self.text(e)}"] + self.lines(e, env, depth + 1)
        return [f"{pad}false: {self.text(d)}" for d in parts]


def explain_violation(system: System, prop: str | None, state: Mapping[str, object], witness: Mapping[str, object],
                      sources: Mapping[str, str] | None = None) -> list[str]:
    """Which parts of invariant (or lemma) `prop` are false in `state` at `witness`: the formula under its quantifiers,
    then its false top-level conjuncts; for an implication whose premise holds, the premise and the disjuncts of the
    conclusion, all false; a quantifier inside, at its first failing value. Source text is read from `sources`
    (file -> text, as the front end read it), else from the spec files. Empty when there is nothing to add (the
    implicit range property, a witness that does not name every quantified variable, a formula without parts)."""
    found = _property(system, prop)
    if found is None:
        return []
    binders, body = _binders(found)
    if any(b.name not in witness for b in binders):
        return []
    env: dict[int, object] = {b.uid: witness[b.name] for b in binders}
    known: dict[str, str | None] = dict(sources or {})
    why = _Why(system, state, known)
    try:
        if why.holds(body, env):  # the witness does not show the failure: say nothing rather than something wrong
            return []
        reasons = why.lines(body, env)
    except (KeyError, TypeError, ValueError, IndexError):
        return []
    if not reasons:
        return []
    where = f"  ({found.span.file}:{body.span.line})" if body.span.line > 0 else ""
    return [f"{why.text(body)}{where}"] + ["  " + r for r in reasons]


# -------------------------------------------------------------------------------------------------- certificates


def split_conjuncts(line: str) -> list[str]:
    """A long `(a) and (b) and ...` formula as one conjunct a line (top-level `and` only)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(line):
        ch = line[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and line.startswith(" and ", i):
            parts.append(line[start:i].strip())
            start = i + 5
            i += 4
        i += 1
    parts.append(line[start:].strip())
    return [p for p in parts if p]


def format_certificate(text: str) -> str:
    """A certificate's text, with each long line cut into its top-level conjuncts."""
    out = []
    for line in text.splitlines():
        if len(line) > 110 and " and " in line:
            indent = line[: len(line) - len(line.lstrip())]
            conjuncts = split_conjuncts(line.strip())
            out += [f"{indent}{c}" + (" and" if k < len(conjuncts) - 1 else "") for k, c in enumerate(conjuncts)]
        else:
            out.append(line)
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------------- lassos


def explain_lasso(system: System, trace: Trace, sources: Mapping[str, str] | None = None) -> list[str]:
    """Why a lasso violates its liveness property: where the left side holds and that the right side never holds
    from there on, then for each instance of a fair action how the loop treats it fairly (taken at a step, or not
    enabled in some loop state; for a strong one, in every loop state). Read with the Python evaluator."""
    from itertools import product


    if trace.loop is None or trace.violated is None:
        return []
    lv = next((p for p in system.liveness if p.name == trace.violated), None)
    if lv is None or any(b.name not in trace.witness for b in lv.binders):
        return []
    env = {b.uid: trace.witness[b.name] for b in lv.binders}
    states = [st.state for st in trace.steps]
    cycle = range(trace.loop, len(states) - 1)
    q = [bool(evaluate(system, lv.q, s, env)) for s in states]
    start = next((j for j in range(len(states) - 1) if evaluate(system, lv.p, states[j], env)
                  and not any(q[i] for i in set(range(j, len(states) - 1)) | set(cycle))), None)
    if start is None:
        return []
    where = f"  ({lv.span.file}:{lv.span.line})" if lv.span.line > 0 else ""
    why = _Why(system, states[start], dict(sources or {}))
    lines = [f"{why.text(lv.p)} holds at step {start}, and {why.text(lv.q)} in no state from there on{where}"]
    idle = 0

    def changes(action: ir.Action, params: dict, s: Mapping[str, object]) -> Mapping[str, object] | None:
        if not enabled(system, action, s, params):
            return None
        env = {p.uid: params[p.name] for p in action.params}
        if action.fair_when is not None and not evaluate(system, action.fair_when, s, env):
            return None
        try:
            post = run_action(system, action, s, params).post
        except RangeViolation:
            return None
        return None if post == dict(s) else post

    for action in system.fair_actions():
        for values in product(*[ir.domain_values(p.type) for p in action.params]):
            params = {p.name: v for p, v in zip(action.params, values)}
            name = format_params(params, system, action.name)
            kind = "fair" if action.fairness == "weak" else "strong fair"
            taken = next((i + 1 for i in cycle if changes(action, params, states[i]) == states[i + 1]), None)
            if taken is not None:
                lines.append(f"{kind} {name}: taken on the loop, at step {taken}")
                continue
            off = [i for i in cycle if changes(action, params, states[i]) is None]
            if len(off) == len(cycle):
                idle += 1
            else:
                lines.append(f"{kind} {name}: not enabled in the state of step {off[0]}, so not owed a step")
    if idle:
        lines.append(f"{'every' if len(lines) == 1 else 'every other'} fair instance ({idle}) is enabled in no state "
                     "of the loop")
    return lines
