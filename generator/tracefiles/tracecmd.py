"""KVM tracepoints as `trace-cmd report` and `perf script` print them, read into `Record`s.

Both tools print one event per line; the layout is recognised line by line, so a file may mix them:

    trace-cmd report      COMM-PID [CPU] TIMESTAMP: EVENT: PAYLOAD
                          (since "trace-cmd report: Add interrupt info in output", Jan 2024, the latency flags
                          `d..2.` come between `[CPU]` and the timestamp; the kernel's tracing/trace file has the
                          same shape)
    trace-cmd report -l   COMM-PID CPUFLAGS TIMESTAMP: EVENT: PAYLOAD     (COMM cut to 8 characters, `  2d..2.`)
    perf script           COMM TID [CPU] TIMESTAMP: SYSTEM:EVENT: PAYLOAD  (or COMM PID/TID with -F pid,tid)

(trace-cmd's tracecmd/trace-read.c, trace_show_data: "%16s-%-5d [%03d]", the latency, the time, " %s: "; perf's
builtin-script.c, perf_sample__fprintf_start: "%16s ", "%5d ", "[%03d] ", "%12s: ", then "%*s: " for the event.)
Skipped: blank lines, `#` comments, and trace-cmd's header lines `version = N`, `cpus=N`, `CPU N is empty`,
`CPU:N [SUBBUFFER START]`. A gap in the ring buffer is not skipped: `CPU:N [LOST M EVENTS]` (the kernel's trace
file, kernel/trace/trace.c print_trace_line), `CPU:N [M EVENTS DROPPED]` and `CPU:N [EVENTS DROPPED]` (trace-cmd)
are records of kind "lost_events" with fields `cpu` and `count` (None when trace-cmd does not know it), so that a
consumer can refuse or allow the gap. They have no comm, pid or timestamp: the tools print none.

Every other record has kind = the event's name and the header fields `comm` (str), `pid` (int: the thread, which is
what both tools print by default; perf's `PID/TID` form adds `tgid`), `cpu` (the physical CPU), `timestamp` (float:
seconds, or the counter's value for a counter clock such as x86-tsc), `latency` (str, when printed), `system`
(perf only: "kvm"), and `vcpu` when it can be known: the event's own `vcpu N`, else QEMU's vCPU thread name
`CPU N/KVM` (qemu's cpu_index, which is KVM's vcpu_id unless the APIC IDs are sparse). An event not in the table
below is a record too, with the header and `text` (its payload as printed), for consumers to ignore or reject by name.

Payloads of the tracepoints below are parsed into typed fields: `%x`/`0x%x` numbers and `%u`/`%d` numbers are
ints, symbolic names (exit reasons, APIC registers, delivery modes, edge/level) stay strings, printed flags are
booleans (False when the flag's text is absent from a format that prints it; absent from the record when the
format has no such flag). Each format was taken from the TP_printk strings of arch/x86/kvm/trace.h and
include/trace/events/kvm.h in the Linux trees named (torvalds/linux, kvm-x86/linux, and the KVM patches that changed
them, dated by their posting; the version a change first shipped in is inferred from that date, not checked
against a release tag). trace-cmd and perf render payloads with libtraceevent, whose kvm plugin
(plugins/plugin_kvm.c) replaces the kernel's format for kvm_exit and kvm_entry; those variants are read too.

kvm_entry -- VM entry: vmx_vcpu_run (arch/x86/kvm/vmx/vmx.c), svm_vcpu_run (svm/svm.c); x86.c vcpu_enter_guest
    before 5.10.
    "vcpu %u, rip 0x%lx%s"   vcpu; rip: the guest RIP entered at; immediate_exit: "[immediate exit]", KVM forces
                             a VM exit right after entry (to inject an event once something else is done); the
                             flag is printed since "KVM: x86: Plumb force_immediate_exit into kvm_entry()", Jan
                             2024, ~6.9
    "vcpu %u, rip 0x%lx"     "KVM: x86: Add RIP to the kvm_entry ... tracepoint", Sep 2020, ~5.10
    "vcpu %u"                before that
    "vcpu %u rip 0x%llx[ FN[+0xOFF]]"  libtraceevent's kvm plugin since Sep 2022 (kvm_entry_handler); rip_function:
                             the guest function, when the tool knows guest symbols
kvm_exit -- VM exit, before KVM handles it: vmx_vcpu_run (vmx.c), svm_vcpu_run (svm.c); each vendor's handle_exit
    in older kernels.
    "vcpu %u reason %s%s%s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x error_code 0x%08x"
        since "KVM: x86: Add intr/vectoring info and error code to kvm_exit tracepoint", Jul 2020, ~5.9. reason:
        the basic exit reason's name, VMX_EXIT_REASONS (arch/x86/include/uapi/asm/vmx.h: "EXTERNAL_INTERRUPT",
        "HLT", "MSR_WRITE", ...) or SVM_EXIT_REASONS (uapi/asm/svm.h: "interrupt", "vintr", "hlt", "msr", ...;
        some have spaces: "DE excp"), "0x.." for an unnamed one; failed_vmentry: VMX's " FAILED_VMENTRY" flag
        (VMX_EXIT_REASON_FLAGS, since May 2020, ~5.8); rip: the guest RIP at the exit; info1/info2: VMX's exit
        qualification and IDT-vectoring info, SVM's EXITINFO1/EXITINFO2 (for "msr", EXITINFO1 is 1 on a write);
        intr_info: VMX's VM-exit interruption info, SVM's EXITINTINFO; error_code: the error code that goes with it
    "vcpu %u reason %s%s%s rip 0x%lx info %llx %llx"   vcpu added Sep 2019 (~5.4), the flags in May 2020; before
                                                       Jul 2020 VMX's info2 is the VM-exit interruption info
    "reason %s rip 0x%lx info %llx %llx"               before that
    "reason %s rip 0x%llx[ FN[+0xOFF]] info %llx %llx"  libtraceevent's kvm plugin (kvm_exit_handler): its own name
        tables (VMX's as the kernel's; SVM's as "EXIT_MSR", "EXIT_INTR", ...), "UNKNOWN (%llu)" otherwise
kvm_inj_virq -- an external interrupt injected: vmx_inject_irq writes it into the VM-entry interruption-information
    field (VM_ENTRY_INTR_INFO_FIELD; kvm_inject_realmode_interrupt in vm86 real mode), svm_inject_irq into the VMCB's
    EVENTINJ.
    "%s 0x%x%s"   soft: "Soft/INTn" (an INTn being reinjected) rather than "IRQ"; vector; reinjected:
                  " [reinjected]" (delivery was cut short, KVM injects it again); "KVM: x86: Differentiate Soft
                  vs. Hard IRQs vs. reinjected in tracepoint", Apr 2022, ~5.19
    "irq %u"      before that: vector only
kvm_apic_ipi -- the guest wrote ICR: kvm_apic_send_ipi (arch/x86/kvm/lapic.c; apic_send_ipi in older kernels).
    "dst %x vec %u (%s|%s|%s|%s|%s)"   from icr_low and the destination: dest (ICR high's destination field:
        bits 63:56 in xAPIC mode, all 32 bits in x2APIC mode); vector (ICR bits 7:0); delivery_mode (bits 10:8:
        "Fixed", "LowPrio", "SMI", "Res3", "NMI", "INIT", "SIPI", "ExtINT", kvm_deliver_mode); dest_mode (bit 11:
        "physical"/"logical"); level (bit 14: "assert"/"de-assert"); trigger (bit 15: "edge"/"level"); shorthand
        (bits 19:18: "dst", "self", "all", "all-but-self")
kvm_apic_accept_irq -- an interrupt offered to a local APIC: __apic_accept_irq (lapic.c), traced on the sending
    thread, before the APIC decides (a disabled APIC drops it).
    "apicid %x vec %u (%s|%s)"     apicid: the target's vcpu_id (not its APIC ID); vector; delivery_mode (as
                                   above); trigger ("edge"/"level"); coalesced False
    "apicid %x vec %u (%s|%s)%s"   older kernels (3.x): coalesced: " (coalesced)", the vector was already pending
kvm_eoi, kvm_pv_eoi -- an end of interrupt: apic_set_eoi on a guest write to EOI, kvm_apic_set_eoi_accelerated on
    an EOI-induced exit (lapic.c); kvm_pv_eoi for the paravirtual EOI.
    "apicid %x vector %d"   apicid: the vcpu_id; vector: the highest in-service vector the EOI retires, -1 if none
kvm_apic -- a read or write of a local APIC register: kvm_lapic_reg_read / kvm_lapic_reg_write (lapic.c; also
    kvm_x2apic_icr_write for the 64-bit x2APIC ICR).
    "apic_%s %s = 0x%x" (0x%llx since the 64-bit ICR)   write: "apic_write" rather than "apic_read"; reg: the
        register's name, "APIC_TASKPRI", "APIC_EOI", "APIC_ICR", ... (kvm_trace_symbol_apic), "0x.." otherwise;
        value
kvm_msr -- a guest RDMSR/WRMSR KVM handled: kvm_emulate_rdmsr / kvm_emulate_wrmsr and the x2APIC fastpath
    handle_fastpath_set_msr_irqoff (arch/x86/kvm/x86.c), after the access; x2APIC registers are MSRs 0x800 + offset
    / 16 (0x830 ICR, 0x80b EOI).
    "msr_%s %x = 0x%llx%s"   write; msr; data; exception: " (#GP)", the access faulted
kvm_pic_set_irq -- a line of the emulated 8259 changed: kvm_pic_set_irq (arch/x86/kvm/i8259.c).
    "chip %u pin %u (%s%s)%s"   chip (0 master, 1 slave); pin; trigger (ELCR: "edge"/"level"); masked: "|masked"
                                (IMR); coalesced: " (coalesced)", the pin was already pending
kvm_set_irq -- a GSI raised or lowered from outside the guest: kvm_set_irq (virt/kvm/irqchip.c).
    "gsi %u level %d source %d"   gsi; level; source: the IRQ source id
    "gsi %u"                      older kernels
kvm_ioapic_set_irq -- an IOAPIC pin serviced: ioapic_set_irq (arch/x86/kvm/ioapic.c; virt/kvm/ioapic.c before).
    "pin %u dst %x vec %u (%s|%s|%s%s)%s"   pin; dest; vector; delivery_mode; dest_mode; trigger; masked
                                            ("|masked"); coalesced (" (coalesced)")
    "pin %u dst %x vec=%u (%s|%s|%s%s)%s"   older kernels
kvm_ack_irq -- the guest acknowledged an irqchip pin: kvm_notify_acked_irq (virt/kvm/).
    "irqchip %s pin %u"   irqchip: "PIC master", "PIC slave" or "IOAPIC"; pin

kvm_msi_set_irq is left unparsed on purpose: it printed "dst %u vec %x" in older kernels and "dst %llx vec %u"
now, so the same text means different numbers and a line cannot say which it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..front.diagnostics import Span
from . import Record, TraceFileError

_WHITESPACE = " \t\n\r\f\v"  # what \s matches under re.ASCII, so that columns and patterns agree

# ------------------------------------------------------------------------------------------------ payload formats
# A payload format is written as its TP_printk reads, with a placeholder for each printed value: {name:kind}. The
# kinds: x (hex digits), u (decimal), d (signed decimal), vec (decimal 0..255), word (no spaces), text (anything,
# as little as possible), fn (an optional " NAME"), ?LITERAL (a flag: the literal printed or not), =A|B (a boolean:
# A printed rather than B), A|B|... (one of the names, kept as a string).

_PLACEHOLDER = re.compile(r"\{(\w+):([^}]*)\}")
_DELIVERY_MODES = "Fixed|LowPrio|SMI|Res3|NMI|INIT|SIPI|ExtINT"


_INVALID = object()  # a number the format cannot print (a vector above 255)
_ABSENT = object()  # an optional placeholder that was not printed
_Converter = Callable[[Any], Any]  # a placeholder's text (None if it was not printed) -> its value


def _vector(text: str) -> object:
    value = int(text)
    return value if value <= 0xFF else _INVALID


_NUMBERS: dict[str, tuple[str, _Converter]] = {
    # digit counts bound to what 64-bit values print as (and below Python's int-from-text limit)
    "x": (r"[0-9a-fA-F]{1,16}", lambda text: int(text, 16)),
    "u": (r"[0-9]{1,20}", int),
    "d": (r"-?[0-9]{1,20}", int),
    "vec": (r"[0-9]{1,3}", _vector),
}


@dataclass(frozen=True)
class _Format:
    """One printed form of a tracepoint's payload: the pattern, and how each placeholder's text becomes a value."""

    pattern: re.Pattern[str]
    converters: tuple[tuple[str, _Converter], ...]

    def read(self, payload: str) -> dict[str, Any] | None:
        """The payload's fields, or None when it is not in this form."""
        match = self.pattern.fullmatch(payload)
        if match is None:
            return None
        fields: dict[str, Any] = {}
        for name, convert in self.converters:
            value = convert(match.group(name))
            if value is _INVALID:
                return None
            if value is not _ABSENT:
                fields[name] = value
        return fields


def _placeholder(name: str, kind: str) -> tuple[str, _Converter]:
    """The regex of one placeholder and the converter of its text."""
    if kind in _NUMBERS:
        digits, to_int = _NUMBERS[kind]
        return f"(?P<{name}>{digits})", to_int
    if kind == "word":
        return rf"(?P<{name}>\S+)", str
    if kind == "text":
        return f"(?P<{name}>.+?)", str
    if kind == "fn":
        return rf"(?: (?P<{name}>\S+))?", lambda text: _ABSENT if text is None else text
    if kind.startswith("?"):
        return f"(?P<{name}>{re.escape(kind[1:])})?", lambda text: text is not None
    if kind.startswith("="):
        choices = kind[1:].split("|")
        alternatives = "|".join(re.escape(choice) for choice in choices)
        return f"(?P<{name}>{alternatives})", lambda text: text == choices[0]
    alternatives = "|".join(re.escape(choice) for choice in kind.split("|"))
    return f"(?P<{name}>{alternatives})", str


def _format(template: str) -> _Format:
    parts: list[str] = []
    converters: list[tuple[str, _Converter]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position:match.start()]))
        regex, convert = _placeholder(match.group(1), match.group(2))
        parts.append(regex)
        converters.append((match.group(1), convert))
        position = match.end()
    parts.append(re.escape(template[position:]))
    return _Format(re.compile("".join(parts), re.ASCII), tuple(converters))


@dataclass(frozen=True)
class _Tracepoint:
    """The printed forms of one tracepoint's payload, newest first, and what an error says was expected."""

    expected: str
    formats: tuple[_Format, ...]

    def read(self, payload: str) -> dict[str, Any] | None:
        for form in self.formats:
            fields = form.read(payload)
            if fields is not None:
                return fields
        return None


def _tracepoint(expected: str, *templates: str) -> _Tracepoint:
    return _Tracepoint(expected, tuple(_format(template) for template in templates))


_REASON = "reason {reason:text}{failed_vmentry:? FAILED_VMENTRY} rip 0x{rip:x}"
_IOAPIC_TAIL = (f"({{delivery_mode:{_DELIVERY_MODES}}}|{{dest_mode:physical|logical}}|{{trigger:edge|level}}"
                "{masked:?|masked}){coalesced:? (coalesced)}")
_EOI = _tracepoint("`apicid X vector N`", "apicid {apicid:x} vector {vector:d}")

# The table of the module docstring, in the same order.
_TRACEPOINTS: dict[str, _Tracepoint] = {
    "kvm_entry": _tracepoint(
        "`vcpu N, rip 0x...` (or `vcpu N rip 0x...`, `vcpu N`)",
        "vcpu {vcpu:u}, rip 0x{rip:x}{immediate_exit:?[immediate exit]}",
        "vcpu {vcpu:u} rip 0x{rip:x}{rip_function:fn}",
        "vcpu {vcpu:u}"),
    "kvm_exit": _tracepoint(
        "`vcpu N reason NAME rip 0x... info1 0x... info2 0x... intr_info 0x... error_code 0x...` "
        "(or `[vcpu N ]reason NAME rip 0x... info X X`)",
        "vcpu {vcpu:u} " + _REASON + " info1 0x{info1:x} info2 0x{info2:x} intr_info 0x{intr_info:x}"
        " error_code 0x{error_code:x}",
        "vcpu {vcpu:u} " + _REASON + " info {info1:x} {info2:x}",
        # no exit-reason flags: older than them, or the plugin's (which names a flagged reason UNKNOWN)
        "reason {reason:text} rip 0x{rip:x}{rip_function:fn} info {info1:x} {info2:x}"),
    "kvm_inj_virq": _tracepoint(
        "`IRQ 0x...` or `Soft/INTn 0x...`, maybe ` [reinjected]` (or `irq N`)",
        "{soft:=Soft/INTn|IRQ} 0x{vector:x}{reinjected:? [reinjected]}",
        "irq {vector:u}"),
    "kvm_apic_ipi": _tracepoint(
        "`dst X vec N (DELIVERY|DESTMODE|LEVEL|TRIGGER|SHORTHAND)`, as in "
        "`dst 1 vec 48 (Fixed|physical|assert|edge|dst)`",
        f"dst {{dest:x}} vec {{vector:vec}} ({{delivery_mode:{_DELIVERY_MODES}}}|{{dest_mode:physical|logical}}"
        "|{level:assert|de-assert}|{trigger:edge|level}|{shorthand:dst|self|all|all-but-self})"),
    "kvm_apic_accept_irq": _tracepoint(
        "`apicid X vec N (DELIVERY|TRIGGER)`, maybe ` (coalesced)`, as in `apicid 1 vec 48 (Fixed|edge)`",
        f"apicid {{apicid:x}} vec {{vector:vec}} ({{delivery_mode:{_DELIVERY_MODES}}}|{{trigger:edge|level}})"
        "{coalesced:? (coalesced)}"),
    "kvm_eoi": _EOI,
    "kvm_pv_eoi": _EOI,
    "kvm_apic": _tracepoint(
        "`apic_read REG = 0x...` or `apic_write REG = 0x...`",
        "apic_{write:=write|read} {reg:word} = 0x{value:x}"),
    "kvm_msr": _tracepoint(
        "`msr_read X = 0x...` or `msr_write X = 0x...`, maybe ` (#GP)`",
        "msr_{write:=write|read} {msr:x} = 0x{data:x}{exception:? (#GP)}"),
    "kvm_pic_set_irq": _tracepoint(
        "`chip N pin N (TRIGGER[|masked])`, maybe ` (coalesced)`, as in `chip 0 pin 4 (edge)`",
        "chip {chip:u} pin {pin:u} ({trigger:edge|level}{masked:?|masked}){coalesced:? (coalesced)}"),
    "kvm_set_irq": _tracepoint(
        "`gsi N level N source N` (or `gsi N`)",
        "gsi {gsi:u} level {level:d} source {source:d}",
        "gsi {gsi:u}"),
    "kvm_ioapic_set_irq": _tracepoint(
        "`pin N dst X vec N (DELIVERY|DESTMODE|TRIGGER[|masked])`, maybe ` (coalesced)`, as in "
        "`pin 4 dst 0 vec 52 (Fixed|physical|edge)`",
        "pin {pin:u} dst {dest:x} vec {vector:vec} " + _IOAPIC_TAIL,
        "pin {pin:u} dst {dest:x} vec={vector:vec} " + _IOAPIC_TAIL),
    "kvm_ack_irq": _tracepoint(
        "`irqchip CHIP pin N`, CHIP one of `PIC master`, `PIC slave`, `IOAPIC`",
        "irqchip {irqchip:PIC master|PIC slave|IOAPIC} pin {pin:u}"),
}
PARSED_TRACEPOINTS = frozenset(_TRACEPOINTS)  # the tracepoints whose payloads become typed fields

# ------------------------------------------------------------------------------------------------ line layouts

_TIMESTAMP = r"(?P<timestamp>[0-9]{1,20}(?:\.[0-9]{1,12})?):"
_EVENT = r"(?P<event>[A-Za-z_][A-Za-z0-9_]{0,127}):(?:\s+(?P<payload>.*))?"
_TS_DIFF = r"(?:\(\+[0-9]*\)\s+)?"  # trace-cmd report --ts-diff

_TRACECMD = re.compile(
    r"(?P<comm>\S.*?)-(?P<pid>[0-9]{1,10})\s+\[(?P<cpu>[0-9]{1,6})\]\s+(?:(?P<latency>[^\s:]+)\s+)?"
    + _TIMESTAMP + r"\s+" + _TS_DIFF + _EVENT, re.ASCII)
# trace-cmd report -l: "%8.8s-%-5d %3d" and the latency right after the CPU (it never starts with a digit)
_TRACECMD_LATENCY = re.compile(
    r"(?P<comm>\S.{0,7}?)-(?P<pid>[0-9]{1,10})\s+(?P<cpu>[0-9]{1,6})(?P<latency>[^\s0-9:][^\s:]*)\s+"
    + _TIMESTAMP + r"\s+" + _TS_DIFF + _EVENT, re.ASCII)
_PERF = re.compile(
    r"(?P<comm>\S.*?)\s+(?:(?P<tgid>[0-9]{1,10})/)?(?P<pid>[0-9]{1,10})\s+\[(?P<cpu>[0-9]{1,6})\]\s+"
    + _TIMESTAMP + r"\s+(?P<system>[A-Za-z_][A-Za-z0-9_]{0,127}):" + _EVENT, re.ASCII)
_LAYOUTS = (_TRACECMD, _TRACECMD_LATENCY, _PERF)

_HEADER = re.compile(r"version = \S+|cpus=[0-9]+|CPU [0-9]+ is empty|CPU:[0-9]+ \[SUBBUFFER START\].*", re.ASCII)
_LOST = re.compile(r"CPU:(?P<cpu>[0-9]{1,6}) \[(?:LOST (?P<lost>[0-9]{1,20}) EVENTS|(?P<dropped>[0-9]{1,20} )?"
                   r"EVENTS DROPPED)\]", re.ASCII)
_QEMU_VCPU_THREAD = re.compile(r"CPU (?P<vcpu>[0-9]{1,6})/KVM", re.ASCII)
# the same name as `trace-cmd report -l` cuts it to 8 characters ("CPU 0/KV", "CPU 10/K", "CPU 100/")
_QEMU_VCPU_THREAD_CUT = re.compile(r"CPU (?P<vcpu>[0-9]{1,3})/K?V?", re.ASCII)

_EXPECTED_LINE = ("a trace-cmd report line `COMM-PID [CPU] TIMESTAMP: EVENT: ...` or a perf script line "
                  "`COMM PID [CPU] TIMESTAMP: SYSTEM:EVENT: ...`")
_SHOWN = 60  # characters of the offending text quoted in an error


def _shown(text: str) -> str:
    text = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
    return "`" + text.encode("unicode_escape").decode("ascii") + "`"


def read_tracecmd(text: str, file: str) -> list[Record]:
    """The records of a `trace-cmd report` or `perf script` text (the layout is recognised per line).

    Raises TraceFileError, naming what was expected and where, for the first line that is in neither layout or
    whose payload does not follow its tracepoint's format."""
    records = []
    # lines end at LF only, as diagnostics count them
    for number, line in enumerate(text.split("\n"), start=1):
        record = _read_line(line, file, number)
        if record is not None:
            records.append(record)
    return records


def read_tracecmd_file(path: str | Path) -> list[Record]:
    """The records of a trace file read as UTF-8; TraceFileError if it cannot be read or is not UTF-8."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise TraceFileError(f"cannot read the trace file: {error.strerror or error}", Span(name, 0, 0)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise TraceFileError(f"expected UTF-8 text, found the byte 0x{data[error.start]:02x}",
                             Span(name, line, column)) from None
    return read_tracecmd(text, name)


def _read_line(line: str, file: str, number: int) -> Record | None:
    body = line.lstrip(_WHITESPACE)
    indent = len(line) - len(body)
    body = body.rstrip(_WHITESPACE)
    if not body or body.startswith("#") or _HEADER.fullmatch(body):
        return None
    where = Span(file, number, indent + 1)
    lost = _LOST.fullmatch(body)
    if lost is not None:
        count = lost.group("lost") or lost.group("dropped")
        return Record("lost_events", {"cpu": int(lost.group("cpu")), "count": None if count is None else int(count)},
                      where)
    for layout in _LAYOUTS:
        match = layout.fullmatch(body)
        if match is not None:
            return _event(match, layout, where, indent)
    raise TraceFileError(f"expected {_EXPECTED_LINE}, found {_shown(body)}",
                         Span(file, number, indent + 1, number, indent + len(body) + 1))


def _event(match: re.Match[str], layout: re.Pattern[str], where: Span, indent: int) -> Record:
    groups = match.groupdict()
    event = groups["event"]
    comm = groups["comm"].rstrip(_WHITESPACE)
    fields: dict[str, Any] = {"comm": comm, "pid": int(groups["pid"]), "cpu": int(groups["cpu"]),
                              "timestamp": float(groups["timestamp"])}
    if groups.get("tgid") is not None:
        fields["tgid"] = int(groups["tgid"])
    if groups.get("latency") is not None:
        fields["latency"] = groups["latency"]
    if groups.get("system") is not None:
        fields["system"] = groups["system"]
    vcpu = _vcpu_of_thread(comm, cut=layout is _TRACECMD_LATENCY)
    if vcpu is not None:
        fields["vcpu"] = vcpu
    payload = groups["payload"] or ""
    tracepoint = _TRACEPOINTS.get(event)
    if tracepoint is None or groups.get("system") not in (None, "kvm"):
        fields["text"] = payload
        return Record(event, fields, where)
    parsed = tracepoint.read(payload)
    if parsed is None:
        start = indent + (match.start("payload") if groups["payload"] is not None else match.end("event") + 1) + 1
        raise TraceFileError(f"expected {tracepoint.expected} after {event}:, found {_shown(payload)}",
                             Span(where.file, where.line, start, where.line, start + max(1, len(payload))))
    fields.update(parsed)  # the event's own `vcpu N` wins over the thread's name
    return Record(event, fields, where)


def _vcpu_of_thread(comm: str, cut: bool) -> int | None:
    """The vCPU of a QEMU vCPU thread, from its name `CPU N/KVM` (cut to 8 characters by trace-cmd report -l)."""
    match = _QEMU_VCPU_THREAD.fullmatch(comm)
    if match is None and cut and len(comm) == 8:
        match = _QEMU_VCPU_THREAD_CUT.fullmatch(comm)
    return None if match is None else int(match.group("vcpu"))
