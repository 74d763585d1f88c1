"""Spec-level mutation (issue 9, item 2): mutants of a spec, each killed by the generated suite, told apart from the
spec by a Z3 trace (a gap of the suite), or proved equivalent.

- `operators`: the mutants. Mutation is done on the source text at the sites the checked IR locates (a comparison,
  an integer literal, a chain of `and`, an assignment, a bit index), and every mutated text goes through the front
  end again. Why text and not IR: a mutant must be a spec, with the intervals, range checks, frames and binder uids
  the checker would give it; rebuilding those for an edited IR would be a second checker that could disagree with
  the first. An edit that no longer checks is skipped with the checker's message.
- `product`: spec and mutant in lockstep, with the agreement (observed variables equal, the same steps enabled and
  in range) as invariants: BMC on it finds the shortest distinguishing run, the prove engines prove equivalence.
- `killing`: the suite's traces replayed on the spec's model with the mutant's model in lockstep, as an
  implementation would be tested.
- `analysis`: `mutation_report`, the whole run and its counts.
"""

from .analysis import Distinction, MutantResult, MutationReport, StepDifference, judge, mutation_report
from .operators import DEFAULT_LIMIT, OPERATORS, Enumeration, Mutant, Skipped, enumerate_mutants, mutants
from .product import Product, build_product

__all__ = ["DEFAULT_LIMIT", "OPERATORS", "Distinction", "Enumeration", "Mutant", "MutantResult", "MutationReport",
           "Product", "Skipped", "StepDifference", "build_product", "enumerate_mutants", "judge", "mutants",
           "mutation_report"]
