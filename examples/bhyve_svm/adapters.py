"""Conformance adapters (runtime/conformance.py): drive the emulation the way the spec's actions do and report its
state in the spec's variables.

PrefixAdapter runs the pre-fix svm.c against spec/svm_virq.irq; PostfixAdapter runs the post-fix svm.c against
spec/svm_evtinj.irq. Both observe every spec variable except the ghost `owed`, which an implementation does not keep.
Values use the IR value representation: bits[256] as int, enum as member name, record as a tuple, maps as tuples over
Cpu 0..NCPU-1. A step the emulation cannot perform in its state (machine.GuestCannot: the guest is not executing
instructions, its handler is elsewhere, the vCPU is in or out of guest mode) is reported as refused
(irqspec.runtime.conformance.Refused), before anything changes, so the generated refusal tests run.

    pytest generated_tests/ --irqspec-adapter=examples.bhyve_svm.adapters:postfix_adapter
"""

from __future__ import annotations

import functools
from typing import Any

from irqspec.runtime.conformance import NotRealizable, Refused

from .machine import GuestCannot, Machine, cpu_deliver_eventinj, cpu_take_virq
from .svm_postfix import PostfixMachine
from .svm_prefix import PrefixMachine


def _refusing(method):
    """The emulation's GuestCannot, raised before it changes anything, as the adapter protocol's Refused."""
    @functools.wraps(method)
    def step(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except GuestCannot as why:
            raise Refused(str(why)) from None
    return step


class _SvmAdapter:
    """What both adapters share: a Machine of `ncpu` vCPUs and the actions both specs have."""

    module = ""
    observes: tuple[str, ...] = ()
    refuses = True
    # vlapic.c keeps PPR as a register (vlapic_update_ppr); in the spec it is the def lapic.ppr(tpr, isr), per vCPU
    derived = {"ppr": ("ppr", ("tpr", "isr"))}

    def __init__(self, ncpu: int = 2) -> None:
        self.ncpu = ncpu
        self.machine: Machine = self._new_machine()

    def _new_machine(self) -> Machine:
        raise NotImplementedError

    def reset(self) -> None:
        """Power on: every vCPU outside the guest, APICs empty, VMCBs zero, guests with IF = 1 and no handler."""
        self.machine = self._new_machine()

    # ------------------------------------------------------------------------------------------------ actions

    @_refusing
    def send_ipi(self, src: int, dst: int, v: int) -> None:
        self.machine.guest_send_ipi(src, dst, v)

    @_refusing
    def vmrun(self, c: int) -> None:
        self.machine.vmrun(c)

    @_refusing
    def ack(self, c: int) -> None:
        self.machine.guest_ack(c)

    @_refusing
    def write_eoi(self, c: int) -> None:
        self.machine.guest_write_eoi(c)

    @_refusing
    def iret(self, c: int) -> None:
        self.machine.guest_iret(c)

    @_refusing
    def vmexit(self, c: int) -> None:
        self.machine.vmexit(c)

    @_refusing
    def write_cr8(self, c: int, value: int) -> None:
        self.machine.guest_write_cr8(c, value)

    @_refusing
    def write_tpr_mmio(self, c: int, value: int) -> None:
        self.machine.guest_write_tpr_mmio(c, value)

    @_refusing
    def set_if(self, c: int, enabled: bool) -> None:
        self.machine.guest_set_if(c, enabled)

    @_refusing
    def mov_ss(self, c: int) -> None:
        self.machine.guest_mov_ss(c)

    # ---------------------------------------------------------------------------------------------- observe

    def observe(self) -> dict[str, Any]:
        vcpus = self.machine.vcpus
        common = {
            "irr": tuple(v.vlapic.irr for v in vcpus),
            "isr": tuple(v.vlapic.isr for v in vcpus),
            "tpr": tuple(v.vlapic.tpr for v in vcpus),
            "v_irq": tuple(v.vmcb.v_irq for v in vcpus),
            "v_tpr": tuple(v.vmcb.v_tpr for v in vcpus),
            "in_guest": tuple(v.in_guest for v in vcpus),
            "rflags_if": tuple(v.guest.rflags_if for v in vcpus),
            # the CPU's shadow while in the guest; the VMCB's saved copy outside it (APM 15.21.5)
            "shadow": tuple(v.guest.shadow if v.in_guest else v.vmcb.intr_shadow for v in vcpus),
            "kicked": tuple(v.kicked for v in vcpus),
            "stage": tuple(v.guest.stage.name for v in vcpus),
            "handler_vector": tuple(v.guest.handler_vector for v in vcpus),
            "outer": tuple((v.guest.outer_stage.name, v.guest.outer_vector) for v in vcpus),
        }
        common["ppr"] = tuple(v.vlapic.ppr for v in vcpus)
        names = list(self.observes) + list(self.derived)
        return {name: common[name] if name in common else self._observe_own(name) for name in names}

    def _observe_own(self, name: str) -> tuple:
        raise KeyError(name)


class PrefixAdapter(_SvmAdapter):
    """bhyve before the change, as spec/svm_virq.irq describes it."""

    module = "svm_virq"
    observes = ("irr", "isr", "tpr", "v_irq", "v_intr_vector", "v_tpr", "in_guest", "rflags_if", "shadow", "kicked",
                "stage", "handler_vector", "outer")

    def _new_machine(self) -> Machine:
        return PrefixMachine(self.ncpu)

    @_refusing
    def take_virq(self, c: int) -> None:
        cpu_take_virq(self.machine.vcpus[c])

    def _observe_own(self, name: str) -> tuple:
        if name == "v_intr_vector":
            return tuple(v.vmcb.v_intr_vector for v in self.machine.vcpus)
        raise KeyError(name)


class PostfixAdapter(_SvmAdapter):
    """bhyve after the change, as spec/svm_evtinj.irq describes it."""

    module = "svm_evtinj"
    observes = ("irr", "isr", "tpr", "v_irq", "v_tpr", "eventinj", "exitintinfo", "in_guest", "rflags_if", "shadow",
                "kicked", "stage", "handler_vector", "outer")

    def _new_machine(self) -> Machine:
        return PostfixMachine(self.ncpu)

    @_refusing
    def deliver_event(self, c: int) -> None:
        cpu_deliver_eventinj(self.machine.vcpus[c])

    def _observe_own(self, name: str) -> tuple:
        vcpus = self.machine.vcpus
        if name == "eventinj":
            return tuple(v.vmcb.eventinj.as_tuple() for v in vcpus)
        if name == "exitintinfo":
            # bhyve's saved copy (vm_exit_intinfo), not the VMCB field: the CPU rewrites the field only at the next
            # #VMEXIT, while the saved event is what the next VMRUN re-injects and consumes.
            return tuple(v.exitintinfo.as_tuple() for v in vcpus)
        raise KeyError(name)


class AtomicPostfixAdapter(PostfixAdapter):
    """The post-fix port driven as an implementation whose VMRUN also delivers the event it injects, in one step
    (a harness that cannot stop the CPU between VMRUN and the first guest instruction): the atomic step
    vmrun+deliver_event. A trace that separates them (an exit that cuts a delivery short) is not realizable here.

        irqspec gen spec/svm_evtinj.irq --atomic vmrun+deliver_event ...   (prefers runs this adapter can execute)
    """

    atomic = (("vmrun", "deliver_event"),)

    @_refusing
    def vmrun(self, c: int) -> None:
        self.machine.vmrun(c)
        vcpu = self.machine.vcpus[c]
        if vcpu.vmcb.eventinj.valid:
            cpu_deliver_eventinj(vcpu)

    def deliver_event(self, c: int) -> None:
        raise NotRealizable("this implementation delivers an injected event within VMRUN")


def prefix_adapter(ncpu: int = 2) -> PrefixAdapter:
    """Factory for --irqspec-adapter=examples.bhyve_svm.adapters:prefix_adapter."""
    return PrefixAdapter(ncpu)


def postfix_adapter(ncpu: int = 2) -> PostfixAdapter:
    """Factory for --irqspec-adapter=examples.bhyve_svm.adapters:postfix_adapter."""
    return PostfixAdapter(ncpu)


def atomic_postfix_adapter(ncpu: int = 2) -> AtomicPostfixAdapter:
    """Factory for --irqspec-adapter=examples.bhyve_svm.adapters:atomic_postfix_adapter."""
    return AtomicPostfixAdapter(ncpu)


# The spec module each factory's adapter implements, readable without building one (generated conftest.py).
prefix_adapter.module = PrefixAdapter.module  # type: ignore[attr-defined]
postfix_adapter.module = PostfixAdapter.module  # type: ignore[attr-defined]
atomic_postfix_adapter.module = AtomicPostfixAdapter.module  # type: ignore[attr-defined]
