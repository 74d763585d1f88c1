"""bhyve's svm.c before the change (D13780): a pending LAPIC vector is posted to the guest through V_IRQ.

The CPU takes a posted vector inside the guest with no exit (APM 15.21.4), so bhyve learns that it was taken only at
the next #VMEXIT (svm_update_virqinfo), and only then moves it IRR -> ISR. An IPI of the same vector that arrives in
between merges into the still-set IRR bit and is accepted away with it: the lost IPI of PR 215972.
"""

from __future__ import annotations

from .machine import Machine, Vcpu, VmExit, probe
from .svm_common import svm_handle_exitcode, svm_inj_intinfo, svm_save_intinfo
from .vlapic import PRIO


def svm_inj_interrupts(vcpu: Vcpu) -> None:
    """svm_inj_interrupts (host interrupts and GIF off, just before VMRUN), pre-fix: re-inject a saved EXITINTINFO
    event; then post the vlapic_pending_intr vector in V_IRQ with V_IGN_TPR = 0. IRR is not changed, and neither
    RFLAGS.IF, the interrupt shadow nor a pending EVENTINJ is checked: the CPU applies its own rules (15.21.4)."""
    vlapic = vcpu.vlapic
    ctrl = vcpu.vmcb

    svm_inj_intinfo(vcpu)

    vector = vlapic.vlapic_pending_intr()
    if vector is not None:
        ctrl.v_irq = True
        ctrl.v_ign_tpr = False
        ctrl.v_intr_vector = vector
        ctrl.v_intr_prio = PRIO(vector)
    else:
        # Nothing to post: withdraw whatever an earlier entry posted and the guest did not take.
        ctrl.v_irq = False
        ctrl.v_intr_vector = 0
        ctrl.v_intr_prio = 0

    # done: V_TPR must be current before every VMRUN (the TPR may have been emulated by the host).
    ctrl.v_tpr = vlapic.vlapic_get_cr8()


def svm_update_virqinfo(vcpu: Vcpu) -> None:
    """svm_update_virqinfo, pre-fix: TPR = V_TPR << 4; if V_INTR_VECTOR is set and the CPU cleared V_IRQ, the guest
    took the vector: only now does the vLAPIC learn it (vlapic_intr_accepted: IRR -> ISR)."""
    vlapic = vcpu.vlapic
    ctrl = vcpu.vmcb

    # Update %cr8 in the emulated vlapic
    vlapic.vlapic_set_cr8(ctrl.v_tpr)

    if ctrl.v_intr_vector != 0 and not ctrl.v_irq:
        # The posted vector was taken somewhere between VMRUN and this exit. Whatever arrived for it since is
        # merged in the IRR bit this clears.
        vlapic.vlapic_intr_accepted(ctrl.v_intr_vector)
        probe(vcpu, "vlapic_intr_accepted", vector=ctrl.v_intr_vector)
        ctrl.v_intr_vector = 0
        ctrl.v_intr_prio = 0


def svm_vmexit(vcpu: Vcpu, vmexit: VmExit) -> None:
    """svm_vmexit: svm_update_virqinfo first, then svm_save_intinfo, then the exit reason (an EOI write runs
    vlapic_process_eoi only after the accept above)."""
    svm_update_virqinfo(vcpu)
    svm_save_intinfo(vcpu)
    svm_handle_exitcode(vcpu, vmexit)


class PrefixMachine(Machine):
    """A VM running the pre-fix svm.c."""

    svm_inj_interrupts = staticmethod(svm_inj_interrupts)
    svm_vmexit = staticmethod(svm_vmexit)
