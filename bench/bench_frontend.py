"""Time to parse and check each shipped spec (and a generated 10,000-line spec). Prints a table; asserts nothing.

    python bench/bench_frontend.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from irqspec.front.frontend import load_system
from irqspec.front.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int = 7) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def big_spec(actions: int) -> str:
    lines = ["module big", "var x: 0..1000", "init { x = 0 }"]
    for i in range(actions):
        lines += [f"--- action {i}", f"action a{i}(k: 0..3)", f"  requires x < 1000 and k != {i % 4}", "{",
                  "  let y = x + k", "  if y <= 1000 { x' = y }", "}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    print(f"{'input':<34} {'lines':>7} {'median ms':>10}")
    for spec in sorted((ROOT / "spec").glob("*.irq")):
        lines = spec.read_text().count("\n")
        ms = timed(lambda: load_system(spec)) * 1000
        print(f"{spec.name:<34} {lines:>7} {ms:>10.1f}")
    text = big_spec(1430)
    ms = timed(lambda: parse_text(text, "big.irq"), repeat=3) * 1000
    print(f"{'generated spec, parse only':<34} {text.count(chr(10)):>7} {ms:>10.1f}")
    path = Path("/tmp/irqspec_bench_big.irq")
    path.write_text(text)
    ms = timed(lambda: load_system(path), repeat=3) * 1000
    print(f"{'generated spec, parse + check':<34} {text.count(chr(10)):>7} {ms:>10.1f}")


if __name__ == "__main__":
    main()
