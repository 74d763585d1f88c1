"""`match` over an enum (issue 12, item 4): TLA+'s CASE, checked exhaustive; the three readings agree on it."""

from __future__ import annotations

import pytest
from readings import agree

from irqspec import ir
from irqspec.cli import main
from irqspec.front.diagnostics import SpecError
from irqspec.front.frontend import load_system

SPEC = """module m
type Stage = enum { Idle, Running, Acked, EoiSent }
var stage: 0..1 -> Stage
var n: 0..3
var lost: bool
init {
  stage = [c in 0..1: Idle]
  n = 0
  lost = false
}
--- the handler's next stage
def next_stage(st: Stage): Stage = match st { Idle => Running, Running => Acked, Acked => EoiSent, EoiSent => Idle }
action step(c: 0..1)
  requires match stage[c] { Idle | Running => true, else => n < 3 }
{
  stage'[c] = next_stage(stage[c])
  match stage[c] {
    Acked => { n' = if n < 3 then n + 1 else 0 }
    EoiSent => {
      n' = 0
      lost' = n == 2
    }
    else => { }
  }
}
invariant never_lost: not lost
invariant counted: forall c in 0..1: match stage[c] { Idle => true, Running | Acked | EoiSent => n <= 3 }
cover both_acked: stage[0] == Acked and stage[1] == Acked
"""


def _system(text: str = SPEC) -> ir.System:
    return load_system("m.irq", text=text)


def test_match_is_an_if_chain_over_the_members():
    step = _system().action("step")
    (assign, chain) = step.body
    assert isinstance(chain, ir.If) and isinstance(chain.else_[0], ir.If)  # Acked, then EoiSent, then the rest
    assert chain.branch_id == 0 and chain.else_[0].branch_id == 1
    assert chain.else_[0].else_ == ()  # `else => { }`


def test_three_readings_agree_on_match():
    """Exploration and BMC find the same violation of never_lost (both vCPUs acknowledge, then an EOI), of the same
    shortest length, each trace a run of the other semantics; induction cannot prove what is false."""
    result = agree(_system(), engines=("induction",))
    assert result.status == "violated" and result.invariant == "never_lost"


def test_three_readings_agree_on_a_fixed_match():
    fixed = SPEC.replace("lost' = n == 2", "lost' = false")
    result = agree(_system(fixed), engines=("induction",))
    assert result.status == "holds"


def _error(text: str) -> str:
    with pytest.raises(SpecError) as err:
        _system(text)
    return err.value.render({"m.irq": text})


def _at(text: str, needle: str) -> str:
    """file:line:column of the first `needle` in `text`."""
    before = text[:text.index(needle)]
    return f"m.irq:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


@pytest.mark.parametrize("arms, message, hint, where", [
    ("Idle => Running, Running => Acked", "this match is not exhaustive: no arm for Acked, EoiSent of enum Stage",
     "end with else", "match st"),
    ("Idle => Running, Runing => Acked, else => Idle", "'Runing' is not a member of enum Stage",
     "did you mean 'Running'?", "Runing =>"),
    ("Idle => Running, Idle => Acked, else => Idle", "Idle has two arms in this match", "", "Idle => Acked"),
    ("else => Idle, Idle => Running", "the else arm of a match comes last", "", "else => Idle"),
    ("Idle | Running | Acked | EoiSent => Idle, else => Idle", "this else arm is never taken", "remove it",
     "else => Idle"),
])
def test_match_errors_name_the_arm(arms, message, hint, where):
    text = SPEC.replace("match st { Idle => Running, Running => Acked, Acked => EoiSent, EoiSent => Idle }",
                        f"match st {{ {arms} }}")
    shown = _error(text)
    assert f"{_at(text, where)}: error: {message}" in shown, shown
    assert hint in shown


def test_match_needs_an_enum():
    text = SPEC.replace("requires match stage[c] {", "requires match n {")
    shown = _error(text)
    assert f"{_at(text, 'match n')}: error: match needs an enum value" in shown and "if ... else if" in shown


def test_a_local_may_not_hide_a_member_a_match_names():
    text = SPEC.replace("def next_stage(st: Stage)", "def next_stage(Idle: Stage)").replace("match st {", "match Idle {")
    assert "hides enum member Idle" in _error(text) or "would hide the member" in _error(text)


@pytest.mark.parametrize("decl, what", [("var match: bool", "variable"), ("const then = 1", "constant"),
                                        ("type bits = 0..1", "type")])
def test_a_keyword_cannot_name_a_declaration(decl, what, tmp_path, capsys):
    spec = tmp_path / "k.irq"
    spec.write_text(f"module k\n{decl}\nvar x: 0..1\ninit {{ x = 0 }}\n", encoding="utf-8")
    assert main(["parse", str(spec)]) == 2
    err = capsys.readouterr().err
    name = decl.split()[1].rstrip(":")
    assert "k.irq:2:" in err and f"error: '{name}' is a keyword of irqspec and cannot name a {what}" in err, err


def test_reading_a_keyword_named_variable_says_why(tmp_path, capsys):
    spec = tmp_path / "k.irq"
    spec.write_text("module k\nvar match: 0..3\ninit { match = 0 }\naction a()\n  requires match < 3\n{\n"
                    "  match' = match + 1\n}\n", encoding="utf-8")
    assert main(["check", str(spec)]) == 2
    assert "'match' is a keyword of irqspec: it cannot name a variable" in capsys.readouterr().err


def test_a_variable_named_by_a_type_keyword_gets_no_keyword_hint(tmp_path, capsys):
    """`int` is a keyword only where a type is read, so `var int` is a legitimate variable: an unrelated syntax
    error in its spec is not blamed on the name."""
    spec = tmp_path / "k.irq"
    spec.write_text("module k\nvar int: 0..3\ninit { int = 0 }\naction a() { int' = int + }\n", encoding="utf-8")
    assert main(["check", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "k.irq:4:27: error: unexpected '}'" in err and "keyword" not in err, err


def test_a_word_is_refused_only_where_it_is_read_as_a_keyword():
    """`int` is a keyword only where a type is read: it can name a variable or a local, not a type (the parser's
    own table says where each keyword shadows a name)."""
    system = load_system("k.irq", text="module k\nvar int: 0..3\ninit { int = 0 }\naction a()\n  requires int < 3\n{\n"
                                       "  int' = int + 1\n}\ninvariant i: forall bool_ in 0..1: int >= 0\n")
    assert [v.name for v in system.vars] == ["int"]
    with pytest.raises(SpecError) as err:
        load_system("k.irq", text="module k\ntype int = 0..3\nvar x: 0..1\ninit { x = 0 }\n")
    assert "'int' is a keyword of irqspec and cannot name a type" in str(err.value.render())
    with pytest.raises(SpecError) as err:
        load_system("k.irq", text="module k\nvar x: 0..1\ninit { x = 0 }\ninvariant i: forall let in 0..1: x >= 0\n")
    assert "'let' is a keyword of irqspec and cannot name a local" in str(err.value.render())
