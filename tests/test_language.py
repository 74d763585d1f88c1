"""Every construct of the language parses, checks, and gives the IR it means (docs/language.md is the reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from irqspec import ir
from irqspec.front.frontend import load
from irqspec.ir import BOOL, BitsType, EnumType, IntType, MapType, RecordType
from irqspec.semantics import OPERATORS


def check(tmp_path: Path, text: str, defines: dict[str, str] | None = None, name: str = "spec.irq") -> ir.System:
    return load(tmp_path / name, defines, text=text).system


# A small spec that uses most constructs; tests below read parts of its IR.
SPEC = """\
--- Two vCPUs exchanging IPIs.
module demo
const NCPU: int = 2
const VECTORS = 0x20..0x21   -- -D VECTORS=16..255 for the full space
const LIMIT: 0..10 = 3
type Cpu = 0..NCPU-1
type Mode = enum { Host, Guest }
type Vmcb = record { v_irq: bool, vector: 0..255 }
--- pending vectors
var irr, isr: Cpu -> bits[256]
var mode: Cpu -> Mode   --- where the vCPU runs
var vmcb: Cpu -> Vmcb
var count: 0..LIMIT
ghost var owed: Cpu -> bits[256]
init {
  irr = [c in Cpu: 0]
  isr = [c in Cpu: 0]
  mode = [c in Cpu: Host]
  vmcb = [c in Cpu: {v_irq: false, vector: 0}]
  count = 0
  owed = [c in Cpu: 0]
}
--- vlapic_set_intr_ready
action send(to: Cpu, v: VECTORS)
  requires mode[to] == Guest
  requires count < LIMIT
{
  irr'[to] = irr[to] | bit(v)
  owed'[to][v] = true
  count' = count + 1
}
action vmrun(c: Cpu) {
  let v = highest(irr[c])
  if v != 0 {
    vmcb'[c].v_irq = true
    vmcb'[c].vector = v
  } else {
    vmcb'[c] = {v_irq: false, vector: 0}
  }
  mode'[c] = Guest
}
def deliverable(irr_c: bits[256], isr_c: bits[256]): bool = prio(highest(irr_c)) > prio(highest(isr_c))
--- every IPI owed is pending somewhere
invariant no_lost_ipi: forall c in Cpu, v in VECTORS: owed[c][v] implies irr[c][v] or isr[c][v]
lemma counted: count <= LIMIT
cover both_guests: forall c in Cpu: mode[c] == Guest
"""


@pytest.fixture
def demo(tmp_path: Path) -> ir.System:
    return check(tmp_path, SPEC, name="demo.irq")


# ------------------------------------------------------------------------------------------ module, const, types


def test_module_name_and_doc_come_from_the_header(demo: ir.System) -> None:
    assert demo.module == "demo"
    assert demo.doc == "Two vCPUs exchanging IPIs."


def test_constants_are_substituted_and_kept_for_display(demo: ir.System) -> None:
    consts = {c.name: c.value for c in demo.constants}
    assert consts == {"NCPU": 2, "VECTORS": (0x20, 0x21), "LIMIT": 3}
    assert demo.var("count").type == IntType(0, 3)
    below_limit = demo.action("send").guard.args[1]  # count < LIMIT
    assert below_limit.args[1] == ir.Lit(3, IntType(3, 3))


def test_named_range_type_is_resolved_with_its_constant(demo: ir.System) -> None:
    cpu = demo.var("irr").type.domain
    assert cpu == IntType(0, 1)
    assert cpu.name == "Cpu"


def test_define_override_changes_sizes(tmp_path: Path) -> None:
    system = check(tmp_path, SPEC, {"NCPU": "4"})
    assert system.var("irr").type == MapType(IntType(0, 3), BitsType(256))
    assert ir.state_bits(system.var("irr").type) == 4 * 256
    assert {c.name: c.overridden for c in system.constants}["NCPU"] is True


def test_define_override_of_a_range_constant_changes_parameter_domains(tmp_path: Path) -> None:
    system = check(tmp_path, SPEC, {"VECTORS": "16..255"})
    v = system.action("send").params[1]
    assert v.type == IntType(16, 255)
    assert ir.domain_size(v.type) == 240


def test_define_override_may_be_a_constant_expression(tmp_path: Path) -> None:
    system = check(tmp_path, SPEC, {"NCPU": "1 + 2"})
    assert system.var("mode").type.domain == IntType(0, 2)


def test_range_constant_is_a_type_for_vars_params_quantifiers_and_map_domains(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
const V = 16..19
var last: V
var seen: V -> bool
init { last = 16 seen = [v in V: false] }
action see(v: V) { seen'[v] = true last' = v }
invariant all: forall v in V: seen[v] implies v <= last
""")
    assert system.var("last").type == IntType(16, 19)
    assert system.var("seen").type.domain == IntType(16, 19)
    assert system.action("see").params[0].type == IntType(16, 19)
    quant = system.invariant("all").expr
    assert isinstance(quant, ir.Quant) and quant.domain == IntType(16, 19)


def test_constant_expressions_use_other_constants_and_builtins(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
const A: int = 3
const B: int = A * 4 + (1 << 2)
const C: int = if B > 10 then max(A, B) else 0
const P: int = prio(0x45)
const F: bool = A == 3 and not (B < 0)
var x: 0..C
init { x = P }
""")
    consts = {c.name: c.value for c in system.constants}
    assert consts == {"A": 3, "B": 16, "C": 16, "P": 4, "F": True}
    assert system.var("x").type == IntType(0, 16)


def test_number_literals_in_hex_binary_and_with_underscores(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nconst A: int = 0xff\nconst B: int = 0b1010\nconst C: int = 1_000\n")
    assert [c.value for c in system.constants] == [255, 10, 1000]


def test_bool_range_bits_enum_record_and_map_types(demo: ir.System) -> None:
    assert demo.var("irr").type == MapType(IntType(0, 1), BitsType(256))
    assert demo.var("mode").type.codomain == EnumType("Mode", ("Host", "Guest"))
    assert demo.var("vmcb").type.codomain == RecordType("Vmcb", (("v_irq", BOOL), ("vector", IntType(0, 255))))


def test_nested_map_type_is_right_associative(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar m: 0..1 -> 0..2 -> bool\ninit { m = [i in 0..1: [j in 0..2: false]] }\n")
    assert system.var("m").type == MapType(IntType(0, 1), MapType(IntType(0, 2), BOOL))


def test_map_over_an_enum_domain(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type Reason = enum { Eoi, Icr, Timer, }
var count: Reason -> 0..3
init { count = [r in Reason: 0] }
action exit(r: Reason) requires count[r] < 3 { count'[r] = count[r] + 1 }
""")
    assert system.var("count").type.domain == EnumType("Reason", ("Eoi", "Icr", "Timer"))
    assert system.action("exit").params[0].type.members == ("Eoi", "Icr", "Timer")


def test_bits_width_up_to_large_sizes(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nconst W: int = 512\nvar x: bits[W]\ninit { x = 0 }\n")
    assert system.var("x").type == BitsType(512)


def test_enum_members_are_values(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type State = enum { Idle, Busy }
var s: State
init { s = Idle }
action go() requires s == Idle { s' = Busy }
""")
    assert system.init == (("s", ir.Lit("Idle", EnumType("State", ("Idle", "Busy")))),)
    assign = system.action("go").body[0]
    assert assign.value == ir.Lit("Busy", EnumType("State", ("Idle", "Busy")))


# ------------------------------------------------------------------------------------------------- var and init


def test_var_declares_several_names_of_one_type_with_the_doc(demo: ir.System) -> None:
    irr, isr = demo.var("irr"), demo.var("isr")
    assert irr.type == isr.type
    assert irr.doc == isr.doc == "pending vectors"


def test_ghost_var_is_marked_ghost(demo: ir.System) -> None:
    assert demo.var("owed").ghost is True
    assert demo.var("irr").ghost is False


def test_init_gives_one_value_per_variable_in_declaration_order(demo: ir.System) -> None:
    assert [name for name, _ in demo.init] == [v.name for v in demo.vars]


def test_init_map_comprehension_has_the_variables_type(demo: ir.System) -> None:
    value = dict(demo.init)["irr"]
    assert isinstance(value, ir.MapLit)
    assert value.type == MapType(IntType(0, 1), BitsType(256))
    assert value.body == ir.Lit(0, BitsType(256))  # the literal 0 takes the width of the codomain


def test_init_record_literal_orders_fields_as_declared(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type R = record { a: bool, b: 0..3 }
var r: R
init { r = {b: 2, a: true} }
""")
    value = dict(system.init)["r"]
    assert isinstance(value, ir.RecordLit)
    assert [v.value for v in value.values] == [True, 2]


def test_init_assignments_may_be_split_over_blocks_and_end_with_semicolons(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar x: 0..3\nvar y: bool\ninit { x = 1; }\ninit { y = true; }\n")
    assert dict(system.init) == {"x": ir.Lit(1, IntType(1, 1)), "y": ir.Lit(True, BOOL)}


# --------------------------------------------------------------------------------------------------------- actions


def test_action_parameters_have_finite_domains(demo: ir.System) -> None:
    send = demo.action("send")
    assert [(p.name, p.type) for p in send.params] == [("to", IntType(0, 1)), ("v", IntType(0x20, 0x21))]


def test_several_requires_are_conjoined_into_one_guard(demo: ir.System) -> None:
    guard = demo.action("send").guard
    assert isinstance(guard, ir.Op) and guard.op == "and"
    assert [a.op for a in guard.args] == ["eq", "lt"]


def test_action_without_requires_has_guard_true(demo: ir.System) -> None:
    assert demo.action("vmrun").guard == ir.Lit(True, BOOL)


def test_action_modifies_lists_assigned_vars_in_declaration_order(demo: ir.System) -> None:
    assert demo.action("send").modifies == ("irr", "count", "owed")
    assert demo.action("vmrun").modifies == ("mode", "vmcb")


def test_action_doc_comment_is_attached(demo: ir.System) -> None:
    assert demo.action("send").doc == "vlapic_set_intr_ready"
    assert demo.action("vmrun").doc == ""


def test_map_entry_assignment_has_an_index_path(demo: ir.System) -> None:
    assign = demo.action("send").body[0]
    assert assign.var == "irr"
    assert [type(step) for step in assign.path] == [ir.IndexStep]
    assert assign.target_type == BitsType(256)
    assert assign.value.op == "bvor"
    v = next(p for p in demo.action("send").params if p.name == "v")
    assert assign.value.args[1] == ir.Op("bit", (ir.Local("v", IntType(0x20, 0x21), uid=v.uid),), BitsType(256))


def test_bit_assignment_sets_one_bit_of_a_map_entry(demo: ir.System) -> None:
    assign = demo.action("send").body[1]
    assert assign.var == "owed"
    assert len(assign.path) == 2
    assert assign.target_type == BOOL
    assert assign.value == ir.Lit(True, BOOL)


def test_bit_assignment_on_a_plain_bits_variable(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var flags: bits[8]
init { flags = 0 }
action set(i: 0..7) { flags'[i] = true }
action clear_two() { flags'[0] = false flags'[1] = false }
""")
    i = system.action("set").params[0]
    assert system.action("set").body[0].path == (ir.IndexStep(ir.Local("i", IntType(0, 7), uid=i.uid)),)
    assert len(system.action("clear_two").body) == 2


def test_record_field_assignment_through_a_map(demo: ir.System) -> None:
    branch = demo.action("vmrun").body[1]
    assert isinstance(branch, ir.If)
    first, second = branch.then
    assert [type(s) for s in first.path] == [ir.IndexStep, ir.FieldStep]
    assert first.path[1] == ir.FieldStep("v_irq")
    assert second.path[1] == ir.FieldStep("vector")
    assert second.target_type == IntType(0, 255)


def test_whole_record_assignment_in_else_branch(demo: ir.System) -> None:
    branch = demo.action("vmrun").body[1]
    (assign,) = branch.else_
    assert isinstance(assign.value, ir.RecordLit)
    assert assign.value.type.name == "Vmcb"


def test_nested_map_entry_assignment(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var m: 0..1 -> 0..2 -> bool
init { m = [i in 0..1: [j in 0..2: false]] }
action set(i: 0..1, j: 0..2) { m'[i][j] = true }
""")
    assign = system.action("set").body[0]
    assert len(assign.path) == 2 and assign.target_type == BOOL


def test_several_entries_of_one_map_in_one_action(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var m: 0..3 -> bool
init { m = [i in 0..3: false] }
action two() { m'[0] = true m'[1] = true }
action swap(i: 0..3, j: 0..3) { m'[i] = m[j] m'[j] = m[i] }
""")
    assert system.action("two").modifies == ("m",)
    assert len(system.action("swap").body) == 2  # i == j at run time is allowed: the later assignment wins


def test_let_statement_binds_a_local_for_later_statements(demo: ir.System) -> None:
    let = demo.action("vmrun").body[0]
    assert isinstance(let, ir.LetStmt) and let.name == "v"
    assert let.value.type == IntType(0, 255)  # highest() of bits[256]
    cond = demo.action("vmrun").body[1].cond
    assert cond.args[0] == ir.Local("v", IntType(0, 255), uid=let.uid)  # resolved to the let's binder


def test_if_else_branches_are_numbered_in_source_order(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var x: 0..3
init { x = 0 }
action step(c: 0..3) {
  if c == 0 { x' = 1 }
  else if c == 1 { x' = 2 }
  else { if x == 0 { x' = 3 } }
}
""")
    outer = system.action("step").body[0]
    assert outer.branch_id == 0
    (middle,) = outer.else_
    assert middle.branch_id == 1
    (inner,) = middle.else_
    assert inner.branch_id == 2
    assert system.action("step").modifies == ("x",)


def test_same_location_in_then_and_else_is_allowed(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var x: 0..3 -> bool
init { x = [i in 0..3: false] }
action a(c: 0..3) { if c == 0 { x'[c] = true } else { x'[c] = false } }
""")
    assert system.action("a").modifies == ("x",)


def test_unassigned_variables_are_left_out_of_modifies(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar x: 0..3\nvar y: bool\ninit { x = 0 y = false }\naction noop() { }\n")
    assert system.action("noop").modifies == ()
    assert system.action("noop").body == ()


def test_right_hand_sides_read_the_pre_state(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar x, y: 0..3\ninit { x = 0 y = 1 }\naction swap() { x' = y y' = x }\n")
    first, second = system.action("swap").body
    assert first.value == ir.Var("y", IntType(0, 3))
    assert second.value == ir.Var("x", IntType(0, 3))


def test_action_parameter_of_bool_and_enum_domains(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type E = enum { A, B }
var x: bool
var e: E
init { x = false e = A }
action set(b: bool, v: E) { x' = b e' = v }
""")
    assert [p.type for p in system.action("set").params] == [BOOL, EnumType("E", ("A", "B"))]


# ------------------------------------------------------------------------------------------- integers and ranges


def test_integer_expressions_carry_their_interval(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var t: 0..255
var k: -4..4
init { t = 0 k = 0 }
invariant sums: t + k >= -4 and t - k <= 259 and t * 2 >= 0 and -k <= 4 and t % 16 < 16 and t / 16 <= 15
""")
    conj = system.invariant("sums").expr

    def leaves(e):
        if isinstance(e, ir.Op) and e.op == "and":
            return leaves(e.args[0]) + leaves(e.args[1])
        return [e]

    intervals = [(cmp.args[0].op, cmp.args[0].type) for cmp in leaves(conj)]
    assert intervals == [("add", IntType(-4, 259)), ("sub", IntType(-4, 259)), ("mul", IntType(0, 510)),
                         ("neg", IntType(-4, 4)), ("mod", IntType(0, 15)), ("div", IntType(0, 15))]


def test_assignment_that_may_leave_the_range_is_range_checked(demo: ir.System) -> None:
    count = demo.action("send").body[2]
    assert count.value.type == IntType(1, 4)
    assert count.target_type == IntType(0, 3)
    assert count.range_checked is True


def test_assignment_inside_the_range_is_not_range_checked(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar t: 0..255\ninit { t = 0 }\naction tick() { t' = (t + 1) % 256 }\n")
    assign = system.action("tick").body[0]
    assert assign.value.type == IntType(0, 255)
    assert assign.range_checked is False


def test_map_entry_assignment_from_a_wider_parameter_is_range_checked(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar m: 0..1 -> 0..3\ninit { m = [i in 0..1: 0] }\n"
                   "action put(c: 0..1, v: 0..5) { m'[c] = v }\n")
    assert system.action("put").body[0].range_checked is True


def test_builtin_result_intervals(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var b: bits[64]
var t: 0..255
init { b = 0 t = 0 }
def h(x: bits[64]): 0..63 = highest(x)
def l(x: bits[64]): 0..63 = lowest(x)
def p(x: bits[64]): 0..64 = popcount(x)
def pr(x: 0..255): 0..15 = prio(x)
def lo(x: 0..255): 0..10 = min(x, 10)
def hi(x: 0..255): 10..255 = max(x, 10)
""")
    results = {f.name: f.body.type for f in system.functions}
    assert results == {"h": IntType(0, 63), "l": IntType(0, 63), "p": IntType(0, 64), "pr": IntType(0, 15),
                       "lo": IntType(0, 10), "hi": IntType(10, 255)}


# ------------------------------------------------------------------------------------------------- bit vectors


def test_bit_vector_operators_map_to_bv_rows(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var a, b: bits[8]
init { a = 0 b = 0 }
action ops() {
  a' = (a & b) | (a ^ ~b)
  b' = (a << 1) + (b >> 2) - 1
}
invariant ordered: a < b or a <= b or a > b or a >= b
""")
    first, second = system.action("ops").body
    assert first.value.op == "bvor"
    assert [x.op for x in first.value.args] == ["bvand", "bvxor"]
    assert first.value.args[1].args[1].op == "bvnot"
    assert second.value.op == "bvsub"
    assert [x.op for x in second.value.args[0].args] == ["bvshl", "bvshr"]
    assert second.value.args[1] == ir.Lit(1, BitsType(8))


def test_bit_width_of_literals_and_bit_comes_from_context(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var x: bits[16]
init { x = bit(3) | 1 }
invariant left_literal: 0 == x or bit(2) & x != 0
""")
    init = dict(system.init)["x"]
    assert init.type == BitsType(16)
    assert init.args == (ir.Op("bit", (ir.Lit(3, IntType(3, 3)),), BitsType(16)), ir.Lit(1, BitsType(16)))
    eq = system.invariant("left_literal").expr.args[0]
    assert eq.args[0] == ir.Lit(0, BitsType(16))


def test_if_then_else_branch_takes_its_width_or_record_type_from_the_other_branch(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type R = record { a: bool, b: 0..3 }
var mask: bits[8]
var x: 0..3
var r: R
init { mask = 0 x = 0 r = {a: true, b: 0} }
invariant bits_branch: (if x > 0 then bit(1) else mask) == mask
invariant record_branch: (if x > 0 then {a: false, b: 1} else r) == r
""")
    bits_ite = system.invariant("bits_branch").expr.args[0]
    assert bits_ite.type == BitsType(8) and bits_ite.then.type == BitsType(8)
    record_ite = system.invariant("record_branch").expr.args[0]
    assert isinstance(record_ite.then, ir.RecordLit) and record_ite.type.name == "R"


def test_single_bit_test_is_a_boolean(demo: ir.System) -> None:
    inv = demo.invariant("no_lost_ipi").expr
    body = inv.body.body  # forall c: forall v: ...
    owed = body.args[0]
    assert isinstance(owed, ir.Index) and owed.type == BOOL
    assert owed.base.type == BitsType(256)


def test_bits_comparison_uses_unsigned_operators(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar a: bits[4]\ninit { a = 0 }\ninvariant i: a < 3\n")
    cmp = system.invariant("i").expr
    assert cmp.op == "ult" and cmp.args[1] == ir.Lit(3, BitsType(4))


def test_integer_bitwise_operators_on_nonnegative_ranges(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar v: 0..255\ninit { v = 0 }\ninvariant i: (v & 0xf0) | (v ^ 1) >= 0\n")
    cmp = system.invariant("i").expr
    assert cmp.args[0].op == "bor"
    assert [a.op for a in cmp.args[0].args] == ["band", "bxor"]


# --------------------------------------------------------------------------------------------- expressions, defs


def test_def_is_a_typed_pure_function(demo: ir.System) -> None:
    f = demo.function("deliverable")
    assert [p.type for p in f.params] == [BitsType(256), BitsType(256)]
    assert f.result == BOOL
    assert f.module == "demo"


def test_def_calls_are_typed_with_the_result(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
def double(x: 0..7): 0..14 = x * 2
def quad(x: 0..3): 0..28 = double(x) + double(x)
var y: 0..28
init { y = quad(3) }
""")
    assert [f.name for f in system.functions] == ["double", "quad"]  # callee before caller
    init = dict(system.init)["y"]
    assert isinstance(init, ir.Call) and init.func == "quad" and init.type == IntType(0, 28)


def test_let_in_and_if_then_else_expressions(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
var x: 0..3
init { x = 0 }
invariant i: let y = x + 1 in (if y > 2 then y - 2 else y) <= 2
""")
    let = system.invariant("i").expr
    assert isinstance(let, ir.Let) and let.value.type == IntType(1, 4)
    ite = let.body.args[0]
    assert isinstance(ite, ir.Ite) and ite.type == IntType(-1, 4)


def test_quantifiers_over_ranges_enums_and_bool_nest_one_binder_each(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type E = enum { A, B }
var m: E -> bool
init { m = [e in E: false] }
invariant i: forall e in E, b in bool: exists k in 0..1: m[e] == b or k == 0
""")
    q1 = system.invariant("i").expr
    q2 = q1.body
    q3 = q2.body
    assert (q1.kind, q1.name, q1.domain) == ("forall", "e", EnumType("E", ("A", "B")))
    assert (q2.kind, q2.name, q2.domain) == ("forall", "b", BOOL)
    assert (q3.kind, q3.name, q3.domain) == ("exists", "k", IntType(0, 1))


def test_map_comprehension_body_reads_the_bound_name(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar m: 0..3 -> 0..3\ninit { m = [i in 0..3: 3 - i] }\n")
    comp = dict(system.init)["m"]
    assert comp.name == "i" and comp.body.type == IntType(0, 3)


def test_record_field_read_and_record_equality(tmp_path: Path) -> None:
    system = check(tmp_path, """module m
type R = record { a: bool, b: 0..3 }
var r: R
init { r = {a: true, b: 0} }
invariant fields: r.a and r.b == 0
invariant whole: r == {a: true, b: 0} and {a: true, b: 0} == r
""")
    read = system.invariant("fields").expr.args[0]
    assert isinstance(read, ir.Field) and read.name == "a" and read.type == BOOL
    both = system.invariant("whole").expr
    assert isinstance(both.args[1].args[0], ir.RecordLit)


def test_implies_is_right_associative_and_binds_loosest(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar a, b, c: bool\ninit { a = false b = false c = false }\n"
                   "invariant i: a implies b implies c or a and b\n")
    top = system.invariant("i").expr
    assert top.op == "implies"
    assert top.args[1].op == "implies"
    assert top.args[1].args[1].op == "or"
    assert top.args[1].args[1].args[1].op == "and"


def test_bitwise_operators_bind_tighter_than_comparisons(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar x: bits[8]\ninit { x = 0 }\ninvariant i: x & 1 == 0\n")
    cmp = system.invariant("i").expr
    assert cmp.op == "eq" and cmp.args[0].op == "bvand"


def test_arithmetic_precedence(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\nvar x: 0..3\ninit { x = 0 }\ninvariant i: 1 + x * 2 << 1 == 0 - -x\n")
    cmp = system.invariant("i").expr
    shl = cmp.args[0]
    assert shl.op == "shl" and shl.args[0].op == "add" and shl.args[0].args[1].op == "mul"
    assert cmp.args[1].op == "sub" and cmp.args[1].args[1].op == "neg"


# -------------------------------------------------------------------------------------- properties and comments


def test_invariant_lemma_and_cover_are_kept_apart(demo: ir.System) -> None:
    assert [p.name for p in demo.invariants] == ["no_lost_ipi"]
    assert [p.name for p in demo.lemmas] == ["counted"]
    assert [p.name for p in demo.covers] == ["both_guests"]
    assert demo.invariant("no_lost_ipi").doc == "every IPI owed is pending somewhere"
    assert demo.lemmas[0].kind == "lemma" and demo.covers[0].kind == "cover"


def test_doc_comments_attach_to_the_next_declaration_or_trail_its_first_line(tmp_path: Path) -> None:
    system = check(tmp_path, """--- The module,
--- on two lines.
module m

--- above
var a: bool   --- and trailing
var b: bool --- only trailing
--- separated by a blank line

var c: bool
-- a plain comment is not a doc
var d: bool
-------------------------------- a separator line is a plain comment
var e: bool
init { a = false b = false c = false d = false e = false }
""")
    assert system.doc == "The module,\non two lines."
    assert {v.name: v.doc for v in system.vars} == {"a": "above\nand trailing", "b": "only trailing", "c": "",
                                                   "d": "", "e": ""}


def test_def_doc_comment_is_kept(tmp_path: Path) -> None:
    system = check(tmp_path, "module m\n--- PRIO(v) = v >> 4\ndef p(v: 0..255): 0..15 = prio(v)\n")
    assert system.function("p").doc == "PRIO(v) = v >> 4"


def test_comments_are_ignored_anywhere(tmp_path: Path) -> None:
    system = check(tmp_path, """module m -- header
var x: 0..3 -- state
init { -- start
  x = 0 -- zero
}
action a() { -- body
  x' = 1 --- not a declaration's doc
}
""")
    assert system.action("a").doc == ""
    assert len(system.action("a").body) == 1


# --------------------------------------------------------------------------------------------------------- imports


def test_import_brings_consts_types_and_defs_into_scope(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "lapic.irq").write_text("""module lapic
const NVEC: int = 256
type Vector = 0..NVEC-1
--- PRIO(v)
def prio_class(v: Vector): 0..15 = prio(v)
""")
    system = check(tmp_path, """module main
import lapic
var v: Vector
init { v = 0 }
invariant low: prio_class(v) <= 15
""", name="main.irq")
    assert system.imports == ("lapic",)
    assert system.var("v").type == IntType(0, 255)
    f = system.function("prio_class")
    assert f.module == "lapic" and f.doc == "PRIO(v)"


def test_import_searches_beside_the_file_then_lib_then_include_folders(tmp_path: Path) -> None:
    (tmp_path / "beside.irq").write_text("module beside\nconst A: int = 1\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "inlib.irq").write_text("module inlib\nconst B: int = 2\n")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "included.irq").write_text("module included\nconst C: int = 3\n")
    text = "module main\nimport beside\nimport inlib\nimport included\nvar x: 0..A+B+C\ninit { x = 0 }\n"
    system = load(tmp_path / "main.irq", include=(extra,), text=text).system
    assert system.imports == ("beside", "inlib", "included")
    assert system.var("x").type == IntType(0, 6)


def test_a_module_imported_twice_is_loaded_once(tmp_path: Path) -> None:
    (tmp_path / "base.irq").write_text("module base\nconst N: int = 2\n")
    (tmp_path / "left.irq").write_text("module left\nimport base\ntype L = 0..N\n")
    (tmp_path / "right.irq").write_text("module right\nimport base\ntype R = 0..N+1\n")
    system = check(tmp_path, "module top\nimport left\nimport right\nvar x: L\nvar y: R\ninit { x = 0 y = 0 }\n")
    assert system.imports == ("base", "left", "right")


def test_define_overrides_a_constant_of_an_imported_module(tmp_path: Path) -> None:
    (tmp_path / "sizes.irq").write_text("module sizes\nconst NCPU: int = 2\n")
    system = check(tmp_path, "module m\nimport sizes\nvar x: 0..NCPU-1 -> bool\ninit { x = [c in 0..NCPU-1: false] }\n",
                   {"NCPU": "5"})
    assert system.var("x").type.domain == IntType(0, 4)


def test_spec_file_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "disk.irq"
    path.write_text("module disk\nvar x: bool\ninit { x = true }\n", encoding="utf-8")
    front = load(path)
    assert front.system.module == "disk"
    assert str(path) in front.sources


# -------------------------------------------------------------------------------------------------- the doc itself


def test_language_reference_lists_every_operator() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "language.md").read_text(encoding="utf-8")
    doc = doc.replace("\\|", "|")  # a '|' inside a Markdown table is written '\|'
    for row in OPERATORS.values():
        assert f"`{row.name}`" in doc, row.name
        assert f"`{row.symbol}`" in doc, row.symbol
