"""The surge rule (未诉先办): when requests about one minor category in one town are far above their
usual level. A pure function of counts, so the worker's detection, its tests and the docs agree on one
definition (docs/domains/events.md, "Surges").

The usual level is the mean count in the same window (same weekday, same hours) of the past
`baseline_weeks` weeks. A window is a surge when all three hold:

1. at least `min_count` requests in it (a handful is never a surge, whatever the ratio);
2. at least `ratio` times the usual level;
3. improbable as chance: under a Poisson law with the usual level as its mean (floored at
   `floor`, so a category that was silent before still needs `min_count`), P(X ≥ count) ≤ `max_p`
   (the one-sided Poisson test of count surveillance, e.g. the CDC's EARS and Farrington methods).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import poisson


@dataclass(frozen=True)
class SurgeRule:
    """The rule's sensitivity (settings `events_surge_*`, docs/configuration.md)."""

    window_hours: float = 2.0
    baseline_weeks: int = 4
    ratio: float = 3.0
    min_count: int = 10
    max_p: float = 0.001
    floor: float = 0.5  # the least usual level a window is held against (a silent past is not zero)

    @classmethod
    def from_settings(cls, settings: object) -> SurgeRule:
        return cls(
            window_hours=settings.events_surge_window_hours,  # type: ignore[attr-defined]
            baseline_weeks=settings.events_surge_baseline_weeks,  # type: ignore[attr-defined]
            ratio=settings.events_surge_ratio,  # type: ignore[attr-defined]
            min_count=settings.events_surge_min_count,  # type: ignore[attr-defined]
            max_p=settings.events_surge_max_p,  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class SurgeDecision:
    is_surge: bool
    count: int
    expected: float  # the usual level: mean of the baseline windows
    ratio: float  # count / max(expected, floor)
    p_value: float  # P(X >= count) for X ~ Poisson(max(expected, floor))


def usual_level(baseline: Sequence[int]) -> float:
    """The mean of the past weeks' counts in the same window (0 with no past weeks)."""
    return sum(baseline) / len(baseline) if baseline else 0.0


def decide_surge(count: int, baseline: Sequence[int], rule: SurgeRule) -> SurgeDecision:
    """Whether `count` requests in the window are a surge against the past weeks' counts `baseline`."""
    expected = usual_level(baseline)
    mean = max(expected, rule.floor)
    p_value = float(poisson.sf(count - 1, mean)) if count > 0 else 1.0
    ratio = count / mean
    surge = count >= rule.min_count and ratio >= rule.ratio and p_value <= rule.max_p
    return SurgeDecision(surge, count, expected, ratio, p_value)
