"""The Z3 backend: IR -> Z3 terms (encode), bounded model checking with shortest counterexamples (bmc), and proofs by
induction, k-induction and Spacer with independently re-checked certificates (prove)."""
