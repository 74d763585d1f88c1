"""Traces as test text: a test function's steps (changes only, after the INITIAL state of its file), its
docstring and its checks, with names unique in the file; the tests of a counterexample, of a run that meets
targets, and the line that checks a refused step."""

from __future__ import annotations

from dataclasses import dataclass, field

from irqspec.runtime.trace import Trace

from .. import ir
from ..report import changes, format_params, format_value
from ..smt import bmc
from .pyexpr import comment_text, doc_literal, plain_literal, str_literal, value_literal


@dataclass
class GenTest:
    name: str
    doc: str
    steps: list[str]  # the lines of the `steps = [...]` literal, indented for a function body
    checks: list[str] = field(default_factory=list)  # lines after the replay
    trace: Trace | None = None  # what the steps are the text of
    refusals: tuple[tuple[str, dict[str, object]], ...] = ()  # the steps `checks` asks the implementation to refuse


class Writer:
    """Turns traces into test functions of one file, with unique test names."""

    def __init__(self, system: ir.System, sources: dict[str, str]):
        self.system = system
        self.types = {v.name: v.type for v in system.vars}
        self.names: set[str] = set()
        self.sources = sources
        self.initial: dict[str, object] | None = None

    def test_name(self, base: str) -> str:
        name, n = base, 2
        while name in self.names:
            name, n = f"{base}_{n}", n + 1
        self.names.add(name)
        return name

    def initial_text(self) -> list[str]:
        assert self.initial is not None
        return [f"    {str_literal(v.name)}: {value_literal(self.initial[v.name], v.type)},  "
                f"# {comment_text(v.name)} = {comment_text(show_value(self.initial[v.name], v.type))}"
                for v in self.system.vars]

    def steps(self, trace: Trace) -> list[str]:
        if self.initial is None:
            self.initial = dict(trace.steps[0].state)
        lines = ["steps = ["]
        prev = self.initial
        for i, step in enumerate(trace.steps):
            if step.action is None:
                lines.append("    # 0. the initial state" if i == 0 else f"    # {i}. stutter (nothing changes)")
                params = "{}"
            else:
                action = self.system.action(step.action)
                ordered = {p.name: step.params[p.name] for p in action.params}
                lines.append(f"    # {i}. {comment_text(format_params(ordered, self.system, step.action))}")
                params = "{" + ", ".join(f"{str_literal(p.name)}: {value_literal(ordered[p.name], p.type)}"
                                         for p in action.params) + "}"
            changed: list[str] = []
            delta = []
            for v in self.system.vars:
                before, after = prev[v.name], step.state[v.name]
                if before != after:
                    changed += changes(v.name, before, after, v.type)
                    delta.append(f"{str_literal(v.name)}: {value_literal(after, v.type)}")
            if step.action is not None:
                lines += [f"    #      {comment_text(c)}" for c in changed] or ["    #      (nothing changes)"]
            action_text = "None" if step.action is None else str_literal(step.action)
            lines += wrapped(f"    ({action_text}, {params}, {{", delta, "}),")
            prev = step.state
        lines.append("]")
        return ["    " + line if line else "" for line in lines]

    def source_line(self, span) -> str:
        """The source line a span starts on, stripped (empty when unknown)."""
        source = self.sources.get(span.file, "")
        if span.line > 0 and source:
            lines = source.split("\n")  # lines end at LF only, as the lexer counts them (generator/front/modules.py)
            if span.line <= len(lines):
                return lines[span.line - 1].strip()
        return ""

    def source_text(self, span) -> str:
        """The exact source text of a span on one line (else the line it starts on, stripped)."""
        source = self.sources.get(span.file, "")
        if span.line > 0 and span.end_line == span.line and span.end_column > span.column and source:
            lines = source.split("\n")
            if span.line <= len(lines):
                return lines[span.line - 1][span.column - 1:span.end_column - 1].strip()
        return self.source_line(span)

    def branch_text(self, action: ir.Action, branch: ir.If, taken: bool) -> str:
        span = branch.span
        where = f"line {span.line}" if span.line > 0 else "no line"
        line = self.source_line(span)
        text = f" `{line}`" if line else ""
        side = "then" if taken else ("else" if branch.else_ else "else (no else block: the if is skipped)")
        return f"{action.name}: the {side} branch of if #{branch.branch_id} ({where}{text})"


def show_value(value: object, t: ir.Type) -> str:
    from ..report import format_value

    return format_value(value, t)


def wrapped(head: str, items: list[str], tail: str, width: int = 114) -> list[str]:
    text = head + ", ".join(items) + tail
    if len(text) <= width:
        return [text]
    out = [head]
    for item in items:
        out.append("     " + item + ",")
    out.append("    " + tail)
    return out


def reach_test(writer: Writer, base: str, doc: str, trace: Trace, checks: list[str]) -> GenTest:
    return GenTest(writer.test_name(base), doc_literal(doc, "    "), writer.steps(trace), checks, trace)


def counterexample_test(writer: Writer, name: str, prop: ir.Property | None, result: bmc.CheckResult,
                         note: str = "") -> GenTest:
    trace = result.trace
    assert trace is not None
    n = len(trace) - 1
    if prop is None:
        # the trace ends in the state from which the witness's action would assign out of range (see bmc.check)
        w = result.witness
        action, params = str(w["action"]), dict(w["params"])  # type: ignore[call-overload]
        doc = (f"A range violation: after these {n} steps, {action} would assign {w['value']} to {w['var']}, "
               f"outside its declared range." + note)
        call = "{" + ", ".join(f"{str_literal(k)}: {plain_literal(v)}" for k, v in params.items()) + "}"
        checks = ["with pytest.raises(RangeViolation):",
                  f"    model.step(last, {str_literal(action)}, {call})"]
        return GenTest(writer.test_name("test_range_is_violated"), doc_literal(doc, "    "), writer.steps(trace), checks,
                     trace)
    shown = ", ".join(f"{k} = {v}" for k, v in result.witness.items())
    doc = (f"Invariant {name}" + (f": {prop.doc}" if prop.doc else ".")
           + f"\n\nZ3's shortest counterexample: {n} steps; it fails at the last state"
           + (f" with {shown}\n(Z3's witness: the model may show the violation with other values)." if shown else ".")
           + note)
    read = ir.vars_read(prop.expr)
    names = "(" + "".join(str_literal(r) + ", " for r in read).rstrip(" ") + ")"
    checks = [f"_model_shows_violation(last, {str_literal(name)})",
              "if implementation is not None:",
              f"    _implementation_shows_violation(implementation, last, {str_literal(name)}, {names})"]
    return GenTest(writer.test_name(f"test_{name}_is_violated"), doc_literal(doc, "    "), writer.steps(trace), checks,
                 trace)


def refuse_line(action: str, params: dict[str, object], trace: Trace) -> str:
    call = "{" + ", ".join(f"{str_literal(k)}: {plain_literal(v)}" for k, v in params.items()) + "}"
    return f"refuse(model, last, {str_literal(action)}, {call}, implementation, {len(trace) - 1})"


LASSO_REPEATS = 3  # how many times a lasso test drives the loop


def lasso_test(writer: Writer, lv: ir.Liveness, trace: Trace, loop: int, witness: dict[str, object]) -> GenTest:
    """The regression test of a fair lasso: the model shows it (irqspec.runtime.lasso), then the run (the loop taken
    LASSO_REPEATS times) is driven in lockstep on the implementation, which fails the test if it follows it."""
    n = len(trace) - 1
    types = {b.name: b.type for b in lv.binders}
    shown = ", ".join(f"{k} = {format_value(v, types.get(k))}" for k, v in witness.items())
    doc = (f"Liveness {lv.name}" + (f": {lv.doc}" if lv.doc else ".")
           + f"\n\nZ3's shortest fair lasso: {n} steps, the loop from step {loop}"
           + (f", for {shown}" if shown else "") + f". The model follows it and it is fair (every fair action "
           f"taken on the loop or not enabled there); the loop is driven {LASSO_REPEATS} times.")
    lines = writer.steps(trace)
    assert lines[0] == "    steps = ["
    lines[0] = "    lasso = ["
    call = "{" + ", ".join(f"{str_literal(k)}: {value_literal(v, types[k])}" for k, v in witness.items()) + "}"
    checks = [f"_model_shows_lasso(lasso, {loop}, {str_literal(lv.name)}, {call})",
              f"_replay(unroll(lasso, {loop}, {LASSO_REPEATS}), implementation)",
              "if implementation is not None:",
              f"    _implementation_shows_lasso({str_literal(lv.name)}, {call}, {LASSO_REPEATS})"]
    return GenTest(writer.test_name(f"test_{lv.name}_never_arrives"), doc_literal(doc, "    "), lines, checks, trace)
