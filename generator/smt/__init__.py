"""The Z3 backend: the IR as Z3 formulas, bounded model checking, and proofs with re-checked certificates.

Entry points (each runs in a Z3 context of its own, see `context`):
    bmc.check(system, ...)       -> CheckResult   the shortest run that violates an invariant (or "range:<var>")
    bmc.reach / reach_branch     -> ReachResult   the shortest run to a cover goal, or ending in an action's branch
    prove.prove(system, ...)     -> ProofResult   induction, k-induction, Spacer, or the portfolio ("auto")
    replay.first_bad_step(system, trace)          does a trace (e.g. read from ITF) replay against the spec?

Modules, bottom up: values (how values are Z3 terms), storage (one Z3 constant per scalar part), ops (Z3_OPS, one
builder per row of generator.semantics.OPERATORS), encode (expressions), state (state copies and step choices),
goals (which properties), system (init, trans, violations, traces), bmc, inductive (the three queries), certificate,
induction (induction, k-induction), spacer, outcome (ProofResult), prove (dispatch, re-check, portfolio), replay.
"""
