"""How a criterion's raw values become 0–100 scores across a book.

Two stated methods:

``PercentileRank`` (default for money and counts)
    ``score = 100 × (below + (equal − 1) / 2) / (n − 1)`` where ``below`` is how many
    customers have a strictly lower raw value and ``equal`` how many share this value (itself
    included). The lowest customer scores 0, the highest 100, ties share a score, and one
    outlier cannot squash everybody else. A book of one customer, or one where every value is
    equal, scores 50 (no comparison is possible).

``MinMax(low, high)``
    ``score = 100 × clamp((x − lo) / (hi − lo), 0, 1)`` with ``lo``/``hi`` the caps when given,
    otherwise the book's minimum/maximum. With both caps the score of a customer does not
    depend on the rest of the book (used for ratings and indexes already on a fixed scale).
    ``hi == lo`` scores 50.

Customers whose raw value is ``None`` (nothing to measure) get the criterion's
``missing_score`` instead and take no part in ranking the others.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping
from typing import Protocol, TypeVar

import attrs

from keyaccount.errors import ValidationError

K = TypeVar("K")


class Normaliser(Protocol):
    """Turns every customer's raw value into a 0–100 score."""

    @property
    def method(self) -> str:
        """A short statement of the method, shown in explanations and docs."""
        ...

    def scores(self, raw: Mapping[K, float]) -> dict[K, float]: ...


@attrs.frozen
class PercentileRank:
    @property
    def method(self) -> str:
        return "percentile rank within the book (lowest 0, highest 100, ties share)"

    def scores(self, raw: Mapping[K, float]) -> dict[K, float]:
        n = len(raw)
        if n == 0:
            return {}
        if n == 1:
            return dict.fromkeys(raw, 50.0)
        span = n - 1
        # One pass over the distinct values in order gives every value's score; a book has
        # far fewer distinct values than customers, and no bisecting per customer is needed.
        counts = Counter(raw.values())
        by_value: dict[float, float] = {}
        below = 0
        for x in sorted(counts):
            if x != x:  # NaN does not order: rank as the bisecting definition below does
                return self._bisected(raw, span)
            equal = counts[x]
            by_value[x] = 100.0 * (below + (equal - 1) / 2) / span
            below += equal
        if len(by_value) == 1:
            return dict.fromkeys(raw, 50.0)
        return {key: by_value[x] for key, x in raw.items()}

    @staticmethod
    def _bisected(raw: Mapping[K, float], span: int) -> dict[K, float]:
        ordered = sorted(raw.values())
        if ordered[0] == ordered[-1]:
            return dict.fromkeys(raw, 50.0)
        out: dict[K, float] = {}
        for key, x in raw.items():
            below = bisect.bisect_left(ordered, x)
            equal = bisect.bisect_right(ordered, x) - below
            out[key] = 100.0 * (below + (equal - 1) / 2) / span
        return out


@attrs.frozen
class MinMax:
    low: float | None = None
    high: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.high <= self.low:
            raise ValidationError("MinMax.high", self.high, f"must be above low ({self.low})")

    @property
    def method(self) -> str:
        lo = "book minimum" if self.low is None else f"{self.low:g}"
        hi = "book maximum" if self.high is None else f"{self.high:g}"
        return f"min-max from {lo} (0) to {hi} (100), capped"

    def scores(self, raw: Mapping[K, float]) -> dict[K, float]:
        if not raw:
            return {}
        lo = self.low if self.low is not None else min(raw.values())
        hi = self.high if self.high is not None else max(raw.values())
        if hi <= lo:
            return dict.fromkeys(raw, 50.0)
        width = hi - lo
        return {k: 100.0 * min(1.0, max(0.0, (x - lo) / width)) for k, x in raw.items()}
