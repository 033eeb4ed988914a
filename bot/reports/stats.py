"""Small, exact statistics for deciding when a change is real and not noise."""

from __future__ import annotations

import math


def binomial_upper_tail(successes: int, trials: int, rate: float) -> float:
    """Return P(X >= successes) for X ~ Binomial(trials, rate), computed exactly."""
    if successes <= 0:
        return 1.0
    if successes > trials:
        return 0.0
    if rate <= 0.0:
        return 0.0
    if rate >= 1.0:
        return 1.0
    log_rate, log_rest = math.log(rate), math.log1p(-rate)
    terms = [
        math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
        + k * log_rate + (trials - k) * log_rest
        for k in range(successes, trials + 1)
    ]  # fmt: skip
    peak = max(terms)
    return min(1.0, math.exp(peak) * sum(math.exp(t - peak) for t in terms))


def smoothed_rate(successes: int, trials: int) -> float:
    """Return a baseline rate that is never exactly 0 or 1 (Jeffreys prior)."""
    return (successes + 0.5) / (trials + 1.0)


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Return the Wilson score interval of a proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)
