"""The portfolio review (组合评审): tiering, lifecycle and churn warning, customer value,
credit risk and KPIs over the whole book in one call, rendered for people and exported.

API::

    result = run_review(store, clock=clock, rates=ExchangeRates.single("CNY"), events=host,
                        config=ReviewConfig(...))      # -> ReviewResult (frozen)
    print(render_review(result, "zh"))                # or "en"
    write_json(result, "review.json"); write_csv(result, "review_csv/")

See ``docs/review.md``.
"""

from keyaccount.review.export import review_document, write_atomic, write_csv, write_json
from keyaccount.review.render import render_review
from keyaccount.review.result import (
    AccountRow,
    ChurnWarningRow,
    LifecycleSection,
    ReviewResult,
    StageChange,
    TierChange,
    TierSection,
)
from keyaccount.review.service import ReviewConfig, run_review

__all__ = [
    "AccountRow",
    "ChurnWarningRow",
    "LifecycleSection",
    "ReviewConfig",
    "ReviewResult",
    "StageChange",
    "TierChange",
    "TierSection",
    "render_review",
    "review_document",
    "run_review",
    "write_atomic",
    "write_csv",
    "write_json",
]
