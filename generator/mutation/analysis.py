"""`mutation_report`: every mutant of a spec killed by the generated suite, told apart by Z3, or proved equivalent.

For each mutant, in order:
1. the kill check (`killing`): each trace of the suite (`generate_all(...).traces`) replayed in lockstep on the
   mutant's generated model; a failing test kills it (every failing test is listed);
2. otherwise the product of spec and mutant (`product`): plain induction on the agreement first (three queries;
   it proves most equivalent mutants, those equivalent in every state);
3. then BMC on the product: the shortest distinguishing trace up to `bmc_depth`. A mutant the suite does not kill
   but Z3 tells apart *survives*: a gap of the suite, reported with the trace (a test that kills it, when the spec
   can take its last step) and the variables or steps that differ;
4. then the prove engines (`engine`: k-induction and Spacer racing, by default) with `timeout`: proved: equivalent
   (the engine named); refuted: survived, with the engine's trace; neither: unknown, never "equivalent".
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from irqspec.runtime.trace import Step, Trace
from irqspec.runtime.values import RangeViolation

from .. import ir
from ..front.frontend import load
from ..pybackend.loadmodel import load_model
from ..smt import bmc
from ..smt.prove import prove
from ..pybackend.suites import generate_all
from .killing import Refusals, killing_tests, kills, stale_tests
from .operators import DEFAULT_LIMIT, Mutant, Skipped, enumerate_mutants
from .product import Product, build_product, split_state

STATUSES = ("killed", "equivalent", "survived", "unknown")


@dataclass(frozen=True)
class StepDifference:
    """An action instance that one side can take and the other cannot (outcomes: "ok", "disabled", "range": the
    step leaves a declared range, the generated model raises RangeViolation)."""

    action: str
    params: dict[str, object]
    spec: str
    mutant: str


@dataclass(frozen=True)
class Distinction:
    """A run after which the spec and the mutant can be told apart.

    `trace` is over the spec's variables, from the initial state: when the spec can take a step the mutant cannot,
    that step is its last one; when only the mutant can take a step, the test checks at the end that the
    implementation refuses it (`refusals`). `kills` says whether that test fails on the mutant, and
    `replays` that it replays on the spec's own model (Z3's run read back by the Python model: false would be a
    disagreement of the two backends, and then `kills` is false too).
    `state` lists each observed variable whose values differ at the end: (variable, spec's value, mutant's value)."""

    trace: Trace
    property: str  # the agreement property broken (product.VAR_PREFIX / ACTION_PREFIX + name)
    state: tuple[tuple[str, object, object], ...]
    steps: tuple[StepDifference, ...]
    kills: bool
    replays: bool
    found_by: str  # "bmc" or the engine that refuted the equivalence
    refusals: tuple[tuple[str, dict[str, object]], ...] = ()  # a step only the mutant takes: the test checks it


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    status: str  # "killed" | "equivalent" | "survived" | "unknown"
    killed_by: tuple[str, ...] = ()  # every test of the suite that fails on the mutant
    detail: str = ""  # killed: the first test's divergence; equivalent/unknown: the engines' reasons
    distinction: Distinction | None = None  # survived: how Z3 tells it apart
    engine: str = ""  # equivalent: the engine whose proof was re-checked
    seconds: float = 0.0


@dataclass
class MutationReport:
    spec: str
    module: str
    defines: dict[str, str]
    max_depth: int  # of the suite's generation
    bmc_depth: int
    tests: tuple[str, ...]  # the suite's tests ("file::test") the kill check replays
    stale: tuple[str, ...]  # tests left out: their trace does not replay on the spec's own model
    rows: list[MutantResult] = field(default_factory=list)
    skipped: tuple[Skipped, ...] = ()  # edits that did not check
    duplicates: int = 0  # edits equal (in the IR) to the spec or to an earlier mutant
    left_out: int = 0  # mutants beyond the cap
    # tests to add: distinguishing traces (with the steps each checks are refused at its end, `gap_refusals`),
    # each killing the survivors listed in `gap_kills` (the fewest, greedily)
    gap_tests: dict[str, Trace] = field(default_factory=dict)
    gap_refusals: dict[str, tuple[tuple[str, dict[str, object]], ...]] = field(default_factory=dict)
    gap_kills: dict[str, tuple[str, ...]] = field(default_factory=dict)  # gap test -> mutant ids
    suite_seconds: float = 0.0  # generating the suite (0 when given)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        """mutants, killed, equivalent, survived, unknown; and the candidates that gave no mutant."""
        out = {"mutants": len(self.rows), **{s: self.count(s) for s in STATUSES}}
        out.update(skipped=len(self.skipped), duplicates=self.duplicates, left_out=self.left_out)
        return out

    @property
    def refusals(self) -> tuple[str, ...]:
        """The survivors no test Z3's distinguishing run gives can kill (every other survivor is killed by
        `gap_tests`): the run does not replay on the spec's model, or the difference is not observed."""
        return tuple(r.mutant.id for r in self.rows if r.status == "survived" and r.distinction is not None
                     and r.distinction.replays and not r.distinction.kills)

    @property
    def complete(self) -> bool:
        """Every mutant killed by the suite or proved equivalent (the goal: no survivor, nothing unknown)."""
        return self.count("survived") == 0 and self.count("unknown") == 0

    def by_operator(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.rows:
            row = out.setdefault(r.mutant.operator, {"mutants": 0, **{s: 0 for s in STATUSES}})
            row["mutants"] += 1
            row[r.status] += 1
        return out


Progress = Callable[[int, int, MutantResult], None]


def mutation_report(spec_path: str | Path, defines: Mapping[str, str] | None = None, *,
                    include: tuple[Path, ...] = (), max_depth: int = 10, suite: Mapping[str, Trace] | None = None,
                    refusals: Mapping[str, Refusals] | None = None,
                    gen_timeout: float | None = None, operators: Sequence[str] | None = None,
                    limit: int | None = DEFAULT_LIMIT, engine: str = "auto", timeout: float | None = 60.0,
                    bmc_depth: int | None = None, observed: Sequence[str] | None = None,
                    progress: Progress | None = None, kill_mutants: bool = True,
                    spec_proved: bool | None = None) -> MutationReport:
    """Mutate the spec at `spec_path` (checked with `defines`) and hold every mutant against the suite.

    `suite`: {"file::test": trace} and `refusals`: {"file::test": the steps it checks are refused at the end}
    (default: `generate_all(spec_path, defines, ..., max_depth)`'s, the suite `irqspec gen --kill-mutants` writes,
    its mutant tests left out when not `kill_mutants`). `operators`, `limit`: which mutants (see
    `operators.enumerate_mutants`). `engine`: the prove engine after BMC ("auto", "kind", "spacer"; "induction" stops
    after the first proof attempt); `timeout` bounds each solver question in seconds; `bmc_depth` (default
    `max_depth`) the distinguishing runs searched. `observed`: the variables a test compares (default every one, as
    the generated tests do; ghosts included). `progress(done, total, row)` is called after each mutant.
    `spec_proved`: whether induction proves the spec's invariants, when the caller knows (None: found out here)."""
    start = time.monotonic()
    defs = dict(defines or {})
    front = load(spec_path, defs, include)
    system = front.system
    suite_seconds = 0.0
    earlier: dict[str, MutantResult] = {}  # verdicts gen's own analysis reached (its suite lacked the mutant tests)
    if suite is None:
        t = time.monotonic()
        gen = generate_all(Path(spec_path), defs, f"irqspec mutate {spec_path}", max_depth, gen_timeout,
                           include=include, kill_mutants=kill_mutants)
        suite, refusals = gen.traces, gen.refusals
        suite_seconds = time.monotonic() - t
        # the same mutants, distinguishing runs to the same depth: gen's proofs and runs hold for this report too
        if isinstance(gen.mutation, MutationReport) and operators is None and limit == DEFAULT_LIMIT \
                and observed is None and bmc_depth in (None, max_depth):
            earlier = {r.mutant.id: r for r in gen.mutation.rows}
    obs = tuple(observed) if observed is not None else tuple(v.name for v in system.vars)
    spec_model = load_model(system, "irqspec mutate")
    stale = stale_tests(spec_model, suite)
    live = {k: v for k, v in suite.items() if k not in stale}
    found = enumerate_mutants(system, front.sources, defs, include, operators, limit)
    depth = max_depth if bmc_depth is None else bmc_depth
    report = MutationReport(str(spec_path), system.module, defs, max_depth, depth, tuple(live), tuple(stale),
                            skipped=found.skipped, duplicates=found.duplicates, left_out=found.left_out,
                            suite_seconds=suite_seconds)
    # the spec's invariants, when induction proves them, are facts every equivalence proof may use
    proved = spec_proved if spec_proved is not None else \
        prove(system, engine="induction", timeout=timeout).status == "proved"
    for i, m in enumerate(found.mutants):
        row = judge(system, m, spec_model, live, obs, engine, timeout, depth, refusals, assume_invariants=proved,
                    previous=earlier.get(m.id))
        report.rows.append(row)
        if progress is not None:
            progress(i + 1, len(found.mutants), row)
    report.gap_tests, report.gap_refusals, report.gap_kills = gap_tests(spec_model, report.rows, obs)
    report.seconds = time.monotonic() - start
    return report


def judge(system: ir.System, mutant: Mutant, spec_model: ModuleType, suite: Mapping[str, Trace],
          observed: Sequence[str], engine: str = "auto", timeout: float | None = 60.0,
          bmc_depth: int = 10, refusals: Mapping[str, Refusals] | None = None,
          assume_invariants: bool = False, previous: MutantResult | None = None) -> MutantResult:
    """One mutant: killed by `suite` (with the refusals its tests check), or survived with a distinguishing trace,
    or proved equivalent, or unknown. `assume_invariants`: the spec's invariants are proved, and the equivalence
    proofs may use them (product.build_product). `previous`: this mutant's verdict against a smaller suite, with
    distinguishing runs to the same depth: when the suite still does not kill it, a proof of equivalence or a
    distinguishing run found then stands (neither is repeated); an unknown is judged again, with `engine`."""
    start = time.monotonic()
    mutant_model = load_model(mutant.system, "irqspec mutate")
    killed = killing_tests(spec_model, mutant_model, suite, observed, refusals)
    if killed:
        return MutantResult(mutant, "killed", tuple(k.test for k in killed), killed[0].detail,
                            seconds=time.monotonic() - start)
    if previous is not None and previous.status in ("equivalent", "survived"):
        return previous
    product = build_product(system, mutant.system, observed, assume_invariants)
    first = prove(product.system, product.properties, engine="induction", timeout=timeout)
    if first.status == "proved":
        return MutantResult(mutant, "equivalent", detail=first.reason, engine=first.engine,
                            seconds=time.monotonic() - start)
    found = bmc.check(product.system, product.properties, max_depth=bmc_depth, timeout=timeout, ranges=False)
    if found.status == "violated":
        assert found.trace is not None and found.invariant is not None
        d = distinction(product, found.trace, found.invariant, spec_model, mutant_model, "bmc")
        return MutantResult(mutant, "survived", distinction=d, seconds=time.monotonic() - start)
    reasons = [f"induction: {first.reason}",
               f"bmc: {'no difference' if found.status == 'holds' else 'unknown'} within {found.depth_reached} "
               f"steps" + (f" ({found.reason})" if found.status != "holds" else "")]
    if engine != "induction":
        second = prove(product.system, product.properties, engine=engine, timeout=timeout)
        if second.status == "proved":
            return MutantResult(mutant, "equivalent", detail=second.reason, engine=second.engine,
                                seconds=time.monotonic() - start)
        if second.status == "refuted" and second.trace is not None and second.invariant is not None \
                and second.invariant in product.properties:
            d = distinction(product, second.trace, second.invariant, spec_model, mutant_model, second.engine)
            return MutantResult(mutant, "survived", distinction=d, seconds=time.monotonic() - start)
        reasons.append(f"{second.engine}: {second.status}: {second.reason}")
    return MutantResult(mutant, "unknown", detail="; ".join(reasons), seconds=time.monotonic() - start)


def gap_tests(spec_model: ModuleType, rows: Sequence[MutantResult], observed: Sequence[str],
              ) -> tuple[dict[str, Trace], dict[str, tuple[tuple[str, dict[str, object]], ...]],
                         dict[str, tuple[str, ...]]]:
    """The distinguishing tests to add to the suite so that it kills every survivor a test can kill, few of them:
    each survivor's test is held against every survivor, then the test killing the most survivors not yet killed
    is taken, and again (ties: the earlier mutant). Returns the tests' traces (named after the mutant whose test it
    is), the steps each checks are refused at its end, and, for each, every survivor it kills."""
    survivors = [r for r in rows if r.status == "survived" and r.distinction is not None]
    models = {r.mutant.id: load_model(r.mutant.system, "irqspec mutate") for r in survivors}
    own_tests = {r.mutant.id: r.distinction for r in survivors if r.distinction is not None and r.distinction.kills}
    killed = {own: tuple(r.mutant.id for r in survivors
                         if kills(spec_model, models[r.mutant.id], d.trace, observed, d.refusals) is not None)
              for own, d in own_tests.items()}
    left = {i for ids in killed.values() for i in ids}
    tests: dict[str, Trace] = {}
    refusals: dict[str, tuple[tuple[str, dict[str, object]], ...]] = {}
    kills_of: dict[str, tuple[str, ...]] = {}
    while left:
        own = max(killed, key=lambda k: len(left.intersection(killed[k])))  # max keeps the first of equals
        name = f"test_distinguishes_{own}"
        tests[name] = own_tests[own].trace
        if own_tests[own].refusals:
            refusals[name] = own_tests[own].refusals
        kills_of[name] = killed[own]
        left -= set(killed[own])
    return tests, refusals, kills_of


# ---------------------------------------------------------------------------------------------- distinguishing


def _outcome(model: ModuleType, s: object, action: str, args: tuple) -> str:
    info = model.ACTIONS[action]
    if not info.enabled(s, *args):
        return "disabled"
    try:
        info.apply(s, *args)
    except RangeViolation:
        return "range"
    return "ok"


def _instances(model: ModuleType) -> list[tuple[str, tuple[str, ...], tuple]]:
    out = []
    for name, info in model.ACTIONS.items():
        names = tuple(p for p, _ in info.params)
        for args in itertools.product(*[list(d) for _, d in info.params]):
            out.append((name, names, args))
    return out


def distinction(product: Product, trace: Trace, prop: str, spec_model: ModuleType, mutant_model: ModuleType,
                found_by: str) -> Distinction:
    """What tells the two apart at the end of `trace` (a run of the product), read off the two generated models
    (not Z3's model: the Python reading of the spec and of the mutant, a second opinion)."""
    spec_steps = []
    for st in trace.steps:
        spec_state, _ = split_state(product, st.state)
        spec_steps.append(Step(st.action, dict(st.params), spec_state))
    spec_last, mutant_last = split_state(product, trace.steps[-1].state)
    state = tuple((v, spec_last[v], mutant_last[v]) for v in product.observed if spec_last[v] != mutant_last[v])
    s = spec_model.state_from_dict(spec_last)
    m = mutant_model.state_from_dict(mutant_last)
    steps = []
    for action, names, args in _instances(spec_model):
        a, b = _outcome(spec_model, s, action, args), _outcome(mutant_model, m, action, args)
        if a != b:
            steps.append(StepDifference(action, dict(zip(names, args)), a, b))
    refused: tuple[tuple[str, dict[str, object]], ...] = ()
    if not state:
        takes = next((d for d in steps if d.spec == "ok"), None)
        if takes is not None:
            info = spec_model.ACTIONS[takes.action]
            after = info.apply(s, *[takes.params[p] for p, _ in info.params])
            spec_steps.append(Step(takes.action, dict(takes.params), spec_model.state_to_dict(after)))
        else:  # only the mutant takes a step here (its guard is weaker): the test checks that it is refused
            only = next((d for d in steps if d.spec == "disabled"), None)
            if only is not None:
                refused = ((only.action, dict(only.params)),)
    test = Trace(tuple(spec_steps))
    replays = not stale_tests(spec_model, {"distinguishing": test})
    killed = replays and kills(spec_model, mutant_model, test, product.observed, refused) is not None
    return Distinction(test, prop, state, tuple(steps), killed, replays, found_by, refused)


__all__ = ["STATUSES", "Distinction", "MutantResult", "MutationReport", "StepDifference", "distinction",
           "gap_tests", "judge", "mutation_report"]
