"""Replay a trace against the Z3 transition relation: is each step a step of the spec?

Used to check traces that come back from elsewhere (ITF files, the generated Python model, another tool): the first
state must be initial, and each consecutive pair must satisfy `trans` with the recorded action and parameters.
"""

from __future__ import annotations

import z3

from irqspec.runtime.trace import Trace

from .. import ir
from .bmc import new_solver
from .context import in_fresh_context
from .system import SymbolicSystem


@in_fresh_context
def first_bad_step(system: ir.System, trace: Trace) -> int | None:
    """The index of the first step of `trace` that the spec does not allow (0: the first state is not initial), or
    None when the whole trace replays."""
    enc = SymbolicSystem(system)
    s0 = enc.state("r0")
    q = new_solver()
    q.add(enc.init(s0), s0.assign(trace.steps[0].state))
    if q.check() != z3.sat:
        return 0
    for i in range(1, len(trace.steps)):
        pre, post = enc.state(f"r{i - 1}"), enc.state(f"r{i}")
        step = trace.steps[i]
        if step.action is None:
            return i
        q = new_solver()
        q.add(pre.assign(trace.steps[i - 1].state), enc.trans(pre, post), post.assign(step.state),
              post.step.assign(step.action, step.params))
        if q.check() != z3.sat:
            return i
    return None
