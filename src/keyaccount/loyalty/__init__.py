"""Loyalty points (忠诚度计划 / 积分): a ledger whose sum is the balance."""

from keyaccount.loyalty.models import PointsEntry, PointsEntryId, PointsKind
from keyaccount.loyalty.rules import EarnRules
from keyaccount.loyalty.service import InsufficientPoints, Lot, LoyaltyService, lots_of

__all__ = [
    "EarnRules",
    "InsufficientPoints",
    "Lot",
    "LoyaltyService",
    "PointsEntry",
    "PointsEntryId",
    "PointsKind",
    "lots_of",
]
