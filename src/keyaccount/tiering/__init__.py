"""Tiering (客户分级): weighted, explainable scoring, tier assignment with hysteresis and
overrides, and the service policy each tier is entitled to.

API summary (all results are frozen attrs; nothing here queries the store per customer)::

    from keyaccount.activity import group_activity, load_activity   # one pass, per customer
    from keyaccount.tiering import (
        ScoringModel, TieringService, RankShare, ScoreThresholds, Hysteresis,
        ABC, STRATEGIC_KEY_ORDINARY, VIP_IMPORTANT_ORDINARY, assign_tiers,
    )

    book = load_activity(store)            # or group_activity(customers, transactions=..., ...)
    model = ScoringModel.default()         # or ScoringModel.from_host(host, weights={...})
    scores = model.score(book, as_of=now, rates=rates, potential={cid: 1..5})
    #   -> {customer_id: CustomerScore(score 0-100, criteria=(CriterionScore(name, raw,
    #       score, weight, contribution, method), ...))}
    decisions = assign_tiers(scores, ABC, RankShare({"A": 0.2, "B": 0.3}), as_of=now,
                             previous={cid: "B"}, overrides={cid: TierOverride},
                             hysteresis=Hysteresis(5.0))
    #   -> {customer_id: TierDecision(tier, computed_tier, base_tier, previous_tier,
    #       score: CustomerScore, reason, override_id, changed)}

    svc = TieringService(store, clock, events, rates, tier_set=ABC, rule=..., hysteresis=...)
    result = svc.evaluate(book)            # pure: TieringResult(as_of, decisions, changed, counts())
    result = svc.run(book)                 # + stores TierRun/TierAssignment history, updates
                                           #   Customer.tier, emits "tier.changed" events
    svc.override(cid, "A", reason=..., author=..., expires_at=...)   # TierOverride record

    default_policy_book().for_tier("A")    # TierPolicy: service entitlements per tier

Plugins add criteria with the ``register_tier_criteria(register)`` hook:
``register(Criterion(name, label, measure, normaliser, default_weight, missing_score))``.
"""

from keyaccount.tiering.assign import (
    Hysteresis,
    RankShare,
    ScoreThresholds,
    TierDecision,
    TierRule,
    assign_tiers,
)
from keyaccount.tiering.criteria import (
    BUILT_IN_CRITERIA,
    Criterion,
    RegisterTierCriterion,
    ScoringContext,
)
from keyaccount.tiering.normalise import MinMax, Normaliser, PercentileRank
from keyaccount.tiering.policy import PolicyBook, TierPolicy, default_policy_book
from keyaccount.tiering.records import PotentialRating, TierAssignment, TierOverride, TierRun
from keyaccount.tiering.scoring import CriterionScore, CustomerScore, ScoringModel
from keyaccount.tiering.service import TIER_CHANGED, TieringResult, TieringService, default_rule
from keyaccount.tiering.sets import (
    ABC,
    READY_MADE,
    STRATEGIC_KEY_ORDINARY,
    VIP_IMPORTANT_ORDINARY,
    Tier,
    TierSet,
)

__all__ = [
    "ABC",
    "BUILT_IN_CRITERIA",
    "READY_MADE",
    "STRATEGIC_KEY_ORDINARY",
    "TIER_CHANGED",
    "VIP_IMPORTANT_ORDINARY",
    "Criterion",
    "CriterionScore",
    "CustomerScore",
    "Hysteresis",
    "MinMax",
    "Normaliser",
    "PercentileRank",
    "PolicyBook",
    "PotentialRating",
    "RankShare",
    "RegisterTierCriterion",
    "ScoreThresholds",
    "ScoringContext",
    "ScoringModel",
    "Tier",
    "TierAssignment",
    "TierDecision",
    "TierOverride",
    "TierPolicy",
    "TierRule",
    "TierRun",
    "TierSet",
    "TieringResult",
    "TieringService",
    "assign_tiers",
    "default_policy_book",
    "default_rule",
]
