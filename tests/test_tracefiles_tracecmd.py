"""The reader of KVM tracepoints as trace-cmd report and perf script print them (generator/tracefiles/tracecmd.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irqspec.tracefiles import Record, TraceFileError
from irqspec.tracefiles.tracecmd import PARSED_TRACEPOINTS, read_tracecmd, read_tracecmd_file
from spec_paths import ROOT

SAMPLES = ROOT / "examples" / "kvm"
RIP = 0xFFFFFFFF8106F9A4

# (tracepoint, payload as the kernel or libtraceevent prints it, the fields it must give)
PAYLOADS = [
    ("kvm_entry", "vcpu 0, rip 0xffffffff8106f9a4", {"vcpu": 0, "rip": RIP, "immediate_exit": False}),
    ("kvm_entry", "vcpu 3, rip 0xffffffff8106f9a4[immediate exit]", {"vcpu": 3, "rip": RIP, "immediate_exit": True}),
    ("kvm_entry", "vcpu 2", {"vcpu": 2}),
    ("kvm_entry", "vcpu 1 rip 0xffffffff8106f9a4", {"vcpu": 1, "rip": RIP}),
    ("kvm_entry", "vcpu 1 rip 0xffffffff8106f9a4 native_safe_halt+0xe",
     {"vcpu": 1, "rip": RIP, "rip_function": "native_safe_halt+0xe"}),
    ("kvm_exit", ("vcpu 0 reason msr rip 0xffffffff8106f9a4 info1 0x0000000000000001 info2 0x0000000000000000 "
                 "intr_info 0x00000000 error_code 0x00000000"),
     {"vcpu": 0, "reason": "msr", "failed_vmentry": False, "rip": RIP, "info1": 1, "info2": 0, "intr_info": 0,
      "error_code": 0}),
    ("kvm_exit", ("vcpu 1 reason EXTERNAL_INTERRUPT rip 0x1000 info1 0x0000000000000000 info2 0x0000000000000000 "
                 "intr_info 0x800000ec error_code 0x00000000"),
     {"vcpu": 1, "reason": "EXTERNAL_INTERRUPT", "rip": 0x1000, "intr_info": 0x800000EC}),
    ("kvm_exit", ("vcpu 1 reason INVALID_STATE FAILED_VMENTRY rip 0x1000 info1 0x0000000000000000 "
                 "info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000"),
     {"reason": "INVALID_STATE", "failed_vmentry": True}),
    ("kvm_exit", ("vcpu 1 reason DE excp rip 0x1000 info1 0x0000000000000000 info2 0x0000000000000000 "
                 "intr_info 0x00000000 error_code 0x00000000"), {"reason": "DE excp"}),
    ("kvm_exit", "vcpu 2 reason vintr rip 0x1000 info 0 0", {"vcpu": 2, "reason": "vintr", "info1": 0, "info2": 0}),
    ("kvm_exit", "reason HLT rip 0xffffffff8106f9a4 info 0 0", {"reason": "HLT", "rip": RIP, "info1": 0, "info2": 0}),
    ("kvm_exit", "reason EXIT_MSR rip 0x1000 native_write_msr+0x4 info 1 0",
     {"reason": "EXIT_MSR", "rip_function": "native_write_msr+0x4", "info1": 1}),
    ("kvm_exit", "reason UNKNOWN (2147483681) rip 0x1000 info 0 0", {"reason": "UNKNOWN (2147483681)"}),
    ("kvm_inj_virq", "IRQ 0x30", {"vector": 0x30, "soft": False, "reinjected": False}),
    ("kvm_inj_virq", "Soft/INTn 0x80 [reinjected]", {"vector": 0x80, "soft": True, "reinjected": True}),
    ("kvm_inj_virq", "irq 239", {"vector": 239}),
    ("kvm_apic_ipi", "dst 1 vec 48 (Fixed|physical|assert|edge|dst)",
     {"dest": 1, "vector": 48, "delivery_mode": "Fixed", "dest_mode": "physical", "level": "assert",
      "trigger": "edge", "shorthand": "dst"}),
    ("kvm_apic_ipi", "dst ff vec 0 (INIT|logical|de-assert|level|all-but-self)",
     {"dest": 0xFF, "vector": 0, "delivery_mode": "INIT", "dest_mode": "logical", "level": "de-assert",
      "trigger": "level", "shorthand": "all-but-self"}),
    ("kvm_apic_accept_irq", "apicid 1 vec 48 (Fixed|edge)",
     {"apicid": 1, "vector": 48, "delivery_mode": "Fixed", "trigger": "edge", "coalesced": False}),
    ("kvm_apic_accept_irq", "apicid a vec 236 (LowPrio|level) (coalesced)",
     {"apicid": 10, "vector": 236, "delivery_mode": "LowPrio", "trigger": "level", "coalesced": True}),
    ("kvm_eoi", "apicid 1 vector 48", {"apicid": 1, "vector": 48}),
    ("kvm_eoi", "apicid 0 vector -1", {"apicid": 0, "vector": -1}),
    ("kvm_pv_eoi", "apicid 2 vector 236", {"apicid": 2, "vector": 236}),
    ("kvm_apic", "apic_write APIC_TASKPRI = 0x20", {"write": True, "reg": "APIC_TASKPRI", "value": 0x20}),
    ("kvm_apic", "apic_read APIC_ICR = 0x100004030", {"write": False, "reg": "APIC_ICR", "value": 0x100004030}),
    ("kvm_apic", "apic_read 0x3f0 = 0x0", {"write": False, "reg": "0x3f0", "value": 0}),
    ("kvm_msr", "msr_write 830 = 0x100004030", {"write": True, "msr": 0x830, "data": 0x100004030,
                                                "exception": False}),
    ("kvm_msr", "msr_read c0000080 = 0x0 (#GP)", {"write": False, "msr": 0xC0000080, "data": 0, "exception": True}),
    ("kvm_pic_set_irq", "chip 0 pin 4 (edge)", {"chip": 0, "pin": 4, "trigger": "edge", "masked": False,
                                                "coalesced": False}),
    ("kvm_pic_set_irq", "chip 1 pin 0 (level|masked) (coalesced)",
     {"chip": 1, "pin": 0, "trigger": "level", "masked": True, "coalesced": True}),
    ("kvm_set_irq", "gsi 11 level 1 source 0", {"gsi": 11, "level": 1, "source": 0}),
    ("kvm_set_irq", "gsi 4", {"gsi": 4}),
    ("kvm_ioapic_set_irq", "pin 4 dst 0 vec 52 (Fixed|physical|edge)",
     {"pin": 4, "dest": 0, "vector": 52, "delivery_mode": "Fixed", "dest_mode": "physical", "trigger": "edge",
      "masked": False, "coalesced": False}),
    ("kvm_ioapic_set_irq", "pin 8 dst 1 vec=209 (LowPrio|logical|level|masked) (coalesced)",
     {"pin": 8, "dest": 1, "vector": 209, "delivery_mode": "LowPrio", "dest_mode": "logical", "trigger": "level",
      "masked": True, "coalesced": True}),
    ("kvm_ack_irq", "irqchip IOAPIC pin 9", {"irqchip": "IOAPIC", "pin": 9}),
    ("kvm_ack_irq", "irqchip PIC master pin 0", {"irqchip": "PIC master", "pin": 0}),
]


def tracecmd_line(event: str, payload: str, comm: str = "CPU 0/KVM", pid: int = 4128, cpu: int = 2,
                  latency: str = "") -> str:
    """A line as trace-cmd report prints it (trace_show_data: "%16s-%-5d [%03d]", time, " %s: ", padding)."""
    flags = f" {latency}" if latency else ""
    return f"{comm:>16}-{pid:<5} [{cpu:03d}]{flags}  1234.567890: {event}: {' ' * max(0, 20 - len(event))}{payload}"


def perf_line(event: str, payload: str, comm: str = "CPU 0/KVM", pid: int = 4128, cpu: int = 2) -> str:
    """A line as perf script prints it ("%16s ", "%5d ", "[%03d] ", "%12s: ", "%*s: ")."""
    return f"{comm:>16} {pid:5d} [{cpu:03d}] {'1234.567890':>12}: {'kvm:' + event:>23}: {payload}"


def only(text: str) -> Record:
    records = read_tracecmd(text, "trace.txt")
    assert len(records) == 1
    return records[0]


def test_every_tracepoint_of_the_table_has_a_payload_here():
    assert {event for event, _, _ in PAYLOADS} == PARSED_TRACEPOINTS


@pytest.mark.parametrize("event, payload, fields", PAYLOADS, ids=[f"{e}:{p[:30]}" for e, p, _ in PAYLOADS])
@pytest.mark.parametrize("layout", [tracecmd_line, perf_line], ids=["trace-cmd", "perf"])
def test_payload_becomes_typed_fields_in_both_layouts(layout, event, payload, fields):
    record = only(layout(event, payload))
    assert record.kind == event
    assert {name: record.fields[name] for name in fields} == fields
    assert (record.fields["comm"], record.fields["pid"], record.fields["cpu"]) == ("CPU 0/KVM", 4128, 2)
    assert record.fields["timestamp"] == pytest.approx(1234.56789)


def test_a_flag_the_format_does_not_print_is_left_out():
    old = only(tracecmd_line("kvm_inj_virq", "irq 48")).fields
    assert "soft" not in old and "reinjected" not in old
    assert "immediate_exit" not in only(tracecmd_line("kvm_entry", "vcpu 0")).fields
    assert "failed_vmentry" not in only(tracecmd_line("kvm_exit", "reason HLT rip 0x10 info 0 0")).fields


def test_record_starts_at_the_comm_and_counts_lines_from_one():
    text = "\n" + tracecmd_line("kvm_eoi", "apicid 1 vector 48")
    record = only(text)
    assert (record.where.file, record.where.line, record.where.column) == ("trace.txt", 2, 8)


def test_latency_flags_between_cpu_and_timestamp_as_newer_trace_cmd_prints_them():
    record = only(tracecmd_line("kvm_entry", "vcpu 0, rip 0x10", latency="d..2."))
    assert record.fields["latency"] == "d..2."
    assert record.fields["rip"] == 0x10


def test_latency_layout_of_report_l_with_the_comm_cut_to_8_characters():
    record = only("CPU 0/KV-4128    2d..2. 1234.567890: kvm_inj_virq:         IRQ 0x30")
    assert record.fields["comm"] == "CPU 0/KV"
    assert (record.fields["pid"], record.fields["cpu"], record.fields["latency"]) == (4128, 2, "d..2.")
    assert record.fields["vcpu"] == 0
    assert only("CPU 10/K-4140   3.... 1.5: kvm_fpu: load").fields["vcpu"] == 10


def test_perf_pid_tid_form_keeps_the_thread_as_pid_and_the_process_as_tgid():
    record = only("       CPU 1/KVM  4100/4129  [003]  1234.567890: kvm:kvm_eoi: apicid 1 vector 48")
    assert (record.fields["pid"], record.fields["tgid"], record.fields["system"]) == (4129, 4100, "kvm")


def test_timestamps_in_nanoseconds_counter_clocks_and_ts_diff():
    assert only(tracecmd_line("kvm_fpu", "load").replace("1234.567890", "1234.567890123")).fields["timestamp"] \
        == pytest.approx(1234.567890123)
    assert only("CPU 0/KVM-4128 [002] 987654321: kvm_fpu: load").fields["timestamp"] == 987654321.0
    assert only("CPU 0/KVM-4128 [002] 1234.5: (+120)   kvm_fpu: load").fields["text"] == "load"


def test_blank_comment_and_header_lines_are_skipped():
    text = "\n".join(["# tracer: nop", "#", "version = 6", "CPU 0 is empty", "CPU 3 is empty", "cpus=4", "   ",
                      "CPU:2 [SUBBUFFER START] [1234:0x1000]", "\r", tracecmd_line("kvm_fpu", "load"), ""])
    assert [r.kind for r in read_tracecmd(text, "trace.txt")] == ["kvm_fpu"]


@pytest.mark.parametrize("line, cpu, count", [("CPU:0 [LOST 12 EVENTS]", 0, 12),
                                              ("CPU:3 [7 EVENTS DROPPED]", 3, 7),
                                              ("CPU:1 [EVENTS DROPPED]", 1, None)])
def test_lost_events_are_records_not_silence(line, cpu, count):
    text = "\n".join([tracecmd_line("kvm_fpu", "load"), line, tracecmd_line("kvm_fpu", "unload")])
    records = read_tracecmd(text, "trace.txt")
    assert [r.kind for r in records] == ["kvm_fpu", "lost_events", "kvm_fpu"]
    assert records[1].fields == {"cpu": cpu, "count": count}
    assert (records[1].where.line, records[1].where.column) == (2, 1)


def test_vcpu_comes_from_the_qemu_thread_name_when_the_event_has_none():
    assert only(tracecmd_line("kvm_inj_virq", "IRQ 0x30", comm="CPU 5/KVM")).fields["vcpu"] == 5
    assert only(perf_line("kvm_apic", "apic_write APIC_EOI = 0x0", comm="CPU 12/KVM")).fields["vcpu"] == 12


def test_the_events_own_vcpu_wins_over_the_thread_name():
    assert only(tracecmd_line("kvm_entry", "vcpu 7, rip 0x10", comm="CPU 6/KVM")).fields["vcpu"] == 7


def test_no_vcpu_for_a_thread_that_is_not_a_vcpu():
    record = only(tracecmd_line("kvm_set_irq", "gsi 4 level 1 source 0", comm="qemu-system-x86"))
    assert "vcpu" not in record.fields
    assert "vcpu" not in only(tracecmd_line("kvm_fpu", "load", comm="CPU 1/KVMX")).fields


def test_other_tracepoints_are_records_with_their_text():
    record = only(tracecmd_line("kvm_vcpu_wakeup", "wait time 1250317 ns, polling valid"))
    assert record.kind == "kvm_vcpu_wakeup"
    assert record.fields["text"] == "wait time 1250317 ns, polling valid"
    assert only(tracecmd_line("kvm_hypothetical", "")).fields["text"] == ""
    msi = only(perf_line("kvm_msi_set_irq", "dst 1 vec 48 (Fixed|physical|edge)"))
    assert msi.fields["text"] == "dst 1 vec 48 (Fixed|physical|edge)" and "vector" not in msi.fields


def test_a_table_name_from_another_perf_system_is_not_parsed():
    record = only("   CPU 0/KVM  4128 [002]  1234.567890: probe:kvm_eoi: whatever it says")
    assert (record.kind, record.fields["system"], record.fields["text"]) == ("kvm_eoi", "probe", "whatever it says")


def test_payload_error_points_at_the_payload_and_says_what_was_expected():
    text = tracecmd_line("kvm_fpu", "load") + "\n" + tracecmd_line("kvm_entry", "vcpu zero")
    with pytest.raises(TraceFileError) as caught:
        read_tracecmd(text, "run.txt")
    error = caught.value
    column = text.split("\n")[1].index("vcpu zero") + 1
    assert (error.where.file, error.where.line, error.where.column) == ("run.txt", 2, column)
    assert error.message.startswith("expected `vcpu N, rip 0x...`")
    assert "after kvm_entry:, found `vcpu zero`" in error.message
    assert str(error).startswith(f"run.txt:2:{column}: ")


def test_missing_payload_error_points_just_after_the_event_name():
    line = "CPU 0/KVM-4128 [002] 1.5: kvm_eoi:"
    with pytest.raises(TraceFileError) as caught:
        read_tracecmd(line, "run.txt")
    assert caught.value.where.column == len(line) + 1
    assert "after kvm_eoi:, found ``" in caught.value.message


def test_perf_payload_error_column():
    line = perf_line("kvm_apic_ipi", "dst 1 vec 300 (Fixed|physical|assert|edge|dst)")
    with pytest.raises(TraceFileError) as caught:
        read_tracecmd(line, "run.txt")
    assert caught.value.where.column == line.index("dst 1") + 1
    assert "after kvm_apic_ipi:" in caught.value.message


@pytest.mark.parametrize("payload", ["dst 1 vec 48 (Fixed|physical|assert|edge)",
                                     "dst 1 vec 48 (Fast|physical|assert|edge|dst)",
                                     "dst 1 vec 48 (Fixed|physical|assert|edge|dst) extra",
                                     "dst 1 vec 256 (Fixed|physical|assert|edge|dst)"])
def test_payloads_a_format_cannot_print_are_errors(payload):
    with pytest.raises(TraceFileError, match="after kvm_apic_ipi:"):
        read_tracecmd(tracecmd_line("kvm_apic_ipi", payload), "run.txt")


@pytest.mark.parametrize("line", ["hello world", "CPU 0/KVM-4128 [002] kvm_entry: vcpu 0",
                                  "CPU 0/KVM-4128 [002] 12x.5: kvm_entry: vcpu 0", "CPU:0 [LOST many EVENTS]"])
def test_a_line_in_neither_layout_is_an_error_at_its_start(line):
    with pytest.raises(TraceFileError) as caught:
        read_tracecmd("\n  " + line, "run.txt")
    assert (caught.value.where.line, caught.value.where.column) == (2, 3)
    assert caught.value.message.startswith("expected a trace-cmd report line `COMM-PID [CPU] TIMESTAMP: EVENT: ...`")


def test_file_that_is_not_utf8_is_an_error_at_the_byte(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"# fine\n  ab\xffcd\n")
    with pytest.raises(TraceFileError) as caught:
        read_tracecmd_file(path)
    assert (caught.value.where.line, caught.value.where.column) == (2, 5)
    assert "UTF-8" in caught.value.message


def test_unreadable_file_is_an_error(tmp_path: Path):
    with pytest.raises(TraceFileError, match="cannot read"):
        read_tracecmd_file(tmp_path / "missing.txt")
    with pytest.raises(TraceFileError, match="cannot read"):
        read_tracecmd_file(tmp_path)


def test_samples_give_the_same_records_in_both_layouts():
    tracecmd = read_tracecmd_file(SAMPLES / "ipi_roundtrip.trace-cmd.txt")
    perf = read_tracecmd_file(SAMPLES / "ipi_roundtrip.perf.txt")
    assert len(tracecmd) == len(perf) > 15
    for a, b in zip(tracecmd, perf):
        assert a.kind == b.kind
        assert a.fields == {name: value for name, value in b.fields.items() if name != "system"}


def test_sample_is_an_ipi_and_its_eoi_with_one_thread_per_vcpu_and_rising_time():
    records = read_tracecmd_file(SAMPLES / "ipi_roundtrip.trace-cmd.txt")
    times = [r.fields["timestamp"] for r in records]
    assert times == sorted(times)
    assert {(r.fields["vcpu"], r.fields["pid"]) for r in records} == {(0, 4128), (1, 4129)}
    story = [(r.fields["vcpu"], r.kind) for r in records if r.kind != "kvm_entry"]
    assert story[:8] == [(0, "kvm_exit"), (0, "kvm_apic_ipi"), (0, "kvm_apic_accept_irq"), (0, "kvm_apic"),
                         (0, "kvm_msr"), (1, "kvm_exit"), (1, "kvm_inj_virq"), (1, "kvm_exit")]
    by_kind = {r.kind: r.fields for r in records if r.fields["vcpu"] == 1}
    assert by_kind["kvm_inj_virq"]["vector"] == 0x30
    assert (by_kind["kvm_eoi"]["apicid"], by_kind["kvm_eoi"]["vector"]) == (1, 48)
    assert [r.fields["msr"] for r in records if r.kind == "kvm_msr"] == [0x830, 0x80B]
    ipi = next(r.fields for r in records if r.kind == "kvm_apic_ipi")
    accept = next(r.fields for r in records if r.kind == "kvm_apic_accept_irq")
    assert (ipi["dest"], ipi["vector"], accept["apicid"], accept["vector"]) == (1, 48, 1, 48)


# ------------------------------------------------------------------------------------------------ fuzzing

VALID_LINES = ([tracecmd_line(e, p) for e, p, _ in PAYLOADS] + [perf_line(e, p) for e, p, _ in PAYLOADS[::3]]
               + ["CPU:0 [LOST 12 EVENTS]", "cpus=4", "CPU 0/KV-4128    2d..2. 1234.5: kvm_fpu: load"])
PLAIN = (int, float, str, bool, type(None))


def fast(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_refuse(text: str) -> None:
    """Reading either gives records of plain values at real positions or raises TraceFileError; nothing else."""
    try:
        records = read_tracecmd(text, "fuzz.txt")
    except TraceFileError as error:
        assert error.where.file == "fuzz.txt" and error.where.line >= 1 and error.where.column >= 1
        return
    lines = text.split("\n")
    for record in records:
        assert isinstance(record.kind, str) and record.kind
        assert all(isinstance(value, PLAIN) for value in record.fields.values())
        assert 1 <= record.where.line <= len(lines)


@fast(300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_random_text_gives_records_or_a_trace_file_error(text):
    read_or_refuse(text)


@fast(200)
@given(st.lists(st.text(alphabet="CPU 0123456789abcdefx/KVM-[]:.,|()=#\t_reasonvciplqtdgEIRQFx", max_size=80),
                max_size=6).map("\n".join))
def test_text_from_the_formats_alphabet_gives_records_or_a_trace_file_error(text):
    read_or_refuse(text)


@st.composite
def mutated_line(draw) -> str:
    line = draw(st.sampled_from(VALID_LINES))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(line)))
        edit = draw(st.sampled_from(["delete", "insert", "replace", "cut", "double"]))
        piece = draw(st.sampled_from(list(" 0919afx:-[]()|/,.\t\r#") + ["0x", "9" * 30, "\x00", "é", "\u2028"]))
        if edit == "delete":
            line = line[:at] + line[at + 1:]
        elif edit == "insert":
            line = line[:at] + piece + line[at:]
        elif edit == "replace":
            line = line[:at] + piece + line[at + 1:]
        elif edit == "cut":
            line = line[:at]
        else:
            line = line[:at] + line[at:] * 2
    return line


@fast(250)
@given(st.lists(mutated_line(), min_size=1, max_size=4).map("\n".join))
def test_mutated_lines_give_records_or_a_trace_file_error(text):
    read_or_refuse(text)
