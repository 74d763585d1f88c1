"""Front-end fuzzing, longer than the CI run: random token streams and mutated seed specs through the in-process
front end. Prints cases per second and how the cases ended; asserts nothing, but stops at the first case that ends in
anything other than success or a positioned SpecError (and prints it).

    python bench/bench_fuzz.py [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_fuzz_frontend import INTS, KEYWORDS, NAMES, PUNCT, SEED_TOKENS

from irqspec.front.diagnostics import SpecError
from irqspec.front.frontend import load

VOCABULARY = KEYWORDS + PUNCT + NAMES + INTS


def token_stream(rnd: random.Random) -> str:
    return "module fuzz\n" + " ".join(rnd.choice(VOCABULARY) for _ in range(rnd.randint(0, 80)))


def mutated_seed(rnd: random.Random) -> str:
    tokens = list(rnd.choice(SEED_TOKENS))
    for _ in range(rnd.randint(1, 6)):
        i = rnd.randrange(len(tokens))
        how = rnd.randrange(4)
        if how == 0:
            del tokens[i]
        elif how == 1:
            tokens.insert(i, tokens[i])
        elif how == 2:
            j = rnd.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            tokens[i] = rnd.choice(VOCABULARY)
    return " ".join(tokens)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    outcomes = {"loaded": 0, "spec error": 0}
    start = time.perf_counter()
    for n in range(args.cases):
        text = token_stream(rnd) if n % 2 == 0 else mutated_seed(rnd)
        try:
            load("fuzz.irq", text=text)
            outcomes["loaded"] += 1
        except SpecError as err:
            if not err.diagnostics or any(d.span.line < 1 for d in err.diagnostics):
                print(f"unpositioned error on case {n}:\n{text}\n{err.render()}")
                return
            outcomes["spec error"] += 1
        except Exception as err:  # noqa: BLE001 -- the finding this bench exists for: show the case that crashed
            print(f"case {n} crashed with {type(err).__name__}: {err}\n{text}")
            return
    elapsed = time.perf_counter() - start
    print(f"{args.cases:,} cases in {elapsed:.1f} s: {args.cases / elapsed:,.0f} cases/s "
          f"({outcomes['loaded']:,} loaded, {outcomes['spec error']:,} positioned errors)")


if __name__ == "__main__":
    main()
