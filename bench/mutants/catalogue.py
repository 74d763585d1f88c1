"""The mutants of the post-fix port (examples/bhyve_svm): each one realistic slip, written as source edits.

Every mutant names the bhyve function (or the APM rule the emulated CPU follows) its slip is in, says in one line what
the slip is, and lists its edits: (file of examples/bhyve_svm, old text, new text), where the old text occurs exactly
once in that file. They were written from the port's source and the domain reference alone, before any test was run
against them. `equivalent_because` is filled in only where the slip was expected, when it was written, to be
invisible to the spec's observations; the bench prints that argument for a mutant nothing kills.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of `old` in `file` (a module of examples/bhyve_svm) by `new`."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """One slip in the port: where it is in bhyve, what it is, and the edits that make it."""

    name: str
    area: str        # priority | eoi/isr | tpr | window | reinjection | arrival | cpu/guest
    function: str    # the bhyve function (or APM rule) the slip is in
    slip: str        # one line: what the slip is
    edits: tuple[Edit, ...]
    equivalent_because: str = ""


def _one(name: str, area: str, function: str, slip: str, file: str, old: str, new: str,
         equivalent_because: str = "") -> Mutant:
    return Mutant(name, area, function, slip, (Edit(file, old, new),), equivalent_because)


_NO_NESTING = ("the spec's guest takes an interrupt only when Idle with IF = 1, and EOI empties ISR before IRET, so "
               "ISR never holds two vectors (no nested handlers): lowest and highest ISR bit are the same bit")

MUTANTS: tuple[Mutant, ...] = (
    # ------------------------------------------------------------------------------------- priority (vlapic.c)
    _one("prio_shift_3", "priority", "PRIO()",
         "the priority-class macro shifts by 3 instead of 4 (off by one in the class shift)",
         "vlapic.py", "    return x >> 4", "    return x >> 3"),
    _one("ppr_tpr_test_strict", "priority", "vlapic_update_ppr",
         "PPR takes TPR only if PRIO(TPR) > PRIO(ISRV), not >=",
         "vlapic.py", "if PRIO(self.tpr) >= PRIO(isrvec):", "if PRIO(self.tpr) > PRIO(isrvec):",
         equivalent_because="TPR = CR8 << 4 has a zero low nibble, so when the classes are equal TPR == ISRV & 0xf0 "
                            "(and with nothing in service both read 0): PPR gets the same value either way"),
    _one("ppr_branches_swapped", "priority", "vlapic_update_ppr",
         "the two arms of the PPR choice are swapped (ISRV & 0xf0 when TPR's class is the higher)",
         "vlapic.py",
         "            self.ppr = self.tpr\n        else:\n            self.ppr = isrvec & 0xf0",
         "            self.ppr = isrvec & 0xf0\n        else:\n            self.ppr = self.tpr"),
    _one("ppr_mask_low_nibble", "priority", "vlapic_update_ppr",
         "PPR from ISRV masks with 0x0f instead of 0xf0 (keeps the sub-class, drops the class)",
         "vlapic.py", "self.ppr = isrvec & 0xf0", "self.ppr = isrvec & 0x0f"),
    _one("ppr_ignores_isr", "priority", "vlapic_update_ppr",
         "PPR is always TPR: the in-service vector's class is forgotten",
         "vlapic.py", "if PRIO(self.tpr) >= PRIO(isrvec):", "if True:"),
    _one("pending_ge", "priority", "vlapic_pending_intr",
         "a vector is deliverable when PRIO(v) >= PRIO(PPR), not >",
         "vlapic.py", "PRIO(vector) > PRIO(self.ppr)", "PRIO(vector) >= PRIO(self.ppr)"),
    _one("pending_raw_compare", "priority", "vlapic_pending_intr",
         "the vector is compared with PPR as raw numbers instead of by priority class",
         "vlapic.py", "PRIO(vector) > PRIO(self.ppr)", "vector > self.ppr"),
    _one("pending_lowest_irr", "priority", "vlapic_pending_intr",
         "the lowest IRR vector is picked (ffs for fls) instead of the highest",
         "vlapic.py", "        vector = _fls(self.irr)", "        vector = (self.irr & -self.irr).bit_length() - 1"),
    _one("set_tpr_skips_ppr", "priority", "vlapic_set_tpr",
         "a new TPR does not update PPR",
         "vlapic.py", "            self.tpr = val\n            self.vlapic_update_ppr()", "            self.tpr = val",
         equivalent_because="vlapic_pending_intr recomputes PPR before it reads it, and nothing else reads PPR"),
    # -------------------------------------------------------------------- EOI and in-service (vlapic.c)
    _one("accept_keeps_irr", "eoi/isr", "vlapic_intr_accepted",
         "accepting a vector does not clear its IRR bit (it stays pending and is delivered again)",
         "vlapic.py", "        self.irr &= ~(1 << vector)\n", ""),
    _one("accept_clears_all_irr", "eoi/isr", "vlapic_intr_accepted",
         "accepting a vector clears the whole IRR word, not its bit (other pending vectors are lost)",
         "vlapic.py", "        self.irr &= ~(1 << vector)", "        self.irr = 0"),
    _one("accept_skips_stack", "eoi/isr", "vlapic_intr_accepted",
         "the accepted vector is set in ISR but not pushed on the in-service stack",
         "vlapic.py", "        self.isrvec_stk.append(vector)\n", ""),
    _one("eoi_keeps_isr", "eoi/isr", "vlapic_process_eoi",
         "EOI pops the in-service stack but forgets to clear the ISR bit",
         "vlapic.py", "        self.isr &= ~(1 << vector)\n", ""),
    _one("eoi_lowest_isr", "eoi/isr", "vlapic_process_eoi",
         "EOI ends the lowest in-service vector instead of the highest",
         "vlapic.py", "        vector = _fls(self.isr)", "        vector = (self.isr & -self.isr).bit_length() - 1",
         equivalent_because=_NO_NESTING),
    _one("eoi_gratuitous_inverted", "eoi/isr", "vlapic_process_eoi",
         "the gratuitous-EOI test is inverted: a real EOI is ignored",
         "vlapic.py", "        if not self.isr:\n            # \"Gratuitous EOI\"",
         "        if self.isr:\n            # \"Gratuitous EOI\""),
    # ------------------------------------------------------------------------------------- TPR sync
    _one("cr8_shift_3", "tpr", "vlapic_set_cr8",
         "TPR = CR8 << 3 instead of << 4",
         "vlapic.py", "self.vlapic_set_tpr(val << 4)", "self.vlapic_set_tpr(val << 3)"),
    _one("get_cr8_shift_3", "tpr", "vlapic_get_cr8",
         "CR8 = TPR >> 3 instead of >> 4 (V_TPR written back wrong before VMRUN)",
         "vlapic.py", "        return self.tpr >> 4", "        return self.tpr >> 3"),
    _one("cr8_mask_3_bits", "tpr", "vlapic_set_cr8",
         "the CR8 validity mask is ~0x7, so CR8 values 8..15 are rejected",
         "vlapic.py", "if val & ~0xf:", "if val & ~0x7:"),
    _one("exit_skips_tpr_sync", "tpr", "svm_update_virqinfo",
         "TPR is not synced from V_TPR on #VMEXIT",
         "svm_postfix.py", "    vcpu.vlapic.vlapic_set_cr8(ctrl.v_tpr)\n", ""),
    _one("exit_tpr_from_vcpu0", "tpr", "svm_update_virqinfo",
         "TPR is synced from vCPU 0's VMCB instead of this vCPU's",
         "svm_postfix.py", "vcpu.vlapic.vlapic_set_cr8(ctrl.v_tpr)",
         "vcpu.vlapic.vlapic_set_cr8(vcpu.vm.vcpus[0].vmcb.v_tpr)"),
    _one("vmrun_skips_vtpr_sync", "tpr", "svm_inj_interrupts",
         "V_TPR is not refreshed from the vLAPIC's TPR before VMRUN",
         "svm_postfix.py", "    ctrl.v_tpr = vlapic.vlapic_get_cr8()\n", "",
         equivalent_because="the spec has no host-side TPR write (the MMIO TPR write is not modelled): TPR changes "
                            "only as the copy V_TPR << 4 at an exit, so V_TPR already equals TPR >> 4 at every VMRUN"),
    # ------------------------------------------------------------------------ interrupt windows (svm.c)
    _one("no_window_if_clear", "window", "svm_inj_interrupts",
         "no interrupt window is requested when the guest has IF = 0",
         "svm_postfix.py", "        if not vcpu.guest.rflags_if:\n            need_intr_window = True",
         "        if not vcpu.guest.rflags_if:\n            pass"),
    _one("if_test_inverted", "window", "svm_inj_interrupts",
         "the RFLAGS.IF test is inverted (inject when IF = 0, ask for a window when IF = 1)",
         "svm_postfix.py", "        if not vcpu.guest.rflags_if:", "        if vcpu.guest.rflags_if:"),
    _one("no_window_behind_reinjection", "window", "svm_inj_interrupts",
         "no window is requested for a vector pending behind a re-injected event",
         "svm_postfix.py", "waits for the window after it.\n            need_intr_window = True",
         "waits for the window after it.\n            need_intr_window = False"),
    _one("no_eventinj_busy_check", "window", "svm_inj_interrupts",
         "EVENTINJ being already valid is not checked before injecting a LAPIC vector",
         "svm_postfix.py", "        elif ctrl.eventinj.valid:", "        elif False:"),
    _one("accept_on_window", "window", "svm_inj_interrupts",
         "the vector is accepted (IRR -> ISR) also when only a window is requested, and never injected",
         "svm_postfix.py", "        if not vcpu.guest.rflags_if:\n            need_intr_window = True",
         "        if not vcpu.guest.rflags_if:\n            need_intr_window = True\n"
         "            vlapic.vlapic_intr_accepted(vector)"),
    _one("inject_without_accept", "window", "svm_inj_interrupts",
         "the vector is injected but vlapic_intr_accepted is not called (stays in IRR, not in ISR)",
         "svm_postfix.py", "            vlapic.vlapic_intr_accepted(vector)\n", ""),
    _one("window_kept_at_exit", "window", "svm_vmexit",
         "the interrupt-window request is not withdrawn at #VMEXIT",
         "svm_postfix.py", "    disable_intr_window_exiting(vcpu)\n    svm_handle_exitcode(vcpu, vmexit)",
         "    svm_handle_exitcode(vcpu, vmexit)"),
    _one("window_kept_at_vmrun", "window", "svm_inj_interrupts",
         "a window request is not withdrawn before a VMRUN that needs none",
         "svm_postfix.py", "    else:\n        disable_intr_window_exiting(vcpu)\n", "",
         equivalent_because="svm_vmexit already withdraws every window request, so V_IRQ is clear at every VMRUN "
                            "(nothing else sets it outside svm_inj_interrupts)"),
    _one("window_without_v_irq", "window", "enable_intr_window_exiting",
         "the window request turns on the VINTR intercept and V_IGN_TPR but forgets V_IRQ = 1",
         "svm_postfix.py", "    ctrl.v_irq = True\n    ctrl.v_ign_tpr = True", "    ctrl.v_ign_tpr = True"),
    # ------------------------------------------------------------------------ re-injection (svm.c, vmm.c)
    _one("reinjection_dropped", "reinjection", "svm_inj_intinfo",
         "the saved EXITINTINFO event is consumed but not put in EVENTINJ",
         "svm_common.py", "    svm_eventinject(vcpu, intinfo.type, intinfo.vector)", "    return"),
    _one("reinjection_accepts_again", "reinjection", "svm_inj_intinfo",
         "the re-injected INTR is accepted a second time (vlapic_intr_accepted again)",
         "svm_common.py", "    svm_eventinject(vcpu, intinfo.type, intinfo.vector)",
         "    svm_eventinject(vcpu, intinfo.type, intinfo.vector)\n"
         "    vcpu.vlapic.vlapic_intr_accepted(intinfo.vector)"),
    _one("intinfo_not_saved", "reinjection", "svm_save_intinfo",
         "the V-bit test is inverted: an event cut short by the exit is not saved",
         "svm_common.py", "    if not intinfo.valid:\n        return\n    vm_exit_intinfo",
         "    if intinfo.valid:\n        return\n    vm_exit_intinfo"),
    _one("intinfo_not_consumed", "reinjection", "vm_entry_intinfo",
         "the saved event is not cleared when it is taken for re-injection",
         "svm_common.py", "    vcpu.exitintinfo = Event()\n", ""),
    Mutant("intinfo_reinjected_last", "reinjection", "svm_inj_interrupts",
           "svm_inj_intinfo runs after the LAPIC vector is injected, not before",
           (Edit("svm_postfix.py", "    svm_inj_intinfo(vcpu)\n\n    vector = vlapic.vlapic_pending_intr()",
                 "    vector = vlapic.vlapic_pending_intr()"),
            Edit("svm_postfix.py", "    # done: V_TPR must be current",
                 "    svm_inj_intinfo(vcpu)\n\n    # done: V_TPR must be current"))),
    # ------------------------------------------------------------------------------ arrival (vlapic.c)
    _one("set_intr_ready_overwrites", "arrival", "vlapic_set_intr_ready",
         "arrival writes IRR = bit(v) instead of IRR |= bit(v) (an earlier pending vector is lost)",
         "vlapic.py", "        self.irr |= 1 << vector", "        self.irr = 1 << vector"),
    _one("icr_xapic_dest", "arrival", "vlapic_icrlo_write_handler",
         "the destination is read from ICR bits 63:56 (xAPIC) instead of 63:32 (x2APIC)",
         "svm_common.py", "    dest = icrval >> 32", "    dest = icrval >> 56"),
    # ---------------------------------------------------------------- the emulated CPU and guest (machine.py)
    _one("entry_keeps_if", "cpu/guest", "interrupt-gate entry (Guest.interrupt_entry)",
         "vectoring through an interrupt gate does not clear RFLAGS.IF",
         "machine.py", "        self.rflags_if = False\n        self.stage = Stage.Running",
         "        self.stage = Stage.Running"),
    _one("iret_keeps_if_clear", "cpu/guest", "IRET (Machine.guest_iret)",
         "IRET does not restore RFLAGS.IF",
         "machine.py", "        guest.rflags_if = True\n        guest.handler_vector = 0",
         "        guest.handler_vector = 0"),
)
