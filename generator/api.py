"""The Python API: irqspec from a notebook or a script, with the CLI's defaults and the CLI's result objects.

    import irqspec
    spec = irqspec.load("spec/svm_evtinj.irq", defines={"VECTORS": "32..33"})
    irqspec.check(spec, max_depth=8).status            # "violated" | "holds" | "unknown"
    irqspec.prove("spec/svm_evtinj.irq").status         # "proved" | "refuted" | "unknown"
    irqspec.explore(spec, max_states=10_000).states

Each function takes a spec as a path (read, imports resolved with `include`, constants overridden by `defines` as
after -D) or as the system `load` returned. A spec error raises `SpecError`, whose `render()` is the message the CLI
prints (file, line, column, a caret). The results are the objects the CLI prints: `CheckResult`, `ProofResult`,
`ExploreResult`. A proof is re-checked as `irqspec prove` re-checks it: by fresh solvers, then against the generated
model's reachable states (`crosscheck` seconds); a proof the model contradicts is returned as "unknown", never as
"proved". Nothing here prints, and nothing exits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from irqspec.runtime.trace import Trace

from . import ir
from .crosscheck import CrossCheck
from .pybackend.explore import ExploreResult
from .smt.bmc import CheckResult
from .smt.liveness import LassoResult
from .smt.outcome import ProofResult
from .smt.bmc import Progress

Spec = str | Path | ir.System


def load(path: str | Path, defines: Mapping[str, str] | None = None, include: Iterable[str | Path] = ()) -> ir.System:
    """The checked IR of the spec at `path`; raises SpecError (with the sources, for `render()`) on bad input."""
    from .front.frontend import load as load_front

    return load_front(Path(path), dict(defines or {}), tuple(Path(p) for p in include)).system


def _system(spec: Spec, defines: Mapping[str, str] | None, include: Iterable[str | Path]) -> ir.System:
    if isinstance(spec, ir.System):
        if defines:
            raise ValueError("defines apply to a spec read from a file: pass them to irqspec.load")
        return spec
    return load(spec, defines, include)


def check(spec: Spec, *, defines: Mapping[str, str] | None = None, include: Iterable[str | Path] = (),
          invariants: Iterable[str] | None = None, max_depth: int = 20, timeout: float | None = None) -> CheckResult:
    """The shortest run of at most `max_depth` steps that breaks an invariant (by name; default all) or the range
    property, as `irqspec check` finds it."""
    from .smt.bmc import check as bmc_check

    system = _system(spec, defines, include)
    return bmc_check(system, list(invariants) if invariants is not None else None, max_depth=max_depth,
                     timeout=timeout)


def check_liveness(spec: Spec, *, defines: Mapping[str, str] | None = None, include: Iterable[str | Path] = (),
                   properties: Iterable[str] | None = None, max_depth: int = 20,
                   timeout: float | None = None) -> LassoResult:
    """The shortest fair lasso of at most `max_depth` steps that violates a liveness property (by name; default
    all), as `irqspec check` finds it once the invariants hold: `trace` with its `loop` (docs/liveness.md)."""
    from .smt.liveness import check_liveness as lasso_check

    system = _system(spec, defines, include)
    return lasso_check(system, list(properties) if properties is not None else None, max_depth=max_depth,
                       timeout=timeout)


def prove_liveness(spec: Spec, name: str, *, defines: Mapping[str, str] | None = None,
                   include: Iterable[str | Path] = (), engine: str = "auto", timeout: float | None = None,
                   max_k: int = 10) -> tuple[ProofResult, Trace | None]:
    """An unbounded proof of liveness property `name` through its lasso system (liveness to safety,
    docs/liveness.md), as `irqspec prove --inv NAME` makes it, and the fair lasso of a refutation (else None)."""
    from .l2s import INVARIANT, lasso_system, to_lasso

    system = _system(spec, defines, include)
    augmented, monitor = lasso_system(system, name)
    result, _ = prove_crosschecked(augmented, None, engine=engine, timeout=timeout, max_k=max_k)
    lasso = to_lasso(result.trace, monitor, system) if result.status == "refuted" and result.trace is not None \
        and result.invariant == INVARIANT else None
    return result, lasso


def prove(spec: Spec, *, defines: Mapping[str, str] | None = None, include: Iterable[str | Path] = (),
          invariants: Iterable[str] | None = None, engine: str = "auto", timeout: float | None = None,
          max_k: int = 10, crosscheck: float = 2.0) -> ProofResult:
    """An unbounded proof of the invariants (default all) and the range property, or a refutation, as `irqspec
    prove` gives it; `engine` is "induction", "kind", "spacer", "infer" or "auto"."""
    system = _system(spec, defines, include)
    return prove_crosschecked(system, invariants, engine=engine, timeout=timeout, max_k=max_k,
                              crosscheck=crosscheck)[0]


def prove_crosschecked(system: ir.System, invariants: Iterable[str] | None, *, engine: str = "auto",
                       timeout: float | None = None, max_k: int = 10, crosscheck: float = 2.0,
                       progress: Progress | None = None, client=None) -> tuple[ProofResult, CrossCheck | None]:
    """`prove`, and the cross-check of a proof against the generated model (None when there is no proof or
    `crosscheck` is 0): the CLI's reading, which prints both. With a distributed.Client, the "auto" portfolio's
    engines run as tasks of its cluster (generator/cluster.py); the cross-check runs here."""
    from .crosscheck import crosscheck as hold_against_model
    from .smt.prove import prove as prove_system

    goals = list(invariants) if invariants is not None else None
    if client is not None and engine == "auto":
        from .cluster import prove_on_cluster

        result = prove_on_cluster(system, goals, client, timeout=timeout, max_k=max_k)
    else:
        result = prove_system(system, goals, engine=engine, timeout=timeout, max_k=max_k, progress=progress)
    if result.status != "proved" or crosscheck <= 0:
        return result, None
    cert = result.certificate
    cross = hold_against_model(system, cert, cert.properties if cert is not None else (), seconds=crosscheck)
    if cross.status == "contradicts":  # the two readings of the spec disagree: a bug of irqspec, not a verdict
        result = replace(result, status="unknown", reason=f"the {result.engine} proof passed its Z3 re-check, "
                         f"but {cross.detail}: the Z3 encoding and the generated model disagree (an irqspec "
                         "bug: please report it with this spec)")
    return result, cross


def explore(spec: Spec, *, defines: Mapping[str, str] | None = None, include: Iterable[str | Path] = (),
            max_states: int | None = None, max_depth: int | None = None) -> ExploreResult:
    """Breadth-first search of every reachable state of the generated model, as `irqspec explore` makes it: the
    shortest run to a broken invariant, "holds", or "incomplete" when a limit ends the search first."""
    from .pybackend.explore import explore as explore_system

    return explore_system(_system(spec, defines, include), max_states=max_states, max_depth=max_depth)
