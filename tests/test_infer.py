"""prove --engine infer (issue 11, docs/infer.md): candidate lemmas from the spec's vocabulary, filtered by sampled
reachable states, Houdini and a small support with Z3, then an induction proof of the spec with the lemmas.

The three readings of a candidate are held together: its IR (built by generator/infer.py) against the checker's
reading of its printed text, its bit-mask evaluation on sampled states (the filter) against the evaluator's reading
of the IR, and its bit-vector encoding (generator/smt/houdini.py) against the SMT encoder's reading of the IR."""

from __future__ import annotations

import random
import re
import shutil

import pytest
import z3
from spec_paths import SPEC

from irqspec import infer
from irqspec.cli import main
from irqspec.evaluate import evaluate
from irqspec.front.frontend import load_system
from irqspec.pybackend.loadmodel import load_model
from irqspec.smt.context import fresh_context
from irqspec.smt.houdini import clause_formula
from irqspec.smt.prove import prove
from irqspec.smt.system import SymbolicSystem

SMALL = {"VECTORS": "32..33", "TPR_WRITES": "32..33"}
LEMMA = re.compile(r"\n(--- [^\n]*\n)*lemma [^\n]*:\n[^\n]*(\n  [^\n]*)*\n")


def without_lemmas(name: str) -> str:
    text = LEMMA.sub("\n", (SPEC / f"{name}.irq").read_text())
    assert "\nlemma " not in text
    return text


def lemma_free(name: str, defines: dict[str, str] | None = None):
    return load_system(SPEC / f"{name}.irq", dict(defines or {}), text=without_lemmas(name))


def _normal(e: object) -> object:
    """An IR node with binder uids renumbered in order of appearance (the checker's and ours differ)."""
    seen: dict[int, int] = {}

    def walk(x: object) -> object:
        if isinstance(x, tuple):
            return tuple(walk(y) for y in x)
        if not hasattr(x, "__dataclass_fields__") or isinstance(x, infer.ir.Type.__args__):
            return x
        out = []
        for f in x.__dataclass_fields__:
            if f in ("span", "const") or f == "name" and isinstance(x, (infer.ir.Quant, infer.ir.Local)):
                continue
            value = getattr(x, f)
            out.append(seen.setdefault(value, len(seen)) if f == "uid" else walk(value))
        return (type(x).__name__, *out)

    return walk(e)


@pytest.fixture(scope="module")
def evtinj():
    system = lemma_free("svm_evtinj", SMALL)
    model = load_model(system)
    cands, counts = infer.candidates(system, model)
    return system, model, cands, counts


def test_the_printed_candidates_read_back_as_the_same_ir(evtinj):
    system, _, cands, _ = evtinj
    assert len(cands) > 50
    text = without_lemmas("svm_evtinj") + "".join(f"\n{c.lemma_text()}\n" for c in cands)
    checked = {p.name: p.expr for p in load_system(SPEC / "svm_evtinj.irq", SMALL, text=text).lemmas}
    for c in cands:
        assert _normal(checked[c.name]) == _normal(c.expr), c.text


def test_the_sample_filter_reads_clauses_as_the_evaluator_does(evtinj):
    # every clause of the vocabulary (kept or not) on states the filter saw: the bit-set verdict is the evaluator's
    system, model, _, _ = evtinj
    vocab = infer.vocabulary(system)
    every = infer.clauses(vocab)
    states = infer.sample_states(model, bfs_states=300, walks=20, length=40)
    rng = random.Random(1)
    picked = rng.sample(every, 150)
    chosen = rng.sample(states, 60)
    kept = set(infer.filter_clauses(vocab, picked, infer.signatures(vocab, chosen)))
    for k, clause in enumerate(picked):
        cand = infer.candidate(vocab, clause, f"c{k}", infer._UID_BASE + 2 * k)
        truth = all(evaluate(system, cand.expr, model.state_to_dict(s)) for s in chosen)
        assert (clause in kept) == truth, cand.text


def test_the_clause_encoding_is_the_encoders_reading(evtinj):
    system, _, _, _ = evtinj
    vocab = infer.vocabulary(system)
    every = infer.clauses(vocab)
    with fresh_context():
        enc = SymbolicSystem(system)
        s = enc.state("x")
        for k, clause in enumerate(random.Random(2).sample(every, 120)):
            cand = infer.candidate(vocab, clause, f"c{k}", infer._UID_BASE + 2 * k)
            q = z3.Solver()
            q.add(s.valid(), clause_formula(enc, vocab, cand, s) != enc.prop(cand.expr, s))
            assert q.check() == z3.unsat, cand.text


def test_no_tautology_among_the_candidates(evtinj):
    # a clause valid by the leaf's values alone (stage == Idle implies stage != Running) is never offered
    system, _, cands, _ = evtinj
    with fresh_context():
        enc = SymbolicSystem(system)
        s = enc.state("x")
        for c in cands:
            q = z3.Solver()
            q.add(s.valid(), z3.Not(enc.prop(c.expr, s)))
            assert q.check() == z3.sat, f"valid whatever the state: {c.text}"


@pytest.mark.parametrize("name", ["svm_evtinj", "svm_virq_pending"])
def test_infer_proves_the_lemma_free_specs_and_the_lemmas_re_prove(name):
    system = lemma_free(name, SMALL)
    assert not system.lemmas
    result = prove(system, engine="infer", timeout=300)
    assert result.status == "proved" and result.engine == "infer", result.reason
    assert result.lemmas and all(text.startswith("lemma inferred_") for text in result.lemmas)
    pasted = without_lemmas(name) + "".join(f"\n{text}\n" for text in result.lemmas)
    again = prove(load_system(SPEC / f"{name}.irq", SMALL, text=pasted), engine="induction", timeout=120)
    assert again.status == "proved", again.reason
    without_one = [prove(load_system(SPEC / f"{name}.irq", SMALL, text=without_lemmas(name) + "".join(
        f"\n{t}\n" for t in result.lemmas if t != drop)), engine="induction", timeout=120).status
        for drop in result.lemmas]
    assert "proved" not in without_one  # the support is minimal: each lemma is needed


def test_infer_never_proves_a_violated_invariant():
    system = load_system(SPEC / "svm_virq.irq", SMALL)
    result = prove(system, engine="infer", timeout=300)
    assert result.status == "unknown" and result.cti is not None, result.reason
    assert "no candidate blocks" in result.reason


def test_infer_without_a_map_domain_says_why(tmp_path):
    # y never reaches 5 (it equals x, which stops at 3), but x == y is a lemma over no map: not in the templates
    spec = tmp_path / "flat.irq"
    spec.write_text("module flat\nvar x: 0..7\nvar y: 0..7\ninit { x = 0\n y = 0 }\n"
                    "action inc() requires x < 3 { x' = x + 1\n y' = y + 1 }\ninvariant never_five: y != 5\n")
    result = prove(load_system(spec), engine="infer", timeout=60)
    assert result.status == "unknown" and "no map over a named domain" in result.reason
    assert result.cti is not None and result.cti.pre["y"] == 4


def test_infer_with_nothing_to_infer_is_plain_induction(tmp_path):
    spec = tmp_path / "flat.irq"
    spec.write_text("module flat\nvar x: 0..3\nvar y: 0..3\ninit { x = 0\n y = 0 }\n"
                    "action inc() requires x < 3 and y < 3 { x' = x + 1\n y' = y + 1 }\ninvariant same: x == y\n")
    result = prove(load_system(spec), engine="infer", timeout=60)
    assert result.status == "proved" and not result.lemmas and "no lemma needed" in result.reason


def test_cli_infer_prints_and_writes_lemmas_that_check(tmp_path, capsys):
    shutil.copytree(SPEC / "lib", tmp_path / "lib")
    spec = tmp_path / "svm_evtinj.irq"
    spec.write_text(without_lemmas("svm_evtinj"))
    out_file = tmp_path / "lemmas.irq"
    argv = ["prove", str(spec), "--engine", "infer", "--write-lemmas", str(out_file), "--crosscheck", "0"]
    for k, v in SMALL.items():
        argv += ["-D", f"{k}={v}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "PROVED by infer" in out and "inferred lemmas (written to" in out
    written = out_file.read_text()
    assert written.count("lemma inferred_") >= 2
    spec.write_text(without_lemmas("svm_evtinj") + "\n" + written)
    assert main(["prove", str(spec), "--engine", "induction", "--crosscheck", "0",
                 *[x for k, v in SMALL.items() for x in ("-D", f"{k}={v}")]]) == 0


def test_auto_infers_when_the_spec_has_no_lemmas_and_inducts_when_it_has():
    inferred = prove(lemma_free("svm_virq_pending", SMALL), timeout=300)
    assert inferred.status == "proved" and inferred.engine == "infer", inferred.reason
    own = prove(load_system(SPEC / "svm_virq_pending.irq", SMALL), timeout=300)
    assert own.status == "proved" and own.engine == "induction", own.reason


@pytest.mark.slow
@pytest.mark.parametrize("name", ["svm_evtinj", "svm_virq_pending"])
def test_auto_infers_at_full_size(name):
    # the target: 2 vCPUs x 240 vectors, no lemma in the spec (README: the time it takes)
    result = prove(lemma_free(name), timeout=600)
    assert result.status == "proved" and result.engine == "infer", result.reason
