"""bhyve's svm.c after the change (D13780): LAPIC vectors are delivered by event injection (EVENTINJ).

svm_inj_interrupts moves the vector IRR -> ISR when it injects it (vlapic_intr_accepted), as KVM, VirtualBox and
bhyve's Intel code do; when the guest cannot take an interrupt now it asks for an interrupt window with a dummy V_IRQ
(vector 0, V_IGN_TPR, VINTR intercept). A delivery cut short by an exit comes back in EXITINTINFO and is re-injected
without a second accept. A second IPI of a vector in service waits in IRR until EOI lowers PPR.
"""

from __future__ import annotations

from .machine import Machine, Vcpu, VmExit, probe
from .svm_common import svm_eventinject, svm_handle_exitcode, svm_inj_intinfo, svm_save_intinfo
from .vmcb import VMCB_EVENTINJ_TYPE_INTR


def enable_intr_window_exiting(vcpu: Vcpu) -> None:
    """enable_intr_window_exiting: a dummy V_IRQ (vector 0, V_IGN_TPR = 1) with the VINTR intercept on, so the CPU
    exits as soon as the guest can take an interrupt (APM 15.21.6)."""
    ctrl = vcpu.vmcb
    ctrl.v_irq = True
    ctrl.v_ign_tpr = True
    ctrl.v_intr_vector = 0
    ctrl.vintr_intercept = True


def disable_intr_window_exiting(vcpu: Vcpu) -> None:
    """disable_intr_window_exiting: no V_IRQ, no VINTR intercept."""
    ctrl = vcpu.vmcb
    ctrl.v_irq = False
    ctrl.v_intr_vector = 0
    ctrl.vintr_intercept = False


def svm_inj_interrupts(vcpu: Vcpu) -> None:
    """svm_inj_interrupts (host interrupts and GIF off, just before VMRUN), post-fix: re-inject a saved EXITINTINFO
    event; then, for the vlapic_pending_intr vector: if RFLAGS.IF = 0 (or an interrupt shadow) or EVENTINJ is
    already taken, ask for an interrupt window; otherwise inject it and accept it at once (IRR -> ISR, PPR rises)."""
    vlapic = vcpu.vlapic
    ctrl = vcpu.vmcb
    need_intr_window = False

    # An event might be pending because the previous #VMEXIT happened during its delivery.
    svm_inj_intinfo(vcpu)

    vector = vlapic.vlapic_pending_intr()
    if vector is not None:
        if not vcpu.guest.rflags_if:
            need_intr_window = True
        elif ctrl.intr_shadow:
            # The guest is in an interrupt shadow (after STI or MOV SS): it cannot take the vector yet.
            need_intr_window = True
        elif ctrl.eventinj.valid:
            # EVENTINJ holds the re-injected event: this vector waits for the window after it.
            need_intr_window = True
        else:
            svm_eventinject(vcpu, VMCB_EVENTINJ_TYPE_INTR, vector)
            vlapic.vlapic_intr_accepted(vector)
            probe(vcpu, "vlapic_intr_accepted", vector=vector)
            # FreeBSD's svm.c also sets need_intr_window here ("Force a VM-exit as soon as the vcpu is ready to
            # accept another interrupt"); the domain reference's account of the fix, which svm_evtinj follows,
            # does not, and the window changes nothing about IRR or ISR.

    # done: V_TPR must be current before every VMRUN.
    ctrl.v_tpr = vlapic.vlapic_get_cr8()
    if need_intr_window:
        enable_intr_window_exiting(vcpu)
    else:
        disable_intr_window_exiting(vcpu)


def svm_update_virqinfo(vcpu: Vcpu) -> None:
    """svm_update_virqinfo, post-fix: only TPR = V_TPR << 4; virtual interrupt injection is not used."""
    ctrl = vcpu.vmcb
    vcpu.vlapic.vlapic_set_cr8(ctrl.v_tpr)
    if ctrl.v_intr_vector != 0:
        raise AssertionError(f"svm_update_virqinfo: invalid v_intr_vector {ctrl.v_intr_vector}")


def svm_vmexit(vcpu: Vcpu, vmexit: VmExit) -> None:
    """svm_vmexit: svm_update_virqinfo, svm_save_intinfo (an exit during event delivery leaves the event in
    EXITINTINFO: APM 15.7.2), then the exit reason."""
    svm_update_virqinfo(vcpu)
    svm_save_intinfo(vcpu)
    # bhyve decides the window request afresh before every VMRUN (svm_inj_interrupts ends in enable_ or
    # disable_intr_window_exiting), so a request never outlives the run it was made for; withdrawing it at the exit,
    # as KVM's interrupt_window_interception does with svm_clear_vintr, keeps V_IRQ meaning "a window is requested
    # for the current run".
    disable_intr_window_exiting(vcpu)
    svm_handle_exitcode(vcpu, vmexit)


class PostfixMachine(Machine):
    """A VM running the post-fix svm.c."""

    svm_inj_interrupts = staticmethod(svm_inj_interrupts)
    svm_vmexit = staticmethod(svm_vmexit)
