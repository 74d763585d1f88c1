"""Mutants of the post-fix bhyve port (examples/bhyve_svm) and the machinery bench/bench_mutants.py measures them with.

catalogue.py   the mutants: each one realistic slip in a named bhyve function, as source edits
port.py        mutated copies of the port, imported under names of their own (the real port is never touched)
counting.py    an adapter wrapper that counts steps (action calls) and notes the first exception
suites.py      the committed generated svm_evtinj suites run in-process against one port, per-test records
"""
