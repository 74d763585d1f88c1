"""A small Python emulation of bhyve's interrupt path on AMD SVM, before and after the change reviewed as D13780.

vlapic.py       the software local APIC (sys/amd64/vmm/io/vlapic.c)
vmcb.py         the VMCB fields the interrupt path reads and writes (sys/amd64/vmm/amd/vmcb.h)
machine.py      vCPUs, the guest model (what the guest's instructions do) and the hardware steps shared by both variants
svm_prefix.py   svm.c before the change: LAPIC vectors posted through V_IRQ, accepted at the next #VMEXIT
svm_postfix.py  svm.c after the change: LAPIC vectors injected through EVENTINJ and accepted at injection
adapters.py     the conformance adapters for spec/svm_virq.irq and spec/svm_evtinj.irq
tracing.py      records of a run as dtrace's return probes would see them (NDJSON), read by svm_evtinj.map.toml
                (every step) and svm_evtinj_hostonly.map.toml (the host's steps only)
"""
