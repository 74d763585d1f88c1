"""The commands that answer questions about a spec: parse, check, prove, explore."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .. import ir
from .common import (EXIT_INTERRUPTED, EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, OUT, Progress, UsageError, dask_client,
                      emit, interrupted, load_spec, parse_defines, peak_memory_mb, solver_errors, vacuity_warnings, writable,
                      write_itf_file)
from .show import write_html_file


def cmd_parse(args: argparse.Namespace) -> int:
    from ..jsondoc import document
    from ..jsonir import to_data
    from ..summary import summary

    front = load_spec(args)
    if args.json:
        emit(document("parse", front.system, "ok", EXIT_OK, None, ir=to_data(front.system)))
    else:
        OUT.write(summary(front.system))
    return EXIT_OK


def split_properties(system, names: list[str] | None) -> tuple[list[str] | None, list[str] | None]:
    """`--inv` names as (safety properties, liveness properties): None for "every one", [] for "none"."""
    if not names:
        return None, None
    live = {p.name for p in system.liveness}
    safety = [n for n in names if n not in live]
    return (safety or []), [n for n in names if n in live]


def cmd_check(args: argparse.Namespace) -> int:
    from ..jsondoc import document, trace_data, witness_data
    from ..report import explain_violation, format_trace, format_witness
    from ..smt.bmc import CheckResult, check
    from ..smt.liveness import LassoResult, LassoSearch, check_liveness

    writable(args.itf, "--itf")
    writable(args.html, "--html")
    front = load_spec(args)
    system = front.system
    safety, live_names = split_properties(system, args.inv or None)
    live = Progress("check")
    lasso = None
    wanted = bool(system.liveness) and (live_names is None or bool(live_names))
    found: list = []  # the lasso search's answer at the depth where it stopped the safety search
    searches: list = []

    def after_depth(depth: int, clock) -> bool:
        """At each depth the invariants are clean to, the lasso of that many steps (so the shorter counterexample of
        either kind comes first, and a lasso is found without first searching the invariants to --max-depth)."""
        if not wanted or depth < 1:
            return False
        if not searches:
            searches.append(LassoSearch(system, live_names, reduce=not args.no_reduce))
        answer = searches[0].depth(depth, clock)
        if answer is not None:
            found.append(dataclasses.replace(answer, reduction=searches[0].note()))
        return answer is not None

    try:
        if safety == [] and live_names:
            result = CheckResult("holds", args.max_depth, reason="no safety property named")
        else:
            result = solver_errors(system, lambda: check(system, safety, max_depth=args.max_depth,
                                                  timeout=args.timeout, progress=live,
                                                  reduce=not args.no_reduce, after_depth=after_depth,
                                                  deadlock=args.deadlock))
        if found:
            lasso = found[0]
        elif result.status == "holds" and wanted and (not searches or result.reason == "no property to check"):
            lasso = check_liveness(system, live_names, max_depth=args.max_depth, timeout=args.timeout,
                                   progress=live, reduce=not args.no_reduce)
            lasso = dataclasses.replace(lasso, elapsed=result.elapsed + lasso.elapsed)  # one search after the other
        elif result.status == "holds" and wanted:
            lasso = LassoResult("holds", result.depth_reached, reason=f"no fair lasso of up to {result.depth_reached} "
                                "steps violates a liveness property", elapsed=result.elapsed,
                                reduction=searches[0].note())
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: no violation up to depth {live.depth} ({live.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    if lasso is not None:
        return _report_lasso(args, front, result, lasso)
    if result.status == "unknown" and interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted: no violation up to depth {result.depth_reached} "
                         f"({result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    code = {"violated": EXIT_VIOLATED, "holds": EXIT_OK}.get(result.status, EXIT_UNKNOWN)
    if args.itf and result.trace is not None:
        write_itf_file(args.itf, system, result.trace)
    if args.html and result.trace is not None:
        write_html_file(args.html, front, result.trace)
    warnings = vacuity_warnings(system) if result.status == "holds" else []
    if args.json:
        emit(document("check", system, result.status, code, result.elapsed, engine="bmc",
                       depth=result.depth_reached, max_depth=args.max_depth, invariant=result.invariant,
                       witness=witness_data(system, result.invariant, result.witness), reason=result.reason,
                       trace=trace_data(system, result.trace), itf=args.itf if result.trace is not None else None,
                       warnings=warnings, reduction=result.reduction, loop=None))
    elif result.status == "violated":
        assert result.trace is not None
        where = f" for {format_witness(system, result.invariant, result.witness)}" if result.witness else ""
        if result.invariant == ir.DEADLOCK_PROPERTY:
            where = ": no action is enabled in the last state"
        verdict = f"VIOLATED: {result.invariant}{where}, after {result.depth_reached} steps ({result.elapsed:.2f} s)"
        OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
        OUT.write(verdict + "\n")
        for line in explain_violation(system, result.invariant, result.trace.last.state, result.witness,
                                      front.sources):
            OUT.write(f"  {line}\n")
        if args.itf:
            OUT.write(f"trace written to {args.itf} (ITF)\n")
        if args.html:
            OUT.write(f"page written to {args.html} (HTML, as irqspec show writes it)\n")
    elif result.status == "holds":
        OUT.write(f"no violation up to depth {result.depth_reached} ({result.elapsed:.2f} s)\n")
    else:
        OUT.write(f"UNKNOWN after depth {result.depth_reached}: {result.reason}\n")
    if not args.json and result.reduction:
        OUT.write(f"({result.reduction})\n")
    return code


def _report_lasso(args: argparse.Namespace, front, safety, lasso) -> int:
    """check's report once the safety properties held to the depth: the liveness search's verdict."""
    from ..jsondoc import document, trace_data, witness_data
    from ..report import explain_lasso, format_trace, format_witness

    system = front.system
    elapsed = lasso.elapsed  # the whole check: interleaved, the lasso search shares the invariants' clock
    if lasso.status == "unknown" and interrupted(lasso.reason):
        sys.stderr.write(f"irqspec: interrupted: no fair lasso up to {lasso.depth_reached} steps "
                         f"({elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    code = {"violated": EXIT_VIOLATED, "holds": EXIT_OK}.get(lasso.status, EXIT_UNKNOWN)
    if args.itf and lasso.trace is not None:
        write_itf_file(args.itf, system, lasso.trace)
    if args.html and lasso.trace is not None:
        write_html_file(args.html, front, lasso.trace)
    warnings = vacuity_warnings(system) if lasso.status == "holds" else []
    depth = lasso.depth_reached if lasso.status != "holds" else min(safety.depth_reached, lasso.depth_reached)
    if args.json:
        emit(document("check", system, lasso.status, code, elapsed, engine="bmc", depth=depth,
                       max_depth=args.max_depth, invariant=lasso.prop,
                       witness=witness_data(system, lasso.prop, lasso.witness), reason=lasso.reason,
                       trace=trace_data(system, lasso.trace), itf=args.itf if lasso.trace is not None else None,
                       warnings=warnings, reduction=safety.reduction, loop=lasso.loop))
        return code
    if lasso.status == "violated":
        assert lasso.trace is not None and lasso.loop is not None
        steps = len(lasso.trace) - 1
        where = f" for {format_witness(system, lasso.prop, lasso.witness)}" if lasso.witness else ""
        OUT.write(format_trace(system, lasso.trace, full=args.full) + "\n")
        OUT.write(f"VIOLATED: liveness {lasso.prop}{where}: a fair lasso of {steps} steps ({lasso.loop} before the "
                  f"loop, {steps - lasso.loop} in it) ({elapsed:.2f} s)\n")
        for line in explain_lasso(system, lasso.trace, front.sources):
            OUT.write(f"  {line}\n")
        if args.itf:
            OUT.write(f"lasso written to {args.itf} (ITF, with its loop index)\n")
        if args.html:
            OUT.write(f"page written to {args.html} (HTML, as irqspec show writes it)\n")
    elif lasso.status == "holds":
        OUT.write(f"no violation up to depth {safety.depth_reached}, and no fair lasso of up to "
                  f"{lasso.depth_reached} steps violates a liveness property ({elapsed:.2f} s)\n")
    else:
        OUT.write(f"UNKNOWN: safety holds up to depth {safety.depth_reached}; liveness: {lasso.reason} after "
                  f"{lasso.depth_reached} steps\n")
    for note in dict.fromkeys(n for n in (safety.reduction, lasso.reduction) if n):
        OUT.write(f"({note})\n")
    return code


def _cti_data(system, cti) -> dict | None:
    from ..jsondoc import params_data, state_data, witness_data

    if cti is None:
        return None
    return {"broken": cti.broken, "witness": witness_data(system, cti.broken, cti.witness),
            "pre": state_data(system, cti.pre), "action": cti.action,
            "params": params_data(system, cti.action, cti.params or {}),
            "post": None if cti.post is None else state_data(system, cti.post)}


def cmd_prove(args: argparse.Namespace) -> int:
    from ..api import prove_crosschecked
    from ..jsondoc import document, trace_data, witness_data
    from ..report import explain_violation, format_certificate, format_params, format_trace, format_witness

    front = load_spec(args)
    system = front.system
    if args.scheduler and args.engine != "auto":
        raise UsageError("--scheduler runs the portfolio's engines as tasks: it takes --engine auto")
    safety, live_names = split_properties(system, args.inv or None)
    if safety == [] and live_names:
        return _prove_liveness(args, front, live_names)
    live = Progress("prove")
    live.phase = f"engine {args.engine}"
    client = None
    try:
        if args.scheduler:
            client = dask_client(args.scheduler, args.connect_timeout)
            live.phase = f"engine auto, on the Dask scheduler at {args.scheduler}"
        result, cross = solver_errors(system, lambda: prove_crosschecked(
            system, safety, engine=args.engine, timeout=args.timeout, max_k=args.max_k,
            crosscheck=args.crosscheck, progress=live, client=client))
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: no proof or refutation reached ({live.line()})\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
        if client is not None:
            client.close()
    if result.status == "unknown" and interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted ({result.engine}, {result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    if result.status == "proved" and system.liveness and live_names is None:
        return _prove_liveness(args, front, [p.name for p in system.liveness], safety_result=result)
    cert = result.certificate
    code = {"proved": EXIT_OK, "refuted": EXIT_VIOLATED}.get(result.status, EXIT_UNKNOWN)
    warnings = vacuity_warnings(system, cert) if result.status == "proved" else []
    if args.json:
        emit(document("prove", system, result.status, code, result.elapsed, engine=result.engine,
                       invariant=result.invariant, reason=result.reason,
                       witness=witness_data(system, result.invariant,
                                            result.trace.witness if result.trace is not None else {}),
                       trace=trace_data(system, result.trace),
                       certificate=None if cert is None else {"engine": cert.engine, "k": cert.k, "text": cert.text,
                                                               "properties": list(cert.properties)},
                       cti=_cti_data(system, result.cti), warnings=warnings,
                       crosscheck=None if cross is None else {"status": cross.status, "states": cross.states,
                                                               "detail": cross.detail}, loop=None))
        return code
    if result.status == "proved" and result.lemmas:
        written = _inferred_lemmas(args, front, result.lemmas)
    if result.status == "proved":
        vacuous = any(w["kind"] == "vacuous-proof" for w in warnings)
        OUT.write(f"PROVED by {result.engine} ({result.elapsed:.2f} s), unbounded"
                  f"{' (vacuously: nothing can happen)' if vacuous else ''}\n")
        if result.lemmas:
            OUT.write(f"{result.reason}\ninferred lemmas ({written}):\n")
            OUT.write("".join(f"  {line}\n" for lemma in result.lemmas for line in lemma.splitlines()))
        if cert is not None:
            OUT.write(f"certificate ({cert.engine}, k = {cert.k}; re-checked by three independent queries:"
                      f" init => C, C and step => C', C => property):\n")
            OUT.write("\n".join("  " + line for line in format_certificate(cert.text).splitlines()) + "\n")
        if cross is not None:
            OUT.write(f"cross-check against the generated model: {cross.detail}\n")
        return code
    if result.status == "refuted":
        OUT.write(f"REFUTED by {result.engine}: {result.invariant}\n")
        if result.trace is not None:
            OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
            if result.trace.witness:
                OUT.write(f"violated for {format_witness(system, result.invariant, result.trace.witness)}\n")
                for line in explain_violation(system, result.invariant, result.trace.last.state,
                                              result.trace.witness, front.sources):
                    OUT.write(f"  {line}\n")
        return code
    OUT.write(f"UNKNOWN ({result.engine}): {result.reason}\n")
    cti = result.cti
    if cti is not None:
        from ..report import format_state, format_step

        OUT.write(f"counterexample to induction: {cti.broken} breaks"
                  f"{' for ' + format_witness(system, cti.broken, cti.witness) if cti.witness else ''}\n"
                  "  pre-state:\n")
        for line in format_state(system, cti.pre):
            OUT.write(f"    {line}\n")
        if cti.action is not None and cti.post is not None:
            OUT.write(f"  step: {format_params(cti.params, system, cti.action)}\n  changes:\n")
            for line in format_step(system, cti.action, cti.params or {}, cti.pre, cti.post):
                OUT.write(f"    {line}\n")
        OUT.write("  (add a lemma that rules out the pre-state, or try --engine spacer)\n")
    return code


def _inferred_lemmas(args: argparse.Namespace, front, lemmas: tuple[str, ...]) -> str:
    """The inferred lemmas appended to the spec's own text must check as spec source (they are printed to be pasted
    back); written to --write-lemmas FILE when asked. Says where they went."""
    from ..front.frontend import load as load_front
    from ..front.modules import read_source
    from ..infer import INFERRED_DOC

    text = "".join(f"\n--- {INFERRED_DOC}\n{lemma}\n" for lemma in lemmas)
    own = read_source(Path(args.file))
    load_front(Path(args.file), parse_defines(args.define), tuple(Path(p) for p in args.include),
               text=own.rstrip("\n") + "\n" + text)  # a SpecError here is a bug of the printer: let it show
    if args.write_lemmas is None:
        return "paste them at the end of the spec, or keep them with --write-lemmas FILE"
    try:
        args.write_lemmas.write_text(text.lstrip("\n"), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write the lemmas to {args.write_lemmas}: {err.strerror}") from None
    return f"written to {args.write_lemmas}; checked against the spec"


def _prove_liveness(args: argparse.Namespace, front, names: list[str], safety_result=None) -> int:
    """prove on liveness properties: each one's lasso system (generator/l2s.py, docs/liveness.md) proved by the safety
    engines, its certificate re-checked and held against the generated model like any proof; a refutation is read
    back as a fair lasso of the spec."""
    from ..api import prove_crosschecked
    from ..jsondoc import document, trace_data, witness_data
    from ..l2s import INVARIANT as LASSO_INVARIANT
    from ..l2s import lasso_system, to_lasso
    from ..report import explain_lasso, format_certificate, format_trace, format_witness

    system = front.system
    live = Progress("prove")
    outcomes = []
    try:
        for name in names:
            augmented, monitor = lasso_system(system, name)
            live.phase = f"liveness {name}, engine {args.engine} on its lasso system"
            result, cross = prove_crosschecked(augmented, None, engine=args.engine, timeout=args.timeout,
                                               max_k=args.max_k, crosscheck=args.crosscheck, progress=live)
            outcomes.append((name, augmented, monitor, result, cross))
            if result.status != "proved":
                break
    except KeyboardInterrupt:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted: no proof or refutation of the liveness properties reached "
                         f"({live.line()})\n")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    name, augmented, monitor, result, cross = outcomes[-1]
    if result.status == "unknown" and interrupted(result.reason):
        sys.stderr.write(f"irqspec: interrupted ({result.engine}, {result.elapsed:.1f} s)\n")
        return EXIT_INTERRUPTED
    code = {"proved": EXIT_OK, "refuted": EXIT_VIOLATED}.get(result.status, EXIT_UNKNOWN)
    lasso = to_lasso(result.trace, monitor, system) if result.status == "refuted" and result.trace is not None \
        and result.invariant == LASSO_INVARIANT else None
    cert = result.certificate
    elapsed = sum(o[3].elapsed for o in outcomes) + (safety_result.elapsed if safety_result is not None else 0.0)
    if args.json:
        emit(document("prove", system, result.status, code, elapsed, engine=result.engine, invariant=name,
                       reason=result.reason, witness=witness_data(system, name, lasso.witness if lasso else {}),
                       trace=trace_data(system, lasso),
                       certificate=None if cert is None else {"engine": cert.engine, "k": cert.k, "text": cert.text,
                                                               "properties": list(cert.properties)},
                       cti=None, warnings=[],
                       crosscheck=None if cross is None else {"status": cross.status, "states": cross.states,
                                                               "detail": cross.detail},
                       loop=lasso.loop if lasso else None))
        return code
    if safety_result is not None:
        OUT.write(f"PROVED by {safety_result.engine} ({safety_result.elapsed:.2f} s), unbounded: every invariant\n")
    for n, _, _, r, c in outcomes:
        if r.status != "proved":
            break
        OUT.write(f"PROVED liveness {n} by {r.engine} on its lasso system ({r.elapsed:.2f} s), unbounded: no fair "
                  "behaviour violates it (liveness to safety, docs/liveness.md)\n")
        if r.certificate is not None:
            OUT.write(f"certificate ({r.certificate.engine}, k = {r.certificate.k}, over the spec and its "
                      "monitor, re-checked by three independent queries):\n")
            OUT.write("\n".join("  " + line for line in format_certificate(r.certificate.text).splitlines()) + "\n")
        if c is not None:
            OUT.write(f"cross-check against the generated model of the lasso system: {c.detail}\n")
    if result.status == "refuted" and lasso is None:  # the range property, which the lasso system keeps
        OUT.write(f"REFUTED by {result.engine}: {result.invariant} ({result.reason}): a step leaves a range, so the "
                  f"spec's steps are not all defined; `irqspec check` shows the run\n")
    elif result.status == "refuted":
        assert lasso is not None
        steps = len(lasso) - 1
        OUT.write(format_trace(system, lasso, full=args.full) + "\n")
        where = f" for {format_witness(system, name, lasso.witness)}" if lasso.witness else ""
        OUT.write(f"REFUTED by {result.engine}: liveness {name}{where}: a fair lasso of {steps} steps "
                  f"({lasso.loop} before the loop, {steps - lasso.loop} in it)\n")
        for line in explain_lasso(system, lasso, front.sources):
            OUT.write(f"  {line}\n")
    elif result.status == "unknown":
        OUT.write(f"UNKNOWN ({result.engine}): liveness {name}: {result.reason}\n")
    return code


def cmd_explore(args: argparse.Namespace) -> int:
    from ..jsondoc import document, trace_data, witness_data
    from ..pybackend.explore import ExploreInterrupted, explore, symmetry
    from ..report import explain_violation, format_trace, format_witness

    writable(args.itf, "--itf")
    front = load_spec(args)
    system = front.system
    sym = symmetry(system) if args.symmetry else None
    if isinstance(sym, str):
        sys.stderr.write(f"irqspec: explore: no symmetry reduction: {sym}\n")
        sym = None
    live = Progress("explore")
    try:
        limit = args.memory
        result = explore(system, max_states=args.max_states, max_depth=args.max_depth, progress=live.states,
                         should_stop=(lambda: peak_memory_mb() > limit) if limit else None,
                         deadlock=not args.no_deadlock, symmetric=sym)
    except ExploreInterrupted as stop:
        live.clear()
        sys.stderr.write(f"irqspec: interrupted after {stop.states:,} distinct states, depth {stop.depth} "
                         f"({stop.elapsed:.2f} s)\n{_explore_advice(stop.states, live.base_mb)}")
        return EXIT_INTERRUPTED
    finally:
        live.clear()
    lasso = None
    if result.status == "holds" and system.liveness:
        from ..pybackend.liveness import check_liveness

        try:
            lasso = check_liveness(system, max_states=args.max_states,
                                   should_stop=(lambda: peak_memory_mb() > limit) if limit else None)
        except KeyboardInterrupt:
            sys.stderr.write(f"irqspec: interrupted during the liveness search over {result.states:,} states\n")
            return EXIT_INTERRUPTED
        if lasso.status == "violated":
            result = dataclasses.replace(result, status="violated", trace=lasso.trace, invariant=lasso.prop,
                                         witness=lasso.witness, reason=lasso.reason,
                                         elapsed=result.elapsed + lasso.elapsed)
        elif lasso.status == "incomplete":
            result = dataclasses.replace(result, status="incomplete", reason=f"liveness: {lasso.reason}",
                                         elapsed=result.elapsed + lasso.elapsed)
        else:
            result = dataclasses.replace(result, elapsed=result.elapsed + lasso.elapsed)
    loop = lasso.loop if lasso is not None and lasso.status == "violated" else None
    code = {"violated": EXIT_VIOLATED, "holds": EXIT_OK}.get(result.status, EXIT_UNKNOWN)
    if args.itf and result.trace is not None:
        write_itf_file(args.itf, system, result.trace)
    if args.json:
        emit(document("explore", system, result.status, code, result.elapsed, engine="explore",
                       states=result.states, diameter=result.diameter,
                       states_per_second=round(result.states_per_second, 1), invariant=result.invariant,
                       witness=witness_data(system, result.invariant, result.witness), reason=result.reason,
                       trace=trace_data(system, result.trace), itf=args.itf if result.trace is not None else None,
                       loop=loop))
        return code
    if loop is not None:
        from ..report import explain_lasso

        assert result.trace is not None
        steps = len(result.trace) - 1
        OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
        where = f" for {format_witness(system, result.invariant, result.witness)}" if result.witness else ""
        OUT.write(f"VIOLATED: liveness {result.invariant}{where}: a fair lasso of {steps} steps ({loop} before the "
                  f"loop, {steps - loop} in it; {result.states} distinct states, {result.elapsed:.2f} s)\n")
        for line in explain_lasso(system, result.trace, front.sources):
            OUT.write(f"  {line}\n")
        if args.itf:
            OUT.write(f"lasso written to {args.itf} (ITF, with its loop index)\n")
        return code
    rate = f"{result.states_per_second:,.0f} states/s"
    if result.full_states is not None:
        rate += (f"; {result.states} states canonical under permutations of {result.symmetry}, standing for "
                 f"{result.full_states} states")
    if result.status == "violated":
        assert result.trace is not None
        OUT.write(format_trace(system, result.trace, full=args.full) + "\n")
        where = f" for {format_witness(system, result.invariant, result.witness)}" if result.witness else ""
        if result.invariant == ir.DEADLOCK_PROPERTY:
            where = ": no action is enabled in the last state (--no-deadlock if it may stutter there)"
        OUT.write(f"VIOLATED: {result.invariant}{where}, after {len(result.trace) - 1} steps "
                  f"({result.states} distinct states, {result.elapsed:.2f} s, {rate})\n")
        for line in explain_violation(system, result.invariant, result.trace.last.state, result.witness,
                                      front.sources):
            OUT.write(f"  {line}\n")
        if args.itf:
            OUT.write(f"trace written to {args.itf} (ITF)\n")
    elif result.status == "holds":
        fair = "; every liveness property holds" if system.liveness else ""
        OUT.write(f"no violation: {result.states} distinct states, diameter {result.diameter}{fair} "
                  f"({result.elapsed:.2f} s, {rate})\n")
    else:
        OUT.write(f"INCOMPLETE: {result.reason}; no violation in {result.states} distinct states up to depth "
                  f"{result.diameter} ({result.elapsed:.2f} s, {rate})\n")
        sys.stderr.write(_explore_advice(result.states, live.base_mb))
    return code


def _explore_advice(states: int, base_mb: float) -> str:
    """What a search that could not finish would take: the memory per state so far, and how many states the
    machine's free memory holds at that rate (a --max-states that fits, or a smaller -D instance)."""
    if states <= 0:
        return ""
    per_state = max(1.0, (peak_memory_mb() - base_mb) * (1 << 20) / states)
    try:
        with open("/proc/meminfo") as meminfo:
            free_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return f"  about {per_state / 1024:,.1f} KB per state so far\n"
    fits = int(free_kb * 1024 / per_state)
    return (f"  about {per_state / 1024:,.1f} KB per state so far: the {free_kb / (1 << 20):,.1f} GB available hold "
            f"about {fits:,} states; try --max-states {fits // 2} or a smaller instance (-D VECTORS=..., -D NCPU=...)\n")
