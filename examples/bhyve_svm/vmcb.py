"""The VMCB fields of the interrupt path (sys/amd64/vmm/amd/vmcb.h; AMD APM vol. 2, appendix B).

Only what svm.c's interrupt code reads and writes: the virtual-interrupt control word (V_TPR, V_IRQ, V_INTR_PRIO,
V_IGN_TPR, V_INTR_VECTOR), the VINTR intercept, the interrupt shadow, EVENTINJ and EXITINTINFO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: EVENTINJ / EXITINTINFO TYPE field: external or virtual interrupt (APM 15.20).
VMCB_EVENTINJ_TYPE_INTR = 0


@dataclass
class Event:
    """An EVENTINJ or EXITINTINFO value: V bit, TYPE (always INTR here) and VECTOR."""

    valid: bool = False
    vector: int = 0
    type: int = VMCB_EVENTINJ_TYPE_INTR

    def as_tuple(self) -> tuple[bool, int]:
        """(valid, vector): the spec's `Event` record in the IR value representation."""
        return (self.valid, self.vector)


@dataclass
class Vmcb:
    """struct vmcb_ctrl, the interrupt-related part."""

    v_tpr: int = 0            # the guest's CR8 (APM 15.21.2: with V_INTR_MASKING, CR8 writes go here, no exit)
    v_irq: bool = False       # a virtual interrupt is pending (APM 15.21.4)
    v_intr_prio: int = 0
    v_ign_tpr: bool = False
    v_intr_vector: int = 0
    vintr_intercept: bool = False   # VMCB_INTCPT_VINTR: exit instead of taking the virtual interrupt (15.21.6)
    intr_shadow: bool = False # INTERRUPT_SHADOW: the guest's shadow, saved at #VMEXIT, restored at VMRUN (15.21.5)
    eventinj: Event = field(default_factory=Event)
    exitintinfo: Event = field(default_factory=Event)
