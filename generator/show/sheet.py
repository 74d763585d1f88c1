"""A trace as the page lays it out: a column per state, a lane per vCPU (then one for the global variables), in each
lane the actions that act on its vCPU and a row per register, each row as runs of equal values.

Rows: a variable that is a map over the vCPUs gives a row on every vCPU's lane (`irr`, `eventinj.valid`: a record is
split by field, so a change shows on the field that changed); any other variable a row on the global lane. A run of
equal values is one cell spanning its columns; a run that starts with a change is marked `changed`. Runs are cut where
a lasso's loop starts, so the loop's cells can be marked, and, on the rows the violated property reads, before the
last column, so its cells there can be. Values read as every report shows them (`report.format_value`: vector sets
in hex, `{0x30, 0x31}`); the texts here are plain text, escaped by the templates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from irqspec.runtime.trace import Trace
from irqspec.runtime.values import RangeViolation

from .. import ir
from ..evaluate import part, run_action
from ..report import (changes, explain_lasso, explain_violation, format_value, format_witness, location,
                      step_lines)
from .shape import CPU_PARAM, Shape, same_domain

# a map with more entries than this reads as its exceptions to its commonest value: [0x30: true; else false]
_LONG_MAP = 8


@dataclass(frozen=True)
class Cell:
    """A run of equal values of one row: columns start .. start + span - 1."""

    start: int
    span: int
    text: str
    kind: str  # "on" / "off": a boolean (drawn as a waveform); "value": anything else
    changed: bool  # the run starts with a change (never at step 0)
    loop: bool  # inside a lasso's loop
    focus: bool  # where the violated property is read: its last state (an invariant) or its loop (liveness)
    title: str  # where and when: `irr[0], steps 3-5`
    merged: str = ""  # the step wrote the part without changing it, or-ing in what was set: `irr[0] |= {0x30} ...`


@dataclass(frozen=True)
class Row:
    label: str  # the variable, a field after a dot: `eventinj.valid`
    doc: str
    ghost: bool
    focus: bool  # the violated property reads this row (on the lane of its witness)
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Mark:
    """An action taken at a column, on the lane of a vCPU it acts on (or on the global lane)."""

    column: int
    action: str
    args: tuple[tuple[str, str], ...]  # (parameter, value text): (("src", "0"), ("dst", "1"), ("v", "0x30"))
    roles: tuple[str, ...]  # the parameters that name this lane's vCPU: ("src",), ("dst",), ("src", "dst")
    doc: str

    @property
    def args_text(self) -> str:
        return ", ".join(f"{p}={v}" for p, v in self.args)


@dataclass(frozen=True)
class Lane:
    key: str  # for anchors and classes: `cpu-0`, `global`
    title: str  # `vCPU 0`, `global`
    hue: int  # which of the page's lane colours (0..7; the global lane's is 8)
    marks: tuple[Mark | None, ...]  # one per column
    rows: tuple[Row, ...]
    focus: bool  # the lane of the violated property's witness


@dataclass(frozen=True)
class Column:
    index: int
    caption: str  # the action's name, `init`, `stutter`, `?` (a step that names none)
    loop: bool  # a state of a lasso's loop (from its first state on)
    closing: bool  # the lasso's last step, back in the state of its loop's first


@dataclass(frozen=True)
class StepLine:
    """A step as a line of the story under the grid: what was called, its doc comment's first line, what changed."""

    index: int
    call: str
    doc: str
    changes: tuple[str, ...]
    loop: bool


@dataclass(frozen=True)
class Verdict:
    kind: str  # "invariant", "liveness", "range", "deadlock", "property" (a name without a spec to tell which)
    name: str
    headline: str
    witness: str
    doc: str
    lines: tuple[str, ...]  # why it fails, as `irqspec check` explains it


@dataclass(frozen=True)
class Sheet:
    title: str
    module: str
    trace_file: str
    spec_file: str
    constants: tuple[tuple[str, str], ...]
    columns: tuple[Column, ...]
    lanes: tuple[Lane, ...]
    steps: tuple[StepLine, ...]
    verdict: Verdict | None
    loop: int | None
    notes: tuple[str, ...]

    @property
    def cpu_lanes(self) -> int:
        return sum(1 for lane in self.lanes if lane.key != "global")

    @property
    def merges(self) -> bool:
        """Whether a step or-ed into a register what it held already (a second IPI merging into IRR)."""
        return any(c.merged for lane in self.lanes for r in lane.rows for c in r.cells)

    @property
    def loop_text(self) -> str:
        """What the loop of a lasso repeats, as the trace printer says it ("" for a trace that is no lasso)."""
        if self.loop is None:
            return ""
        last = len(self.columns) - 1
        again = f"step {last} repeats" if last == self.loop + 1 else f"steps {self.loop + 1}..{last} repeat"
        return f"the loop: {again} forever"


# ---------------------------------------------------------------------------------------------------------- values


def value_text(value: object, t: ir.Type | None) -> str:
    """A value as the page shows it: as every report does, a long map by its exceptions to its commonest value."""
    if isinstance(t, ir.MapType) and isinstance(value, tuple) and len(value) > _LONG_MAP:
        keys = ir.domain_values(t.domain)
        common = Counter(value).most_common(1)[0][0]
        odd = [f"{format_value(k, t.domain)}: {value_text(v, t.codomain)}" for k, v in zip(keys, value) if v != common]
        return "[" + ", ".join(odd) + ("; " if odd else "") + f"else {value_text(common, t.codomain)}]"
    if t is None:
        return str(value)  # a value of no known shape: its JSON text
    return format_value(value, t)


def _kind(value: object, t: ir.Type | None) -> str:
    if isinstance(t, ir.BoolType) and isinstance(value, bool):
        return "on" if value else "off"
    return "value"


def _flatten(t: ir.Type | None, label: str, path: tuple[int, ...]) -> list[tuple[str, tuple[int, ...], ir.Type | None]]:
    """(label, field positions, type) of each row a value of type `t` is shown as: a record's fields apart."""
    if isinstance(t, ir.RecordType):
        out = []
        for i, (name, ft) in enumerate(t.fields):
            out += _flatten(ft, f"{label}.{name}", path + (i,))
        return out
    return [(label, path, t)]


def _follow(value: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        value = value[i]
    return value


# ----------------------------------------------------------------------------------------------------- the sheet


class _Build:
    def __init__(self, shape: Shape, trace: Trace, sources: Mapping[str, str] | None):
        self.shape = shape
        self.trace = trace
        self.sources = sources
        self.states = [s.state for s in trace.steps]
        self.last = len(self.states) - 1
        self.loop = trace.loop
        self.lanes = ir.domain_values(shape.cpu) if shape.cpu is not None else ()
        self.verdict = self._verdict()
        self.focus_vars, self.focus_lanes = self._focus()
        self.merge_lines: dict[int, list[str]] = {}
        self.merges = self._merges()

    # ----------------------------------------------------------------------------------------- the property

    def _kind(self, name: str) -> str:
        system = self.shape.system
        if system is None:
            return "property"
        if name == ir.DEADLOCK_PROPERTY:
            return "deadlock"
        if name == ir.RANGE_PROPERTY or name.startswith(f"{ir.RANGE_PROPERTY}:"):
            return "range"
        if any(p.name == name for p in system.liveness):
            return "liveness"
        if any(p.name == name for p in (*system.invariants, *system.lemmas)):
            return "invariant"
        return "property"  # a name the spec does not have (a trace of another version of it)

    def _verdict(self) -> Verdict | None:
        trace, system = self.trace, self.shape.system
        name = trace.violated
        if not isinstance(name, str) or not name:
            return None
        kind = self._kind(name)
        steps = self.last
        if self.loop is not None:
            if system is None:  # without the spec nothing says the lasso is fair, but it is a liveness's
                kind = "liveness"
            fair = "a fair lasso" if system is not None else "a lasso"
            headline = (f"{'liveness ' if kind == 'liveness' else ''}{name} violated by {fair} of {steps} "
                        f"steps ({self.loop} before the loop, {steps - self.loop} in it)")
        elif kind == "deadlock":
            headline = f"deadlock after {steps} steps: no action is enabled in the last state"
        elif kind == "range":
            headline = f"{name}: a step leaves the range of what it assigns, after {steps} steps"
        else:
            headline = f"{'invariant ' if kind == 'invariant' else ''}{name} violated after {steps} steps"
        witness = dict(trace.witness)
        doc, lines = "", []
        if system is not None:
            try:
                shown = format_witness(system, name, witness)
                if kind == "liveness":
                    doc = system.live(name).doc
                    lines = explain_lasso(system, trace, self.sources)
                elif kind == "invariant":
                    doc = next((p.doc for p in (*system.invariants, *system.lemmas) if p.name == name), "")
                    lines = explain_violation(system, name, self.states[-1], witness, self.sources)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                # a witness in #meta that does not fit the property (hand-edited): shown as written, unexplained
                shown, lines = ", ".join(f"{k} = {v}" for k, v in witness.items()), []
        else:
            shown = ", ".join(f"{k} = {v}" for k, v in witness.items())
        return Verdict(kind, name, headline, shown, doc.strip(), tuple(lines))

    def _focus(self) -> tuple[frozenset[str], frozenset[object]]:
        """The variables the violated property reads, and the vCPUs its witness names (every one when none)."""
        v, system, cpu = self.verdict, self.shape.system, self.shape.cpu
        if v is None:
            return frozenset(), frozenset()
        witness = self.trace.witness
        names: list[str] = []
        cpu_binders: list[str] = []
        if system is not None and v.kind == "invariant":
            prop = next((p for p in (*system.invariants, *system.lemmas) if p.name == v.name), None)
            if prop is not None:
                names = ir.vars_read(prop.expr)
                body = prop.expr
                while isinstance(body, ir.Quant) and body.kind == "forall":
                    if cpu is not None and same_domain(body.domain, cpu):
                        cpu_binders.append(body.name)
                    body = body.body
        elif system is not None and v.kind == "liveness":
            live = system.live(v.name)
            names = ir.vars_read((live.p, live.q))
            cpu_binders = [b.name for b in live.binders if cpu is not None and same_domain(b.type, cpu)]
        elif v.kind == "range" and isinstance(witness.get("var"), str):
            names = [witness["var"]]
        elif system is None:
            cpu_binders = [k for k in witness if CPU_PARAM.search(str(k))]
        lanes = frozenset(witness[b] for b in cpu_binders if b in witness and witness[b] in self.lanes)
        return frozenset(names), lanes or frozenset(self.lanes)

    # ------------------------------------------------------------------------------------- writes that merge

    def _merges(self) -> dict[tuple[str, object], dict[int, str]]:
        """Per row (label, lane), the steps that or-ed into it what it held already: the second IPI that merges
        into a still-set IRR bit, which the states alone do not show. Read from the action's run on the evaluator,
        as the trace printer reads it (`report.step_lines`); only with a spec."""
        system = self.shape.system
        out: dict[tuple[str, object], dict[int, str]] = {}
        if system is None:
            return out
        for i, step in enumerate(self.trace.steps[1:], 1):
            if step.action is None:
                continue
            before, after = self.states[i - 1], self.states[i]
            try:
                run = run_action(system, system.action(step.action), before, step.params)
            except (KeyError, RangeViolation, TypeError, ValueError, IndexError):
                continue
            if any(run.post.get(v.name) != after.get(v.name) for v in system.vars):
                continue  # not the step recorded: its writes cannot be told
            lines: list[str] | None = None
            for w in run.writes:
                t = system.var(w.var).type
                if part(before[w.var], t, w.path)[0] != part(after[w.var], t, w.path)[0]:
                    continue
                if lines is None:
                    lines = [ln for ln in step_lines(system, step.action, step.params, before, after)
                             if ln.endswith("(already set)")]
                    self.merge_lines[i] = lines
                where = location(w.var, t, w.path) + " "
                line = next((ln for ln in lines if ln.startswith(where)), None)
                if line is not None:
                    out.setdefault(self._row_of(w.var, t, w.path), {})[i] = line
        return out

    def _row_of(self, var: str, t: ir.Type, path: tuple[object, ...]) -> tuple[str, object]:
        """The row (label, lane) that shows the part `path` of `var` (the nearest one above a part inside a row)."""
        lane: object = None
        if self.shape.cpu_map(t) and path:
            lane, path, t = path[0], path[1:], t.codomain  # type: ignore[union-attr]
        label = var
        for step in path:
            if not isinstance(t, ir.RecordType):
                break
            label, t = f"{label}.{step}", t.field_type(str(step))
        return label, lane

    # ---------------------------------------------------------------------------------------------- rows

    def _cells(self, values: list[object], t: ir.Type | None, where: str, focus: bool,
               merged: Mapping[int, str]) -> tuple[Cell, ...]:
        cuts = set(merged)
        if self.loop is not None:
            cuts.add(self.loop)
        if focus and self.loop is None:
            cuts.add(self.last)
        out = []
        start = 0
        texts: dict[object, str] = {}
        for i in range(1, len(values) + 1):
            if i <= self.last and values[i] == values[start] and i not in cuts:
                continue
            value = values[start]
            if value not in texts:
                texts[value] = value_text(value, t)
            in_loop = self.loop is not None and start >= self.loop
            hot = focus and (in_loop if self.loop is not None else start == self.last)
            when = f"step {start}" if i - 1 == start else f"steps {start}-{i - 1}"
            merge = merged.get(start, "")
            out.append(Cell(start, i - start, texts[value], _kind(value, t),
                            start > 0 and values[start - 1] != value, in_loop, hot,
                            f"{where}, {when}: {texts[value]}" + (f"; step {start}: {merge}" if merge else ""),
                            merge))
            start = i
        return tuple(out)

    def _rows(self, lane: object | None) -> tuple[Row, ...]:
        shape = self.shape
        rows = []
        for var in shape.vars:
            on_cpu = shape.cpu_map(var.type)
            if on_cpu != (lane is not None):
                continue
            t = var.type.codomain if on_cpu else var.type  # type: ignore[union-attr]
            position = ir.domain_position(shape.cpu, lane) if on_cpu else 0  # type: ignore[arg-type]
            focus = var.name in self.focus_vars and (lane is None or lane in self.focus_lanes)
            for label, path, ft in _flatten(t, var.name, ()):
                column = [s[var.name] for s in self.states]
                if on_cpu:
                    column = [v[position] for v in column]  # type: ignore[index]
                values = [_follow(v, path) for v in column]
                where = label if not on_cpu else var.name + f"[{lane}]" + label[len(var.name):]
                merged = self.merges.get((label, lane), {})
                rows.append(Row(label, var.doc.strip(), var.ghost, focus,
                                self._cells(values, ft, where, focus, merged)))
        return tuple(rows)

    # ---------------------------------------------------------------------------------------------- actions

    def _args(self, action: str, params: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
        known = self.shape.actions.get(action)
        types = dict(known.params) if known is not None else {}
        return tuple((p, value_text(v, types.get(p))) for p, v in params.items())

    def _marks(self) -> tuple[dict[object, list[Mark | None]], list[Mark | None]]:
        columns = len(self.states)
        per_lane: dict[object, list[Mark | None]] = {k: [None] * columns for k in self.lanes}
        shared: list[Mark | None] = [None] * columns
        for i, step in enumerate(self.trace.steps[1:], 1):
            if step.action is None:
                continue
            known = self.shape.actions.get(step.action)
            doc = _first_line(known.doc) if known is not None else ""
            args = self._args(step.action, step.params)
            roles: dict[object, list[str]] = {}
            for p in known.cpu_params if known is not None else ():
                if p in step.params and step.params[p] in per_lane:
                    roles.setdefault(step.params[p], []).append(p)
            if not roles:
                shared[i] = Mark(i, step.action, args, (), doc)
            for lane, names in roles.items():
                per_lane[lane][i] = Mark(i, step.action, args, tuple(names), doc)
        return per_lane, shared

    # ----------------------------------------------------------------------------------------------- story

    def _columns(self) -> tuple[Column, ...]:
        out = []
        for i, step in enumerate(self.trace.steps):
            closing = self.loop is not None and i == self.last
            if i == 0:
                caption = "init"
            elif step.action is not None:
                caption = step.action
            elif self.states[i] == self.states[i - 1]:
                caption = "stutter"
            else:
                caption = "?"
            out.append(Column(i, caption, self.loop is not None and i >= self.loop, closing))
        return tuple(out)

    def _story(self) -> tuple[StepLine, ...]:
        out = []
        for i, step in enumerate(self.trace.steps[1:], 1):
            before, after = self.states[i - 1], self.states[i]
            lines: list[str] = []
            for var in self.shape.vars:
                lines += changes(var.name, before[var.name], after[var.name], var.type)  # type: ignore[arg-type]
            lines += self.merge_lines.get(i, [])
            known = self.shape.actions.get(step.action) if step.action is not None else None
            if step.action is not None:
                call = f"{step.action}(" + ", ".join(f"{p}={v}" for p, v in self._args(step.action, step.params)) + ")"
            elif before == after:
                call = "stutter (nothing changes)"
            else:
                call = "(no action recorded)"
            if self.loop is not None and i == self.last:
                call += f", back in the state of step {self.loop}"
            out.append(StepLine(i, call, _first_line(known.doc) if known is not None else "",
                                tuple(lines), self.loop is not None and i > self.loop))
        return tuple(out)

    def sheet(self, trace_file: str, spec_file: str) -> Sheet:
        shape, system = self.shape, self.shape.system
        per_lane, shared = self._marks()
        label = "vCPU" if shape.cpu is None or not shape.cpu.name or "cpu" in shape.cpu.name.lower() \
            else shape.cpu.name
        lanes = [Lane(f"cpu-{k}", f"{label} {k}", i % 8, tuple(per_lane[k]), self._rows(k),
                      k in self.focus_lanes and self.verdict is not None) for i, k in enumerate(self.lanes)]
        globals_ = self._rows(None)
        if globals_ or any(shared):  # never the witness's lane (its rows the property reads are marked)
            lanes.append(Lane("global", "global", 8, tuple(shared), globals_, False))
        module = shape.module or "trace"
        v = self.verdict
        what = f"a run of {self.last} steps" if v is None else \
            f"{v.kind if v.kind in ('invariant', 'liveness') else ''} {v.name} violated".lstrip()
        if v is not None and v.kind == "deadlock":
            what = "a deadlock"
        notes = []
        if system is None:
            notes.append("read without its spec: types and vCPU lanes inferred from the values (show --spec SPEC "
                         "for vectors in hex, doc comments and why the property fails)")
        if shape.raw:
            notes.append(f"shown as JSON text (no known shape): {', '.join(shape.raw)}")
        constants = tuple((c.name, ir.constant_text(c.value) + (" (-D)" if c.overridden else ""))
                          for c in system.constants) if system is not None else ()
        return Sheet(f"{module}: {what}", module, trace_file, spec_file, constants, self._columns(), tuple(lanes),
                     self._story(), self.verdict, self.loop, tuple(notes))


def _first_line(doc: str) -> str:
    """A doc comment's first line, with ' ...' when its sentence goes on (as the trace printer shows it)."""
    lines = [line.strip() for line in doc.strip().splitlines()]
    if not lines or not lines[0]:
        return ""
    return lines[0] + (" ..." if len(lines) > 1 and not lines[0].endswith(".") else "")


def build_sheet(shape: Shape, trace: Trace, trace_file: str = "", spec_file: str = "",
                sources: Mapping[str, str] | None = None) -> Sheet:
    """The sheet of `trace`, read with `shape`; `sources` (file -> text) for quoting the violated property."""
    return _Build(shape, trace, sources).sheet(trace_file, spec_file)
