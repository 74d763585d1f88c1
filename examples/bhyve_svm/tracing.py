"""Traces of the emulation as dtrace would record a real bhyve: one record per return of a function of interest.

A Machine that carries a `Recorder` (`machine.recorder = Recorder()`) reports every `machine.probe` it passes; the
recorder turns each into a plain JSON-able record, `{"event": <function>, "vcpu": <n>, ...}`, with what a return
probe there could read: the call's arguments and the registers the function touched, of the vCPU concerned, after
the call. Register values: IRR and ISR as sorted lists of vector numbers, the handler stage by its name, EVENTINJ and
EXITINTINFO as {"valid", "vector"}, the interrupted handler as {"stage", "vector"}.

Every step of a spec action completes at exactly one record (host probes stand for the host's steps):

    record                       spec action              fields besides event and vcpu
    vlapic_icrlo_write_handler   send_ipi (vcpu = src)    dest, vector, irr and kicked of the target
    svm_inj_interrupts           vmrun                    irr, isr, v_irq, v_intr_vector, v_tpr, eventinj,
                                                          exitintinfo, rflags_if, shadow
    svm_vmexit                   vmexit (code 0x60 INTR,  code, irr, isr, tpr, v_irq, v_intr_vector, eventinj,
                                 0x64 VINTR); after an    exitintinfo, shadow, in_guest, kicked
                                 ICR/EOI write (0x7c) or
                                 MMIO TPR write (0x400)
                                 it only observes
    vlapic_process_eoi           write_eoi                vector (the one whose service ended, 0: none), isr, ppr
    vlapic_mmio_write            write_tpr_mmio           offset, data, tpr, ppr
    cpu_deliver_eventinj         deliver_event            vector, eventinj, stage, handler_vector, outer,
                                                          rflags_if, shadow
    cpu_take_virq                take_virq (svm_virq)     vector, v_irq, stage, handler_vector, outer, rflags_if,
                                                          shadow
    guest_ack / guest_iret /     ack / iret / set_if /    stage, shadow / stage, handler_vector, outer, rflags_if,
    guest_set_if / guest_mov_ss  mov_ss                   shadow / enabled, rflags_if, shadow / shadow
    guest_write_cr8              write_cr8                value, v_tpr, shadow

and records that stand for no step of their own: vlapic_intr_accepted (vector, irr, isr, ppr: inside vmrun after the
fix, inside an exit before it), guest_send_ipi (dst, vector), guest_write_eoi (stage, shadow) and
guest_write_tpr_mmio (value), the guest's side of a trapping instruction, emitted after the exit it caused. The
cpu_ and guest_ records have no host probe on real hardware (an instrumented emulator sees them); a map marks their
actions internal to read a trace as dtrace on a host would see it (svm_evtinj_hostonly.map.toml).

`record_run` drives an adapter with random steps of the matching spec's generated model (generated_tests/) and
returns the records:

    python -m examples.bhyve_svm.tracing --variant postfix --seed 1 --steps 200 -o trace.ndjson
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import random
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from .adapters import postfix_adapter, prefix_adapter
from .machine import Vcpu

Record = dict[str, Any]
Run = list[tuple[str, dict[str, Any]]]

GENERATED = Path(__file__).resolve().parents[2] / "generated_tests"
#: variant -> (the spec module its adapter implements, the adapter factory)
VARIANTS: dict[str, tuple[str, Callable[[int], Any]]] = {
    "prefix": ("svm_virq", prefix_adapter),
    "postfix": ("svm_evtinj", postfix_adapter),
}


# ------------------------------------------------------------------------------------------------ values


def vectors(mask: int) -> list[int]:
    """A 256-bit IRR/ISR mask as the sorted list of its vectors."""
    return [v for v in range(mask.bit_length()) if mask >> v & 1]


def _event(event: Any) -> dict[str, Any]:
    return {"valid": event.valid, "vector": event.vector}


def _outer(vcpu: Vcpu) -> dict[str, Any]:
    return {"stage": vcpu.guest.outer_stage.name, "vector": vcpu.guest.outer_vector}


def _shadow(vcpu: Vcpu) -> bool:
    # the CPU's shadow while in the guest, the VMCB's saved copy outside it (APM 15.21.5), as the adapters observe
    return vcpu.guest.shadow if vcpu.in_guest else vcpu.vmcb.intr_shadow


# --------------------------------------------------------------------------------------------- the probes

# What each probe reads after the call, besides the vCPU and the arguments: the registers of the vCPU concerned.
_REGISTERS: dict[str, Callable[[Vcpu], dict[str, Any]]] = {
    "irr": lambda vcpu: vectors(vcpu.vlapic.irr),
    "isr": lambda vcpu: vectors(vcpu.vlapic.isr),
    "tpr": lambda vcpu: vcpu.vlapic.tpr,
    "ppr": lambda vcpu: vcpu.vlapic.ppr,
    "v_irq": lambda vcpu: vcpu.vmcb.v_irq,
    "v_intr_vector": lambda vcpu: vcpu.vmcb.v_intr_vector,
    "v_tpr": lambda vcpu: vcpu.vmcb.v_tpr,
    "eventinj": lambda vcpu: _event(vcpu.vmcb.eventinj),
    # bhyve's saved copy (vm_exit_intinfo), which the next VMRUN re-injects, as the post-fix adapter observes it
    "exitintinfo": lambda vcpu: _event(vcpu.exitintinfo),
    "in_guest": lambda vcpu: vcpu.in_guest,
    "kicked": lambda vcpu: vcpu.kicked,
    "rflags_if": lambda vcpu: vcpu.guest.rflags_if,
    "shadow": _shadow,
    "stage": lambda vcpu: vcpu.guest.stage.name,
    "handler_vector": lambda vcpu: vcpu.guest.handler_vector,
    "outer": _outer,
}

_HANDLER = ("stage", "handler_vector", "outer", "rflags_if", "shadow")

#: probe -> the registers it reports
PROBES: dict[str, tuple[str, ...]] = {
    "svm_inj_interrupts": ("irr", "isr", "v_irq", "v_intr_vector", "v_tpr", "eventinj", "exitintinfo", "rflags_if",
                           "shadow"),
    "svm_vmexit": ("irr", "isr", "tpr", "v_irq", "v_intr_vector", "eventinj", "exitintinfo", "shadow", "in_guest",
                   "kicked"),
    "vlapic_icrlo_write_handler": (),   # the target's registers: see _icrlo_write
    "vlapic_process_eoi": ("isr", "ppr"),
    "vlapic_mmio_write": ("tpr", "ppr"),
    "vlapic_intr_accepted": ("irr", "isr", "ppr"),
    "cpu_deliver_eventinj": ("eventinj",) + _HANDLER,
    "cpu_take_virq": ("v_irq",) + _HANDLER,
    "guest_ack": ("stage", "shadow"),
    "guest_iret": _HANDLER,
    "guest_set_if": ("rflags_if", "shadow"),
    "guest_mov_ss": ("shadow",),
    "guest_write_cr8": ("v_tpr", "shadow"),
    "guest_send_ipi": (),
    "guest_write_eoi": ("stage", "shadow"),
    "guest_write_tpr_mmio": (),
}


def _icrlo_write(vcpu: Vcpu, args: Mapping[str, Any]) -> Record:
    """The ICR write as a D script would decode it (fixed, physical: vector in bits 0..7, APIC ID in 32..63),
    with the target's IRR and whether it was kicked."""
    icrval = args["icrval"]
    dest = icrval >> 32
    target = vcpu.vm.vcpus[dest]
    return {"dest": dest, "vector": icrval & 0xff, "irr": vectors(target.vlapic.irr), "kicked": target.kicked}


class Recorder:
    """Collects one record per probe a Machine passes (machine.probe), in the order the probes fire."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def fire(self, function: str, vcpu: Vcpu, args: Mapping[str, Any]) -> None:
        """The return probe of `function` on `vcpu`, called with `args`: read what it reports and keep it."""
        record: Record = {"event": function, "vcpu": vcpu.vcpuid}
        if function == "vlapic_icrlo_write_handler":
            record.update(_icrlo_write(vcpu, args))
        else:
            record.update(args)
            record.update({name: _REGISTERS[name](vcpu) for name in PROBES[function]})
        self.records.append(record)


# ------------------------------------------------------------------------------------------------- runs


@functools.cache
def load_model(variant: str) -> ModuleType:
    """The generated reference model of the variant's spec (generated_tests/<spec>_model.py), imported under a name of
    its own so that it shadows no suite's import of it."""
    spec_name = VARIANTS[variant][0]
    name = f"_bhyve_tracing_{spec_name}_model"
    spec = importlib.util.spec_from_file_location(name, GENERATED / f"{spec_name}_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def random_run(variant: str, seed: int, steps: int) -> Run:
    """`steps` random steps of the variant's generated model from its initial state, as (action, parameters), with
    the model's CONSTANTS. Each step: an action drawn among those enabled, then one of its enabled instances (drawing
    among all instances at once would let write_cr8's sixteen values crowd out the rest). Deterministic per seed."""
    model = load_model(variant)
    rnd = random.Random(seed)
    s = model.initial_state()
    run: Run = []
    for _ in range(steps):
        by_action: dict[str, list[dict[str, Any]]] = {}
        for action, params in model.enabled_actions(s):
            by_action.setdefault(action, []).append(params)
        if not by_action:
            break  # a deadlock: not reached by these specs (a vCPU outside the guest can always VMRUN)
        action = rnd.choice(list(by_action))
        params = rnd.choice(by_action[action])
        run.append((action, params))
        s = model.step(s, action, params)
    return run


def new_adapter(variant: str, ncpu: int = 2) -> Any:
    """The variant's conformance adapter, of `ncpu` vCPUs (at least the model's NCPU; the others stay in the host)."""
    nmodel = load_model(variant).CONSTANTS["NCPU"]
    if ncpu < nmodel:
        raise ValueError(f"{variant}: the model's runs use {nmodel} vCPUs; ncpu={ncpu} is too few")
    return VARIANTS[variant][1](ncpu)


def record_steps(variant: str, run: Iterable[tuple[str, Mapping[str, Any]]], ncpu: int = 2) -> list[list[Record]]:
    """Drive the variant's adapter through `run` with a recorder on its machine: the records of each step."""
    adapter = new_adapter(variant, ncpu)
    recorder = Recorder()
    adapter.machine.recorder = recorder
    out: list[list[Record]] = []
    for action, params in run:
        start = len(recorder.records)
        getattr(adapter, action)(**params)
        out.append(recorder.records[start:])
    return out


def record_run(variant: str, seed: int, steps: int, ncpu: int = 2) -> list[Record]:
    """The records of a random run (`random_run`) of the variant ("prefix": svm_virq, "postfix": svm_evtinj)."""
    return [record for step in record_steps(variant, random_run(variant, seed, steps), ncpu) for record in step]


def first_lost_ipi(seed: int, steps: int) -> int | None:
    """The step (1-based) after which the pre-fix random run of `seed` has lost an IPI (svm_virq's invariant
    no_lost_ipi fails), or None if it loses none."""
    model = load_model("prefix")
    s = model.initial_state()
    for i, (action, params) in enumerate(random_run("prefix", seed, steps), start=1):
        s = model.step(s, action, params)
        if not model.no_lost_ipi(s):
            return i
    return None


def losing_prefix_seeds(count: int, steps: int, limit: int = 2000) -> list[int]:
    """The first `count` seeds (of 0..limit-1) whose pre-fix random run of `steps` steps loses an IPI: traces of the
    bug. Fewer when fewer of them do."""
    found: list[int] = []
    for seed in range(limit):
        if len(found) == count:
            break
        if first_lost_ipi(seed, steps) is not None:
            found.append(seed)
    return found


# ----------------------------------------------------------------------------------------------- output


def _write_lines(records: Iterable[Record], out: IO[str]) -> None:
    for record in records:
        out.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")


def write_ndjson(records: Iterable[Record], path: str | Path) -> None:
    """One JSON object per line, keys sorted, compact separators."""
    with open(path, "w", encoding="utf-8") as out:
        _write_lines(records, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.bhyve_svm.tracing",
                                     description="Record a random run of the bhyve SVM emulation as NDJSON.")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="postfix")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--ncpu", type=int, default=2)
    parser.add_argument("-o", "--output", help="the NDJSON file to write (default: standard output)")
    args = parser.parse_args(argv)
    records = record_run(args.variant, args.seed, args.steps, args.ncpu)
    if args.output:
        write_ndjson(records, args.output)
    else:
        _write_lines(records, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
