"""What the bench scripts share for reading their timings (run from bench/, the scripts import it by
its bare name, as they import each other)."""

from __future__ import annotations


def pct(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank: p95 of 20 runs is the 19th value, p50 of 20 the 11th."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
