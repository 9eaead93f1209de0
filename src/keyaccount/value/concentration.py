"""Revenue concentration (客户集中度): how much of the book hangs on its biggest customers.

Over net revenue (refunds netted) in the RFM window of the facts, counting only customers whose
window revenue is positive (a negative or zero share has no meaning for concentration):

- ``share(top N) = sum of the N largest revenues / total revenue``; if fewer than N customers
  have revenue, the share is over all of them (so it is 1).
- Herfindahl–Hirschman index ``HHI = sum(s_i ** 2)`` over every customer's share ``s_i``, from
  ``1/n`` (even) to 1 (one customer); ``hhi_points`` is the same times 10 000, the scale
  competition authorities use (above 2 500 counts as highly concentrated).
- ``effective_customers = 1 / HHI``: the number of equal customers with the same concentration.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from operator import itemgetter

import attrs

from keyaccount.errors import ValidationError
from keyaccount.models.ids import CustomerId
from keyaccount.money import Money
from keyaccount.value.facts import BookFacts

DEFAULT_TOP_N = (1, 5, 10, 20)


@attrs.frozen
class TopShare:
    n: int
    customers: tuple[CustomerId, ...]
    revenue: Money
    share: float


@attrs.frozen
class ConcentrationResult:
    currency: str
    window_days: int
    customers_with_revenue: int
    total_revenue: Money
    top: tuple[TopShare, ...]
    hhi: float

    @property
    def hhi_points(self) -> float:
        return self.hhi * 10_000

    @property
    def effective_customers(self) -> float:
        return 1 / self.hhi if self.hhi > 0 else 0.0

    def share_of_top(self, n: int) -> float:
        for t in self.top:
            if t.n == n:
                return t.share
        raise KeyError(n)


def revenue_concentration(
    facts: BookFacts, top_n: Sequence[int] = DEFAULT_TOP_N
) -> ConcentrationResult:
    """Top-N revenue shares and the Herfindahl index of the book's window revenue."""
    for n in top_n:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError("top_n", n, "must be positive whole numbers")
    # Highest revenue first, ties by id: a stable sort by id, then a stable descending sort
    # by revenue, instead of a key function building (-revenue, id) per customer.
    zero = Decimal(0)  # a Decimal compares with a Decimal in half the time it takes with 0
    by_id = sorted(
        ((f.window_revenue, f.customer_id) for f in facts.customers if f.window_revenue > zero),
        key=itemgetter(1),
    )
    positive = sorted(by_id, key=itemgetter(0), reverse=True)
    total = sum((rev for rev, _ in positive), Decimal(0))
    tops = []
    for n in sorted(set(top_n)):
        head = positive[:n]
        revenue = sum((rev for rev, _ in head), Decimal(0))
        tops.append(
            TopShare(
                n=n,
                customers=tuple(cid for _, cid in head),
                revenue=Money(revenue, facts.currency),
                share=float(revenue / total) if total > 0 else 0.0,
            )
        )
    # Σ (r_i / R)² = Σ r_i² / R², exact in Decimal with a single division.
    squares = sum((rev * rev for rev, _ in positive), Decimal(0))
    hhi = squares / (total * total) if total > 0 else Decimal(0)
    return ConcentrationResult(
        currency=facts.currency,
        window_days=facts.window_days,
        customers_with_revenue=len(positive),
        total_revenue=Money(total, facts.currency),
        top=tuple(tops),
        hhi=float(hhi),
    )
