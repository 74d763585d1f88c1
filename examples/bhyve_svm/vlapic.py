"""The software local APIC as bhyve's sys/amd64/vmm/io/vlapic.c implements it (the parts the interrupt path uses).

IRR and ISR are held as 256-bit masks (bit v = vector v) instead of the eight 32-bit words of the APIC page; the
in-service stack and PPR are kept the way vlapic.c keeps them.
"""

from __future__ import annotations

#: vlapic.c: vectors 0..15 are reserved; a fixed interrupt with one of them sets an ESR error bit instead.
MIN_VECTOR = 16
#: ESR bit "Receive Illegal Vector" (APIC_ESR_RECEIVE_ILLEGAL_VECTOR).
APIC_ESR_RECEIVE_ILLEGAL_VECTOR = 0x40


def PRIO(x: int) -> int:
    """The priority class of a vector or of TPR/PPR (vlapic.c: #define PRIO(x) ((x) >> 4))."""
    return x >> 4


def _fls(mask: int) -> int:
    """The highest set bit of `mask` (0 when none), like the fls() scan over the IRR/ISR words."""
    return mask.bit_length() - 1 if mask else 0


class Vlapic:
    """One vCPU's local APIC: struct vlapic with its apic_page (irr, isr, tpr, ppr, esr) and the in-service stack."""

    def __init__(self, vcpuid: int) -> None:
        self.vcpuid = vcpuid
        self.irr = 0
        self.isr = 0
        self.tpr = 0
        self.ppr = 0
        self.esr_pending = 0
        # SVR software-enable bit; bhyve's guests in these examples never clear it.
        self.sw_enabled = True
        # vlapic.c keeps the in-service vectors in a stack as well as in ISR; slot 0 is a sentinel 0.
        self.isrvec_stk = [0]

    # --------------------------------------------------------------------------------------------- arrival

    def vlapic_set_intr_ready(self, vector: int, level: bool = False) -> bool:
        """vlapic_set_intr_ready: latch `vector` in IRR. Returns whether the target must be notified.

        A second arrival of a vector already in IRR merges with it: IRR is a set, not a queue.
        """
        if not self.sw_enabled:
            # "vlapic is software disabled, ignoring interrupt"
            return False
        if vector < MIN_VECTOR:
            self.esr_pending |= APIC_ESR_RECEIVE_ILLEGAL_VECTOR
            return True
        self.irr |= 1 << vector
        return True

    # ---------------------------------------------------------------------------------------------- priority

    def vlapic_update_ppr(self) -> None:
        """vlapic_update_ppr: PPR = TPR if PRIO(TPR) >= PRIO(ISRV), else ISRV & 0xf0; ISRV is the top of the
        in-service stack, which vlapic.c (under INVARIANTS) checks against the highest ISR bit."""
        isrvec = self.isrvec_stk[-1]
        if isrvec != _fls(self.isr):
            raise AssertionError(f"vlapic{self.vcpuid}: isrvec_stk top {isrvec:#x} is not the highest ISR bit "
                                 f"{_fls(self.isr):#x}")
        if PRIO(self.tpr) >= PRIO(isrvec):
            self.ppr = self.tpr
        else:
            self.ppr = isrvec & 0xf0

    def vlapic_set_tpr(self, val: int) -> None:
        """vlapic_set_tpr: a new TPR value, then PPR follows."""
        if self.tpr != val:
            self.tpr = val
            self.vlapic_update_ppr()

    def vlapic_set_cr8(self, val: int) -> None:
        """vlapic_set_cr8: TPR = CR8 << 4 (the guest's CR8 holds TPR[7:4])."""
        if val & ~0xf:
            raise ValueError(f"invalid cr8 {val:#x}")
        self.vlapic_set_tpr(val << 4)

    def vlapic_get_cr8(self) -> int:
        """vlapic_get_cr8: CR8 = TPR >> 4."""
        return self.tpr >> 4

    # ------------------------------------------------------------------------------------------- delivery

    def vlapic_pending_intr(self) -> int | None:
        """vlapic_pending_intr: the highest vector in IRR if its priority class is above PPR's, else None.

        Only the highest IRR vector is considered: if it is held back by PPR, so is everything below it.
        """
        self.vlapic_update_ppr()
        vector = _fls(self.irr)
        if self.irr and PRIO(vector) > PRIO(self.ppr):
            return vector
        return None

    def vlapic_intr_accepted(self, vector: int) -> None:
        """vlapic_intr_accepted: the vector leaves IRR, enters ISR and the in-service stack; PPR rises."""
        self.irr &= ~(1 << vector)
        self.isr |= 1 << vector
        # vlapic.c: "isrvec_stk_top overflow" panics; 16 classes bound the depth.
        if len(self.isrvec_stk) > 16:
            raise AssertionError(f"vlapic{self.vcpuid}: isrvec_stk overflow")
        self.isrvec_stk.append(vector)
        self.vlapic_update_ppr()

    def vlapic_process_eoi(self) -> int | None:
        """vlapic_process_eoi: clear the highest ISR bit, pop the in-service stack, update PPR. Returns the vector
        whose service ended (None for a gratuitous EOI). Level-triggered vectors would also EOI the vIOAPIC; IPIs
        are edge-triggered, so TMR is never set here."""
        if not self.isr:
            # "Gratuitous EOI"
            return None
        vector = _fls(self.isr)
        self.isr &= ~(1 << vector)
        if len(self.isrvec_stk) <= 1:
            raise AssertionError(f"vlapic{self.vcpuid}: invalid isrvec_stk_top")
        self.isrvec_stk.pop()
        self.vlapic_update_ppr()
        return vector
