"""vCPUs, the guest and the CPU: what both variants of svm.c run on.

The guest model is the spec's guest: an interrupt starts a handler (Running, IF = 0), the handler acknowledges
through memory (Acked, no exit), writes EOI (EoiSent; the x2APIC EOI MSR write traps) and returns with IRET (IF
restored). A handler that is not itself nested may execute STI: a higher-class interrupt then nests a second handler
in it, whose IRET returns to the first. Other instructions: an IPI is an x2APIC ICR write (traps), CR8 writes go to
V_TPR without an exit (APM 15.21.2), a write of the memory-mapped xAPIC TPR traps (a nested page fault the host
emulates), CLI/STI change RFLAGS.IF, and STI (with IF = 0) or MOV SS starts an interrupt shadow, which the next
instruction ends.

The CPU's side is the same before and after the change: it takes a posted V_IRQ by APM 15.21.4, delivers EVENTINJ
by APM 15.20, and at #VMEXIT records an event whose delivery was cut short in EXITINTINFO (APM 15.7.2). What differs
is bhyve's code: a variant module (svm_prefix or svm_postfix) provides svm_inj_interrupts and svm_vmexit.

The functions a trace reports call `probe` where they return; a Machine records nothing unless it carries a recorder
(tracing.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from .vlapic import Vlapic
from .vmcb import Event, Vmcb

if TYPE_CHECKING:
    from .tracing import Recorder

# #VMEXIT codes (vmcb.h).
VMCB_EXIT_INTR = 0x60      # a physical interrupt: how vcpu_notify_event's IPI, a host timer, ... force an exit
VMCB_EXIT_VINTR = 0x64     # the interrupt window opened (VINTR intercept, APM 15.21.6)
VMCB_EXIT_MSR = 0x7C
VMCB_EXIT_NPF = 0x400      # a nested page fault: here always a guest write of the xAPIC page's TPR

# The xAPIC page's TPR register (offset 0x80 of the APIC page).
APIC_OFFSET_TPR = 0x80

# x2APIC MSRs: with a software APIC every guest write of them traps (lapic_wrmsr).
MSR_APIC_EOI = 0x80B
MSR_APIC_ICR = 0x830


class GuestCannot(AssertionError):
    """An operation was asked of the emulation in a state where the guest or the CPU cannot perform it."""


class Stage(Enum):
    """Where the guest's interrupt handler is."""

    Idle = "Idle"
    Running = "Running"
    Acked = "Acked"
    EoiSent = "EoiSent"


@dataclass
class Guest:
    """What the guest's state adds to the VMCB's: RFLAGS.IF, the interrupt shadow, the handler's progress and the
    handler a nested one interrupted."""

    rflags_if: bool = True
    shadow: bool = False
    stage: Stage = Stage.Idle
    handler_vector: int = 0
    outer_stage: Stage = Stage.Idle   # the interrupted handler (Idle: none)
    outer_vector: int = 0

    def interrupt_entry(self, vector: int) -> None:
        """The CPU vectors through an interrupt gate: IF is cleared and the handler for `vector` starts, nested in
        the handler that runs, if one does."""
        if self.stage is not Stage.Idle:
            if self.outer_stage is not Stage.Idle:
                raise GuestCannot(f"an interrupt ({vector:#x}) arrives in a nested handler (the guest nests two)")
            self.outer_stage, self.outer_vector = self.stage, self.handler_vector
        self.rflags_if = False
        self.stage = Stage.Running
        self.handler_vector = vector
        self.shadow = False


@dataclass(frozen=True)
class VmExit:
    """Why the guest left: the exit code, and for an MSR write the MSR and the value (EXITINFO1, RCX, EDX:EAX); for a
    nested page fault on the APIC page, the register's offset (in `msr`) and the value written."""

    code: int
    msr: int = 0
    value: int = 0


class Vcpu:
    """struct svm_vcpu with what vmm.c keeps per vCPU: its vlapic, its VMCB, the saved exit interrupt info."""

    def __init__(self, vm: Machine, vcpuid: int) -> None:
        self.vm = vm
        self.vcpuid = vcpuid
        self.vlapic = Vlapic(vcpuid)
        self.vmcb = Vmcb()
        self.guest = Guest()
        self.in_guest = False
        # vmm.c's vcpu->exitintinfo: the event svm_save_intinfo recorded, re-injected by the next svm_inj_intinfo.
        self.exitintinfo = Event()
        # vcpu_notify_event sent the host IPI that forces this vCPU out of guest mode; the exit itself is a
        # separate step (the spec's vmexit action), taken when the adapter is told to.
        self.kicked = False

    def guest_runs(self) -> bool:
        """The guest executes instructions: in guest mode, and no injected event waits to be delivered first."""
        return self.in_guest and not self.vmcb.eventinj.valid


class Machine:
    """A VM of `ncpu` vCPUs. A variant (svm_prefix.PrefixMachine, svm_postfix.PostfixMachine) supplies bhyve's
    svm_inj_interrupts and svm_vmexit of its version."""

    def __init__(self, ncpu: int = 2) -> None:
        self.vcpus = [Vcpu(self, i) for i in range(ncpu)]
        # what the probes report to (tracing.Recorder); None: nothing is recorded
        self.recorder: Recorder | None = None

    @staticmethod
    def svm_inj_interrupts(vcpu: Vcpu) -> None:
        raise NotImplementedError

    @staticmethod
    def svm_vmexit(vcpu: Vcpu, vmexit: VmExit) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------------------------ host side (vmm.c)

    def vcpu_notify_event(self, vcpu: Vcpu) -> None:
        """vcpu_notify_event: a vCPU running guest code gets a host IPI, which forces a #VMEXIT."""
        if vcpu.in_guest:
            vcpu.kicked = True

    def vmrun(self, c: int) -> None:
        """One trip round svm_run's loop up to the guest: svm_inj_interrupts with GIF clear, then VMRUN."""
        vcpu = self.vcpus[c]
        if vcpu.in_guest:
            raise GuestCannot(f"vCPU {c} is already in guest mode")
        self.svm_inj_interrupts(vcpu)
        # the last host code before VMRUN (host interrupts and GIF are off: nothing comes between)
        probe(vcpu, "svm_inj_interrupts")
        cpu_vmrun(vcpu)

    def vmexit(self, c: int) -> None:
        """A #VMEXIT for a reason outside the guest's program: a kick, a host timer, a page fault, the VINTR
        intercept of an interrupt window. All of them go through svm_vmexit alike."""
        vcpu = self.vcpus[c]
        if not vcpu.in_guest:
            raise GuestCannot(f"vCPU {c} is not in guest mode")
        reason = VMCB_EXIT_VINTR if vcpu.vmcb.v_irq and vcpu.vmcb.vintr_intercept else VMCB_EXIT_INTR
        self._exit(vcpu, VmExit(reason))

    def _exit(self, vcpu: Vcpu, reason: VmExit) -> None:
        cpu_vmexit(vcpu)
        self.svm_vmexit(vcpu, reason)
        probe(vcpu, "svm_vmexit", code=reason.code)

    # ------------------------------------------------------------------------------------- the guest's code

    def _running(self, c: int, what: str) -> Vcpu:
        vcpu = self.vcpus[c]
        if not vcpu.guest_runs():
            raise GuestCannot(f"vCPU {c} cannot {what}: it is not executing guest instructions")
        return vcpu

    def _in_handler(self, c: int, stage: Stage, what: str) -> Vcpu:
        vcpu = self._running(c, what)
        if vcpu.guest.stage is not stage:
            raise GuestCannot(f"vCPU {c} cannot {what}: its handler is {vcpu.guest.stage.name}, not {stage.name}")
        return vcpu

    def guest_send_ipi(self, src: int, dst: int, vector: int) -> None:
        """The guest on `src` writes the x2APIC ICR: a fixed IPI of `vector` to physical APIC ID `dst` (itself
        too). It traps."""
        vcpu = self._running(src, "write ICR")
        vcpu.guest.shadow = False  # the instruction completes: a shadow ends
        self._exit(vcpu, VmExit(VMCB_EXIT_MSR, MSR_APIC_ICR, dst << 32 | vector))
        probe(vcpu, "guest_send_ipi", dst=dst, vector=vector)

    def guest_ack(self, c: int) -> None:
        """The handler tells its sender it ran, through a global variable: a memory write, no exit."""
        vcpu = self._in_handler(c, Stage.Running, "acknowledge")
        guest = vcpu.guest
        guest.stage = Stage.Acked
        guest.shadow = False
        probe(vcpu, "guest_ack")

    def guest_write_eoi(self, c: int) -> None:
        """The handler writes the x2APIC EOI MSR: it traps."""
        vcpu = self._in_handler(c, Stage.Acked, "write EOI")
        vcpu.guest.stage = Stage.EoiSent
        vcpu.guest.shadow = False
        self._exit(vcpu, VmExit(VMCB_EXIT_MSR, MSR_APIC_EOI, 0))
        probe(vcpu, "guest_write_eoi")

    def guest_iret(self, c: int) -> None:
        """The handler returns: IRET pops the RFLAGS pushed at entry, so IF is set again, and a nested handler
        returns to the handler it interrupted."""
        vcpu = self._in_handler(c, Stage.EoiSent, "IRET")
        guest = vcpu.guest
        guest.stage = Stage.Idle
        guest.shadow = False
        guest.rflags_if = True
        guest.handler_vector = 0
        if guest.outer_stage is not Stage.Idle:
            guest.stage, guest.handler_vector = guest.outer_stage, guest.outer_vector
            guest.outer_stage, guest.outer_vector = Stage.Idle, 0
        probe(vcpu, "guest_iret")

    def guest_write_cr8(self, c: int, value: int) -> None:
        """MOV CR8: with V_INTR_MASKING the write goes to V_TPR (APM 15.21.2); bhyve does not intercept it."""
        vcpu = self._running(c, "write CR8")
        vcpu.vmcb.v_tpr = value
        vcpu.guest.shadow = False
        probe(vcpu, "guest_write_cr8", value=value)

    def guest_write_tpr_mmio(self, c: int, value: int) -> None:
        """A write of the xAPIC page's TPR: the page is not mapped for the guest, so the write traps as a nested
        page fault, which the host emulates (vlapic_write)."""
        vcpu = self._running(c, "write the MMIO TPR")
        vcpu.guest.shadow = False
        self._exit(vcpu, VmExit(VMCB_EXIT_NPF, APIC_OFFSET_TPR, value))
        probe(vcpu, "guest_write_tpr_mmio", value=value)

    def guest_set_if(self, c: int, enabled: bool) -> None:
        """STI / CLI, outside a handler or in a handler that is not nested (the guest program nests two at most).
        STI with IF = 0 starts an interrupt shadow: no interrupt before the next instruction completes."""
        vcpu = self._running(c, "STI/CLI")
        guest = vcpu.guest
        if guest.outer_stage is not Stage.Idle:
            raise GuestCannot(f"vCPU {c} cannot STI/CLI: its guest program does not in a nested handler")
        guest.shadow = enabled and not guest.rflags_if
        guest.rflags_if = enabled
        probe(vcpu, "guest_set_if", enabled=enabled)

    def guest_mov_ss(self, c: int) -> None:
        """MOV SS (or POP SS): an interrupt shadow until the next instruction completes."""
        vcpu = self._running(c, "MOV SS")
        vcpu.guest.shadow = True
        probe(vcpu, "guest_mov_ss")


# ------------------------------------------------------------------------------------------------ tracing


def probe(vcpu: Vcpu, function: str, **args: int | bool) -> None:
    """The return probe of `function` on `vcpu` (where dtrace's fbt:::return would fire), with the call's
    arguments: handed to the VM's recorder, which reads the registers it reports itself; a no-op without one."""
    recorder = vcpu.vm.recorder
    if recorder is not None:
        recorder.fire(function, vcpu, args)


# ------------------------------------------------------------------------------------------------- the CPU


def cpu_vmrun(vcpu: Vcpu) -> None:
    """VMRUN: the CPU loads the guest state, the interrupt shadow included (APM 15.21.5); an event in EVENTINJ is
    delivered before the first guest instruction (APM 15.20), which the caller steps separately
    (cpu_deliver_eventinj)."""
    vcpu.guest.shadow = vcpu.vmcb.intr_shadow
    vcpu.in_guest = True


def cpu_vmexit(vcpu: Vcpu) -> None:
    """#VMEXIT: the CPU writes the guest state back. An event still in EVENTINJ was cut short by the exit: it goes
    to EXITINTINFO for the VMM to re-inject (APM 15.7.2); otherwise EXITINTINFO.V = 0. V_IRQ and V_TPR are written
    back as the guest left them (APM 15.21.4)."""
    vmcb = vcpu.vmcb
    if vmcb.eventinj.valid:
        vmcb.exitintinfo = Event(True, vmcb.eventinj.vector, vmcb.eventinj.type)
    else:
        vmcb.exitintinfo = Event()
    vmcb.eventinj = Event()
    vmcb.intr_shadow = vcpu.guest.shadow
    vcpu.in_guest = False
    vcpu.kicked = False


def cpu_take_virq(vcpu: Vcpu) -> None:
    """APM 15.21.4: the CPU takes the virtual interrupt when V_IRQ = 1, (V_IGN_TPR = 1 or V_INTR_PRIO > V_TPR),
    RFLAGS.IF = 1 and no interrupt shadow (GIF = 1: always so here). With the VINTR intercept on it exits instead
    (15.21.6). V_IRQ is cleared after the intercept check, before the IDT is read; the guest's APIC IRR/ISR are not
    touched."""
    vmcb = vcpu.vmcb
    if not vcpu.guest_runs():
        raise GuestCannot(f"vCPU {vcpu.vcpuid} is not executing guest instructions")
    if vcpu.guest.shadow:
        raise GuestCannot(f"vCPU {vcpu.vcpuid} is in an interrupt shadow")
    if not (vmcb.v_irq and (vmcb.v_ign_tpr or vmcb.v_intr_prio > vmcb.v_tpr) and vcpu.guest.rflags_if):
        raise GuestCannot(f"vCPU {vcpu.vcpuid} cannot take a virtual interrupt: V_IRQ={int(vmcb.v_irq)} "
                          f"V_INTR_PRIO={vmcb.v_intr_prio} V_TPR={vmcb.v_tpr} IF={int(vcpu.guest.rflags_if)}")
    if vmcb.vintr_intercept:
        raise GuestCannot(f"vCPU {vcpu.vcpuid}: the VINTR intercept makes this an exit, not an interrupt")
    vmcb.v_irq = False
    vcpu.guest.interrupt_entry(vmcb.v_intr_vector)
    probe(vcpu, "cpu_take_virq", vector=vmcb.v_intr_vector)


def cpu_deliver_eventinj(vcpu: Vcpu) -> None:
    """APM 15.20: the event in EVENTINJ is delivered unconditionally at VMRUN; the V bit is cleared."""
    vmcb = vcpu.vmcb
    if not (vcpu.in_guest and vmcb.eventinj.valid):
        raise GuestCannot(f"vCPU {vcpu.vcpuid} has no event to deliver")
    vector = vmcb.eventinj.vector
    vmcb.eventinj = Event()
    vcpu.guest.interrupt_entry(vector)
    probe(vcpu, "cpu_deliver_eventinj", vector=vector)
