"""The parts of svm.c, vmm.c and vlapic.c's register emulation that the change (D13780) left alone: event
injection, EXITINTINFO bookkeeping, and the emulation of the trapped x2APIC writes (ICR, EOI)."""

from __future__ import annotations

from .machine import (APIC_OFFSET_TPR, MSR_APIC_EOI, MSR_APIC_ICR, VMCB_EXIT_INTR, VMCB_EXIT_MSR, VMCB_EXIT_NPF,
                      VMCB_EXIT_VINTR, Vcpu, VmExit, probe)
from .vmcb import Event


def svm_eventinject(vcpu: Vcpu, intr_type: int, vector: int) -> None:
    """svm_eventinject: put an event in EVENTINJ (APM 15.20, "Event injection"); one at a time."""
    ctrl = vcpu.vmcb
    if ctrl.eventinj.valid:
        raise AssertionError(f"svm_eventinject: event already pending {ctrl.eventinj}")
    if not 0 <= vector <= 255:
        raise AssertionError(f"svm_eventinject: invalid vector {vector}")
    ctrl.eventinj = Event(True, vector, intr_type)


def vm_exit_intinfo(vcpu: Vcpu, info: Event) -> None:
    """vm_exit_intinfo (vmm.c): remember the event an exit cut short."""
    vcpu.exitintinfo = Event(info.valid, info.vector, info.type)


def vm_entry_intinfo(vcpu: Vcpu) -> Event | None:
    """vm_entry_intinfo (vmm.c): the event to inject at the next entry, consumed (no exception is pending here,
    so there is nothing to combine it with)."""
    info = vcpu.exitintinfo
    if not info.valid:
        return None
    vcpu.exitintinfo = Event()
    return info


def svm_save_intinfo(vcpu: Vcpu) -> None:
    """svm_save_intinfo: APM 15.7.2, "Intercepts during IDT interrupt delivery": if the #VMEXIT happened during
    event delivery, record the event being delivered. For an INTR the acknowledge already happened (the vector is
    in ISR), so it will be re-injected, not accepted again."""
    intinfo = vcpu.vmcb.exitintinfo
    if not intinfo.valid:
        return
    vm_exit_intinfo(vcpu, intinfo)


def svm_inj_intinfo(vcpu: Vcpu) -> None:
    """svm_inj_intinfo: re-inject an event saved from EXITINTINFO through EVENTINJ."""
    intinfo = vm_entry_intinfo(vcpu)
    if intinfo is None:
        return
    svm_eventinject(vcpu, intinfo.type, intinfo.vector)


def vlapic_icrlo_write_handler(vcpu: Vcpu, icrval: int) -> None:
    """vlapic_icrlo_write_handler, fixed delivery, physical destination: lapic_intr_edge on the target, i.e.
    vlapic_set_intr_ready then vcpu_notify_event."""
    vector = icrval & 0xff
    dest = icrval >> 32
    vm = vcpu.vm
    if not 0 <= dest < len(vm.vcpus):
        return  # no such APIC ID: the IPI goes nowhere
    target = vm.vcpus[dest]
    if target.vlapic.vlapic_set_intr_ready(vector, level=False):
        vm.vcpu_notify_event(target)
    probe(vcpu, "vlapic_icrlo_write_handler", icrval=icrval)


def lapic_wrmsr(vcpu: Vcpu, num: int, val: int) -> None:
    """lapic_wrmsr -> vlapic_write: the x2APIC registers the guest writes here."""
    if num == MSR_APIC_ICR:
        vlapic_icrlo_write_handler(vcpu, val)
    elif num == MSR_APIC_EOI:
        vector = vcpu.vlapic.vlapic_process_eoi()
        probe(vcpu, "vlapic_process_eoi", vector=vector or 0)
    else:
        raise AssertionError(f"lapic_wrmsr: MSR {num:#x} is not emulated here")


def vlapic_mmio_write(vcpu: Vcpu, offset: int, data: int) -> None:
    """vlapic_write for the xAPIC page (lapic_mmio_write): the registers the guest writes here."""
    if offset == APIC_OFFSET_TPR:
        vcpu.vlapic.vlapic_set_tpr(data & 0xff)
    else:
        raise AssertionError(f"vlapic_write: offset {offset:#x} is not emulated here")
    probe(vcpu, "vlapic_mmio_write", offset=offset, data=data)


def svm_handle_exitcode(vcpu: Vcpu, vmexit: VmExit) -> None:
    """The `switch (code)` of svm_vmexit, for the exits this example produces."""
    if vmexit.code == VMCB_EXIT_MSR:
        # emulate_wrmsr: lapic_msr(num) -> lapic_wrmsr
        lapic_wrmsr(vcpu, vmexit.msr, vmexit.value)
    elif vmexit.code == VMCB_EXIT_NPF:
        # svm_npf_emul_fault -> vm_exit_inst_emul: the instruction emulator writes the APIC page (lapic_mmio_write)
        vlapic_mmio_write(vcpu, vmexit.msr, vmexit.value)
    elif vmexit.code in (VMCB_EXIT_INTR, VMCB_EXIT_VINTR):
        pass  # handled: back round svm_run's loop
    else:
        raise AssertionError(f"svm_vmexit: unexpected exit code {vmexit.code:#x}")

