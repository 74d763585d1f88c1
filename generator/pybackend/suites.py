"""IR + Z3 traces -> the pytest suites of a spec: counterexamples, coverage, cover witnesses, properties, conftest.

`generate_all` runs the bounded model checker for every question the suites ask (is an invariant refuted? is each
action, each branch of each `if`, each cover goal reachable?), renders each shortest trace as literal data in a test
that replays it on the generated model (and, when an adapter is selected, in lockstep on an implementation), and
returns the files to write with a report of what Z3 could not reach. It writes nothing: the CLI does.

Traces are written as changes: step 0 is the initial state (`INITIAL`, written once per file), each later step holds
the action, its parameters and the full new value of every variable that changed; `irqspec.runtime.conformance.expand_steps`
turns them into the full expected states that `irqspec.runtime.conformance.replay` compares, so every state is asserted.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from irqspec.runtime.conformance import chains_of
from irqspec.runtime.trace import Trace

from .. import coverage, ir, transition
from ..evaluate import evaluate
from ..front.frontend import load
from ..smt import bmc
from ..smt.goals import has_range_obligations
from ..smt.vacuity import never_holds, never_taken
from ..switches import describe as describe_switch
from ..switches import switched_off
from . import manifest
from .codegen import environment, generate_model, generate_property_tests
from .pyexpr import comment_text, doc_literal, str_literal
from .testtext import GenTest, Writer, counterexample_test, lasso_test, reach_test, refuse_line

PROPERTY_EXAMPLES = 30  # the property test's default size: runs, and steps per run
PROPERTY_STEPS = 20


@dataclass
class GenReport:
    """What the suites hold and what Z3 could not find. `dead` and `unknown` are lines a person reads."""

    module: str
    max_depth: int
    violated: list[str] = field(default_factory=list)  # invariants (or "range") with a counterexample test
    holding: list[str] = field(default_factory=list)  # invariants with no violation within max_depth
    proved: list[str] = field(default_factory=list)  # those of `holding` that induction proved (no search was run)
    dead: list[str] = field(default_factory=list)  # actions, branches, covers not reached within max_depth
    # actions, branches and covers a design switch turns off (constants alone make their condition false:
    # switches.py), each with the constants that do; never listed as dead. `switched_targets`: coverage targets so
    switched: list[str] = field(default_factory=list)
    switched_targets: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # coverage targets in the logic not met (dead or not reached)
    unknown: list[str] = field(default_factory=list)  # questions the solver did not answer (timeout, gave up)
    counts: dict[str, int] = field(default_factory=dict)  # tests per generated file
    # coverage targets per kind (generator/coverage.py): {"decision": {"targets": n, "met": n, "dead": n, ...}}
    targets: dict[str, dict[str, int]] = field(default_factory=dict)
    # tests whose run an implementation with the atomic steps given cannot execute (no run it can execute met them)
    unrealizable: int = 0
    # with kill_mutants: the spec's mutants {"mutants", "killed" (by the other tests), "by_mutant_tests",
    # "equivalent", "unknown"}; empty without
    mutants: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # time spent (not written into any file)

    def count_target(self, kind: str, outcome: str = "targets") -> None:
        row = self.targets.setdefault(kind, {"targets": 0, "met": 0, "dead": 0, "dead, proved": 0, "unknown": 0,
                                             "switched off": 0})
        row[outcome] += 1


@dataclass
class GenResult:
    files: dict[str, str]  # relative file name -> text, in the order to write them
    report: GenReport
    traces: dict[str, Trace] = field(default_factory=dict)  # "file::test" -> the trace the test replays
    # "file::test" -> the steps the test checks are refused at the end of its trace (action, params)
    refusals: dict[str, tuple[tuple[str, dict[str, object]], ...]] = field(default_factory=dict)
    # every question asked and its outcome (generator/pybackend/manifest.py); also written to files[manifest.file_name(...)]
    targets: manifest.Manifest | None = None
    # with kill_mutants: the mutation analysis of the suite without its mutant tests (mutation.MutationReport), whose
    # verdicts `irqspec mutate` reuses for the mutants the mutant tests do not kill
    mutation: object | None = None


def _ifs(stmts: tuple[ir.Stmt, ...]) -> list[ir.If]:
    out: list[ir.If] = []
    for st in stmts:
        if isinstance(st, ir.If):
            out.append(st)
            out += _ifs(st.then) + _ifs(st.else_)
    return sorted(out, key=lambda b: b.branch_id)


# ------------------------------------------------------------------------------------------------------- entry


def _header(spec_label: str, digest: str, command: str) -> dict[str, str]:
    return {"spec_path": comment_text(spec_label), "spec_hash": comment_text(digest), "command": comment_text(command)}


def _unknown(what: str, result: object) -> str:
    return f"{what}: unknown ({getattr(result, 'reason', '')})"


def model_module_name(module: str) -> str:
    """The name of the generated model of spec module `module` (its file is this name + ".py").

    `<module>_model`, unless that would start with `test_` (a module named `test` or `test_*`: pytest would collect
    the model as a test file) or the module name starts with `_`: then an underscore is put in front
    (`test_spec` -> `_test_spec_model`). Injective: only escaped names start with an underscore."""
    name = f"{module}_model"
    return "_" + name if name.startswith(("test_", "_")) else name


def generate_all(spec_path: Path, defines: dict[str, str], command: str, max_depth: int = 20,
                 timeout: float | None = None, include: tuple[Path, ...] = (),
                 property_examples: int = PROPERTY_EXAMPLES, property_steps: int = PROPERTY_STEPS,
                 atomic: tuple[tuple[str, ...], ...] = (), kill_mutants: bool = False) -> GenResult:
    """The files of the suites of `spec_path` ({name relative to the output directory: text}, in order) and a report.

    The generated tests import the model by module name from their own directory, so the files do not depend on
    where they are written; `timeout` bounds each solver question in seconds; `include` holds the folders imports
    are looked for in (as for parse and check); the property test makes `property_examples` random runs of up to
    `property_steps` steps. `atomic`: the atomic steps of the implementation the suites are for (action sequences,
    as an adapter declares them: runtime/conformance.py); every search then asks first for a run such an
    implementation can execute, and only where none exists within the depth for any run (the test says so, and is
    not realizable on that implementation). `kill_mutants`: the spec's mutants (generator/mutation/) are held against
    the suite, and each one it does not kill, that a run tells apart from the spec, gets a test in
    test_<module>_mutants.py (a mutation-adequate suite). Deterministic: the same spec, defines and command give the
    same bytes."""
    start = time.monotonic()
    front = load(spec_path, defines, include)
    system = front.system
    module = system.module
    if not module.isidentifier():
        raise ValueError(f"not a module name: {module!r}")
    digest = hashlib.sha256(Path(spec_path).read_bytes()).hexdigest()
    spec_label = Path(spec_path).as_posix()
    head = _header(spec_label, digest, command)
    model_name = model_module_name(module)
    report = GenReport(module, max_depth)
    env = environment()
    common = dict(head, model_module=model_name, spec_module=str_literal(module), max_depth=max_depth, refusals=False)

    files: dict[str, str] = {f"{model_name}.py": generate_model(system, spec_label, digest, command)}
    record = manifest.Manifest(spec_label, manifest.constants_text(system), max_depth, ["+".join(seq) for seq in atomic],
                               kill_mutants)
    chains = _chains(system, atomic)
    chain_text = ", ".join("+".join(seq) for seq in atomic)

    def prefer(search, reached: str):
        """`search(atomic=...)`, first for runs the implementation's atomic steps allow; a miss searched again
        without them. Returns (result, whether the run found is one such an implementation cannot execute)."""
        result = search(atomic=chains or None)
        if chains and result.status != reached:
            other = search(atomic=None)
            if other.status == reached:
                report.unrealizable += 1
                return other, True
        return result, False

    def unrealizable_note(flag: bool) -> str:
        return (f"\n\nNo run within depth {max_depth} that an implementation with the atomic steps {chain_text} can "
                "execute meets it: on such an implementation this test is not realizable." if flag else "")

    # the spec's inductive invariant, when induction proves it: every invariant it proves needs no bounded search,
    # and every target it rules out is dead for good (one query each instead of a search to max_depth)
    certificate = _certificate(system, timeout)

    def proved_dead(action: str, condition: ir.Expr | None = None) -> bool:
        return certificate is not None and never_taken(system, certificate, action, condition)

    def switch(kind: str, description: str, *conditions: ir.Expr | None, listed: str = "") -> bool:
        """Whether constants alone make one of `conditions` false (a design switch, switches.py): then the target is
        listed (as `listed`, by default its description) and recorded as switched off, naming the constants, and
        needs no search."""
        consts = next((c for c in map(switched_off, conditions) if c), ())
        if not consts:
            return False
        by = describe_switch(system, consts)
        (report.switched if kind in ("action", "branch", "cover") else report.switched_targets).append(
            f"{listed or description}: switched off by {by}")
        record.record(kind, description, f"switched off ({by})")
        return True

    # a) counterexamples
    cex = Writer(system, front.sources)
    tests: list[GenTest] = []
    cex_tests = tests
    notes: list[str] = []
    goals = [(p.name, p) for p in system.invariants]
    if has_range_obligations(system):
        goals.append(("range", None))
    for name, prop in goals:
        if certificate is not None:
            report.holding.append(name)
            report.proved.append(name)
            notes.append(f"{name}: proved (induction with the spec's lemmas): no counterexample at any depth")
            record.record("invariant", name, "holds, proved")
            continue
        result, apart = prefer(lambda atomic: bmc.check(system, [name], max_depth=max_depth, timeout=timeout,
                                                        ranges=name == "range", atomic=atomic), "violated")
        if result.status == "violated":
            assert result.trace is not None
            report.violated.append(name)
            tests.append(counterexample_test(cex, name, prop, result, unrealizable_note(apart)))
            record.record("invariant", name, "violated", tests[-1].name, len(result.trace) - 1)
            notes.append(f"{name}: violated, shortest counterexample {len(result.trace) - 1} steps "
                         f"({tests[-1].name})")
        elif result.status == "holds":
            report.holding.append(name)
            record.record("invariant", name, "holds")
            notes.append(f"{name}: no violation within depth {max_depth} (bounded: not a proof)")
        else:
            report.unknown.append(_unknown(f"invariant {name}", result))
            notes.append(report.unknown[-1])
            record.record("invariant", name, "unknown")
    files[f"test_{module}_counterexamples.py"] = env.get_template("test_counterexamples.py.j2").render(
        common, tests=tests, notes=[comment_text(n) for n in notes], initial=cex.initial_text() if tests else [],
        doc=doc_literal(f"Counterexample tests of {module}: each refuted invariant pinned by its shortest trace, "
                        "replayed step by step on the model (and on an implementation, when one is selected).", ""))
    report.counts[f"test_{module}_counterexamples.py"] = len(tests)
    traces = {f"test_{module}_counterexamples.py::{x.name}": x.trace for x in tests if x.trace is not None}

    # a') liveness: each violated property pinned by its shortest fair lasso
    if system.liveness:
        from ..smt.liveness import check_liveness

        live_writer = Writer(system, front.sources)
        live_tests: list[GenTest] = []
        live_notes: list[str] = []
        for lv in system.liveness:
            found = check_liveness(system, [lv.name], max_depth=max_depth, timeout=timeout)
            if found.status == "violated":
                assert found.trace is not None and found.loop is not None
                live_tests.append(lasso_test(live_writer, lv, found.trace, found.loop, found.witness))
                record.record("liveness", lv.name, "violated", live_tests[-1].name, len(found.trace) - 1)
                live_notes.append(f"{lv.name}: violated, shortest fair lasso {len(found.trace) - 1} steps "
                                  f"({live_tests[-1].name})")
            elif found.status == "holds":
                record.record("liveness", lv.name, "holds")
                live_notes.append(f"{lv.name}: no fair lasso within depth {max_depth} (bounded: not a proof)")
            else:
                report.unknown.append(_unknown(f"liveness {lv.name}", found))
                live_notes.append(report.unknown[-1])
                record.record("liveness", lv.name, "unknown")
        files[f"test_{module}_liveness.py"] = env.get_template("test_liveness.py.j2").render(
            common, tests=live_tests, notes=[comment_text(n) for n in live_notes],
            initial=live_writer.initial_text() if live_tests else [],
            doc=doc_literal(f"Liveness tests of {module}: each violated liveness property pinned by its shortest fair "
                            "lasso, checked on the model and driven round its loop on an implementation, when one is "
                            "selected.", ""))
        report.counts[f"test_{module}_liveness.py"] = len(live_tests)
        traces.update({f"test_{module}_liveness.py::{x.name}": x.trace for x in live_tests if x.trace is not None})

    # b) coverage
    cov = Writer(system, front.sources)
    tests, dead, unknown = [], [], []
    for action in system.actions:
        branches = _ifs(action.body)
        if switch("action", action.name, action.guard, listed=f"action {action.name}"):
            for b in branches:
                for t in (True, False):
                    switch("branch", cov.branch_text(action, b, t), action.guard)
            continue
        if proved_dead(action.name):
            dead.append(f"action {action.name}: dead, proved (no state the spec's inductive invariant allows "
                        "enables it)")
            record.record("action", action.name, "dead, proved")
            for b in branches:
                for t in (True, False):
                    dead.append(cov.branch_text(action, b, t) + ": dead, proved (its action is)")
                    record.record("branch", cov.branch_text(action, b, t), "dead, proved")
            continue
        result, apart = prefer(lambda atomic, a=action.name: bmc.reach_step(system, a, max_depth=max_depth,
                                                                         timeout=timeout, atomic=atomic), "reached")
        if result.status == "reached":
            assert result.trace is not None
            tests.append(reach_test(cov, f"test_{action.name}_is_taken", f"The shortest run whose last step is "
                                     f"{action.name}." + (f"\n\n{action.name}: {action.doc}" if action.doc else "")
                                     + unrealizable_note(apart), result.trace, []))
            record.record("action", action.name, "met", tests[-1].name, len(result.trace) - 1)
        elif result.status == "unreached":
            dead.append(f"action {action.name}: not reached within depth {max_depth}")
            dead += [cov.branch_text(action, b, t) + f": not reached within depth {max_depth} (its action is not)"
                     for b in branches for t in (True, False)]
            record.record("action", action.name, "not reached")
            for b in branches:
                for t in (True, False):
                    record.record("branch", cov.branch_text(action, b, t), "not reached")
            continue
        else:
            unknown.append(_unknown(f"action {action.name}", result))
            record.record("action", action.name, "unknown")
        rel = transition.relation(system, action)
        paths = {b: (then, other) for b, then, other in rel.branch_paths}
        for b in branches:
            if b.branch_id not in paths:
                continue
            for taken in (True, False):
                what = cov.branch_text(action, b, taken)
                if switch("branch", what, paths[b.branch_id][0 if taken else 1]):
                    continue
                if proved_dead(action.name, paths[b.branch_id][0 if taken else 1]):
                    dead.append(f"{what}: dead, proved (no state the spec's inductive invariant allows takes it)")
                    record.record("branch", what, "dead, proved")
                    continue
                r, apart = prefer(lambda atomic, a=action.name, b=b.branch_id, taken=taken: bmc.reach_branch(
                    system, a, b, taken, max_depth=max_depth, timeout=timeout, atomic=atomic), "reached")
                if r.status == "reached":
                    assert r.trace is not None
                    side = "then" if taken else "else"
                    tests.append(reach_test(cov, f"test_{action.name}_if{b.branch_id}_{side}",
                                             f"The shortest run whose last step takes {what}." + unrealizable_note(apart),
                                             r.trace, []))
                    record.record("branch", what, "met", tests[-1].name, len(r.trace) - 1)
                elif r.status == "unreached":
                    dead.append(f"{what}: not reached within depth {max_depth}")
                    record.record("branch", what, "not reached")
                else:
                    unknown.append(_unknown(what, r))
                    record.record("branch", what, "unknown")
    # the targets inside the logic (generator/coverage.py): met by a trace the suite already has, else by a new
    # shortest run, else dead within the depth (and, where the prove engines can show it, dead for good)
    missed: list[str] = []
    searched: list[coverage.Target] = []
    uses_refuse = False
    for target in coverage.targets(system, cov.source_line, cov.source_text):
        if target.kind in ("action", "branch"):
            continue  # asked above, one test each
        report.count_target(target.kind)
        if switch(target.kind, target.description, target.condition, target.previous_condition,
                  system.action(target.action).guard if target.kind != "refusal" else None,
                  system.action(target.previous).guard if target.previous else None):
            report.count_target(target.kind, "switched off")
            continue
        refusal = target.kind == "refusal"
        meeting = None if refusal else _met_by(system, target, [(x.name, x.trace) for x in cex_tests + tests
                                                                if x.trace is not None])
        if meeting is not None:
            report.count_target(target.kind, "met")
            length = next(len(x.trace) - 1 for x in cex_tests + tests if x.name == meeting and x.trace is not None)
            record.record(target.kind, target.description, "met", meeting, length)
        elif certificate is not None and target.previous_condition is None and never_taken(
                system, certificate, target.action, target.condition, previous=target.previous, guard=not refusal):
            missed.append(f"{target.description}: dead, proved (no state the spec's inductive invariant allows "
                          + ("has it)" if refusal else "enables it)"))
            report.count_target(target.kind, "dead, proved")
            record.record(target.kind, target.description, "dead, proved")
        else:
            searched.append(target)
    # the rest in one search: each run Z3 finds meets every target it can (a shortest run for each), and the targets
    # no run of max_depth steps meets cost one query per depth together
    def also_met(trace: Trace, open_goals: set[int]) -> set[int]:
        return {i for i in open_goals if _met_by(system, searched[i], [("", trace)]) is not None}

    step_goals = [bmc.StepGoal(x.action, x.condition, x.previous, x.previous_condition, refusal=x.kind == "refusal")
                  for x in searched]
    runs, never, why = bmc.reach_all(system, step_goals, max_depth=max_depth, timeout=timeout, also_met=also_met,
                                     atomic=chains or None)
    runs = [(trace, met, refused, False) for trace, met, refused in runs]
    if chains and never and not why:
        # the targets no run the implementation can execute meets: searched again among every run of the spec
        rest = sorted(never)
        more, left, why = bmc.reach_all(system, [step_goals[i] for i in rest], max_depth=max_depth,
                                        timeout=timeout, also_met=lambda tr, goals: {
                                            rest.index(i) for i in also_met(tr, {rest[j] for j in goals})})
        runs += [(trace, tuple(rest[j] for j in met), {rest[j]: ps for j, ps in refused.items()}, True)
                 for trace, met, refused in more]
        report.unrealizable += len(more)
        never = {rest[j] for j in left}
    for trace, met, refused, apart in runs:
        first = searched[met[0]]
        listed = "\n".join(f"- {searched[i].kind}: {searched[i].description}" for i in met)
        checks, refused_steps = [], []
        for i, params in refused.items():
            if (searched[i].action, params) in refused_steps:
                continue
            refused_steps.append((searched[i].action, params))
            checks.append(refuse_line(searched[i].action, params, trace))
        ending = ("; at its end the implementation must refuse each step the spec does not enable there"
                  if checks else "")
        tests.append(reach_test(cov, first.name, f"Coverage targets met by this run ({len(trace) - 1} steps, the "
                                 f"shortest for each{ending}):\n{listed}" + unrealizable_note(apart), trace, checks))
        tests[-1].refusals = tuple(refused_steps)
        uses_refuse = uses_refuse or bool(checks)
        for i in met:
            report.count_target(searched[i].kind, "met")
            record.record(searched[i].kind, searched[i].description, "met", tests[-1].name, len(trace) - 1)
    for i in sorted(never):
        target = searched[i]
        if why:
            unknown.append(f"{target.description}: unknown ({why})")
            report.count_target(target.kind, "unknown")
            record.record(target.kind, target.description, "unknown")
        else:
            missed.append(f"{target.description}: not reached within depth {max_depth}")
            report.count_target(target.kind, "dead")
            record.record(target.kind, target.description, "not reached")
    report.dead += dead
    report.missed += missed
    report.unknown += unknown
    files[f"test_{module}_coverage.py"] = env.get_template("test_coverage.py.j2").render(
        common, tests=tests, dead=[comment_text(d) for d in dead], unknown=[comment_text(u) for u in unknown],
        missed=[comment_text(m) for m in missed], refusals=uses_refuse,
        switched=[comment_text(x) for x in report.switched if not x.startswith("cover ")]
        + [comment_text(x) for x in report.switched_targets],
        targets=[comment_text(f"{kind}: {row['targets']} targets, {row['met']} met, {row['dead, proved']} dead "
                              f"(proved), {row['dead']} not reached within depth {max_depth}, {row['unknown']} unknown"
                              + (f", {row['switched off']} switched off" if row["switched off"] else ""))
                 for kind, row in report.targets.items()],
        initial=cov.initial_text() if tests else [],
        doc=doc_literal(f"Coverage tests of {module}: for every action and both sides of every `if` in an action, "
                        "the shortest run found by Z3 that takes it, replayed and asserted state by state.", ""))
    report.counts[f"test_{module}_coverage.py"] = len(tests)
    traces.update({f"test_{module}_coverage.py::{x.name}": x.trace for x in tests if x.trace is not None})
    refusals = {f"test_{module}_coverage.py::{x.name}": x.refusals for x in tests if x.refusals}

    # c) cover witnesses
    wit = Writer(system, front.sources)
    tests, dead, unknown = [], [], []
    for cover in system.covers:
        if switch("cover", cover.name, cover.expr, listed=f"cover {cover.name}"):
            continue
        if certificate is not None and never_holds(system, certificate, cover.expr):
            dead.append(f"cover {cover.name}: dead, proved (no state the spec's inductive invariant allows has it)")
            record.record("cover", cover.name, "dead, proved")
            continue
        r, apart = prefer(lambda atomic, c=cover.name: bmc.reach(system, c, max_depth=max_depth, timeout=timeout,
                                                                atomic=atomic), "reached")
        if r.status == "reached":
            assert r.trace is not None
            tests.append(reach_test(wit, f"test_{cover.name}_is_reached",
                                     f"Cover goal {cover.name}" + (f": {cover.doc}" if cover.doc else ".")
                                     + f"\n\nThe shortest run that reaches it ({len(r.trace) - 1} steps)."
                                     + unrealizable_note(apart), r.trace,
                                     [f"assert {str_literal(cover.name)} in model.check_covers(last), (",
                                      f"    {str_literal(f'cover goal {cover.name} does not hold at the end')})"]))
            record.record("cover", cover.name, "met", tests[-1].name, len(r.trace) - 1)
        elif r.status == "unreached":
            dead.append(f"cover {cover.name}: not reached within depth {max_depth}")
            record.record("cover", cover.name, "not reached")
        else:
            unknown.append(_unknown(f"cover {cover.name}", r))
            record.record("cover", cover.name, "unknown")
    report.dead += dead
    report.unknown += unknown
    files[f"test_{module}_witnesses.py"] = env.get_template("test_witnesses.py.j2").render(
        common, tests=tests, dead=[comment_text(d) for d in dead], unknown=[comment_text(u) for u in unknown],
        switched=[comment_text(x) for x in report.switched if x.startswith("cover ")],
        initial=wit.initial_text() if tests else [],
        doc=doc_literal(f"Witness tests of {module}: for every `cover` goal of the spec, the shortest run that "
                        "reaches it, replayed state by state.", ""))
    report.counts[f"test_{module}_witnesses.py"] = len(tests)
    traces.update({f"test_{module}_witnesses.py::{x.name}": x.trace for x in tests if x.trace is not None})

    # d) the spec's mutants the tests above do not kill, each killed by a run that tells it apart
    if kill_mutants:
        mutant_tests = _mutants_file(spec_path, defines, include, max_depth, timeout, system, front.sources, traces,
                                     refusals, report, record, certificate is not None)
        files[f"test_{module}_mutants.py"] = env.get_template("test_mutants.py.j2").render(
            common, refusals=any(t.checks for t in mutant_tests.tests), tests=mutant_tests.tests,
            summary=[comment_text(x) for x in mutant_tests.summary],
            unknown=[comment_text(x) for x in mutant_tests.unknown], initial=mutant_tests.initial,
            doc=doc_literal(f"Mutant tests of {module}: for each mutant of the spec that the other tests do not "
                            "kill, the shortest run Z3 finds that tells it apart from the spec, replayed state by "
                            "state (an implementation with that slip fails it).", ""))
        report.counts[f"test_{module}_mutants.py"] = len(mutant_tests.tests)
        traces.update({f"test_{module}_mutants.py::{x.name}": x.trace for x in mutant_tests.tests if x.trace})
        refusals.update({f"test_{module}_mutants.py::{x.name}": x.refusals for x in mutant_tests.tests if x.refusals})

    # e) properties
    # the random runs check the invariants and, through RangeViolation, the range property: either refuted by Z3
    # makes their failure expected
    expect = None
    if report.violated:
        what = ", ".join(("the range property" if n == "range" else f"invariant {n}") for n in report.violated)
        expect = f"{what} refuted by Z3; see test_{module}_counterexamples.py"
        if system.actions:
            expect += f". Random runs may or may not find it in {property_examples} examples"
    files[f"test_{module}_properties.py"] = generate_property_tests(
        system, model_name, spec_label, digest, command, max_examples=property_examples, step_count=property_steps,
        expect_failure=expect)
    report.counts[f"test_{module}_properties.py"] = 1

    files["conftest.py"] = env.get_template("conftest.py.j2").render()
    files[manifest.file_name(module)] = record.text(digest, command)
    report.seconds = time.monotonic() - start
    return GenResult(files, report, traces, refusals, record, mutant_tests.report if kill_mutants else None)


class _MutantTests(NamedTuple):
    tests: list[GenTest]
    summary: list[str]  # the header lines of test_<module>_mutants.py
    unknown: list[str]  # mutants neither told apart within the depth nor proved equivalent
    initial: list[str]  # the INITIAL lines, when there are tests
    report: object  # the mutation.MutationReport


def _mutants_file(spec_path: Path, defines: dict[str, str], include: tuple[Path, ...], max_depth: int,
                  timeout: float | None, system: ir.System, sources: dict[str, str], traces: dict[str, Trace],
                  refusals: dict[str, tuple[tuple[str, dict[str, object]], ...]], report: GenReport,
                  record: manifest.Manifest, proved: bool) -> _MutantTests:
    """The tests that kill the spec's mutants the suite so far does not (generator/mutation/: each mutant held
    against every test, proved equivalent by induction on the product of spec and mutant, or told apart by the
    shortest run BMC finds on it, to `max_depth`); the fewest such runs that kill them all. Returns the tests, the
    summary lines, the lines of mutants neither told apart nor proved equivalent, the initial-state lines, and the
    mutation report (a _MutantTests)."""
    from ..mutation.analysis import mutation_report

    rep = mutation_report(spec_path, defines, include=include, max_depth=max_depth, suite=traces, refusals=refusals,
                          engine="induction", timeout=timeout or 60.0, spec_proved=proved)
    by_test = {test: [r for r in rep.rows if r.mutant.id in ids] for test, ids in rep.gap_kills.items()}
    added = {r.mutant.id: test for test, rows in by_test.items() for r in rows}
    writer = Writer(system, sources)
    tests = []
    for name, trace in rep.gap_tests.items():
        rows = by_test[name]
        listed = "\n".join(f"- {r.mutant.id}: {r.mutant.description}" for r in rows)
        own = next(r for r in rows if name == f"test_distinguishes_{r.mutant.id}")
        assert own.distinction is not None
        differ = ", ".join(v for v, _, _ in own.distinction.state) or "which steps it can take"
        checks = [refuse_line(a, dict(ps), trace) for a, ps in rep.gap_refusals.get(name, ())]
        doc = (f"Kills the spec mutants below, which the other tests do not: the shortest run that tells "
               f"{own.mutant.id} apart ({len(trace) - 1} steps; at its end they differ in {differ})"
               + ("; at its end the implementation must refuse the step only the mutant takes" if checks else "")
               + f".\n{listed}")
        tests.append(reach_test(writer, name, doc, trace, checks))
        tests[-1].refusals = tuple(rep.gap_refusals.get(name, ()))
    unknown = []
    for r in rep.rows:
        key = r.mutant.description
        if r.status == "killed":
            test = r.killed_by[0]
            record.record("mutant", key, "met", test.split("::")[-1], len(traces[test].steps) - 1)
        elif r.mutant.id in added:
            test = added[r.mutant.id]
            record.record("mutant", key, "met", test, len(rep.gap_tests[test].steps) - 1)
        elif r.status == "equivalent":
            record.record("mutant", key, "equivalent, proved")
        else:
            record.record("mutant", key, "unknown")
            why = ("told apart by a run, but no test made of it kills it" if r.status == "survived" else r.detail)
            unknown.append(f"{r.mutant.id}: {key}: {why}")
    counts = rep.counts
    report.mutants = {"mutants": counts["mutants"], "killed": counts["killed"], "by_mutant_tests": len(added),
                      "equivalent": counts["equivalent"], "unknown": counts["mutants"] - counts["killed"]
                      - len(added) - counts["equivalent"]}
    summary = [f"{counts['mutants']} mutants ({counts['skipped']} edits did not check, {counts['duplicates']} "
               f"duplicates, {counts['left_out']} beyond the limit): {counts['killed']} killed by the other tests, "
               f"{len(added)} by the tests below, {counts['equivalent']} proved equivalent (induction on the product "
               f"of spec and mutant), {report.mutants['unknown']} neither"]
    return _MutantTests(tests, summary, unknown, writer.initial_text() if tests else [], rep)


def _met_by(system: ir.System, target: coverage.Target, traces: list[tuple[str, Trace]]) -> str | None:
    """The first test whose trace meets `target`: a step of the target's action (after one of `previous`, for a
    pair) taken where the target's condition holds, evaluated on the recorded pre-state and parameters."""
    action = system.action(target.action)
    for name, trace in traces:
        steps = trace.steps
        for i in range(1, len(steps)):
            if steps[i].action != target.action:
                continue
            if target.previous is not None:
                if i < 2 or steps[i - 1].action != target.previous:
                    continue
                if target.previous_condition is not None:
                    first = system.action(target.previous)
                    before = {p.uid: steps[i - 1].params[p.name] for p in first.params}
                    if not evaluate(system, target.previous_condition, steps[i - 2].state, before):
                        continue
            if target.condition is None:
                return name
            env = {p.uid: steps[i].params[p.name] for p in action.params}
            if evaluate(system, target.condition, steps[i - 1].state, env):
                return name
    return None


def _certificate(system: ir.System, timeout: float | None):
    """An inductive invariant of the spec, when induction proves it with the spec's lemmas: it holds in every
    reachable state, so a coverage target it rules out is dead for good (one query, no search). None otherwise."""
    from ..smt.prove import prove

    result = prove(system, engine="induction", timeout=min(timeout or 30.0, 30.0))
    return result.certificate if result.status == "proved" else None


class AtomicStepError(ValueError):
    """An atomic step that does not fit the spec (unknown action, a follower with a parameter the first lacks)."""


def _chains(system: ir.System, atomic: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    """Atomic steps as {first action: followers}, checked against the spec by the rule adapters are checked with
    (irqspec.runtime.conformance.chains_of); an AtomicStepError names what is wrong."""
    try:
        return chains_of(atomic, {a.name: [p.name for p in a.params] for a in system.actions})
    except ValueError as err:
        raise AtomicStepError(str(err)) from None

__all__ = ["AtomicStepError", "GenReport", "GenResult", "generate_all", "model_module_name"]
