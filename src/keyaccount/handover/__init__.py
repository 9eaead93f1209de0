"""Handover (客户交接): move a departing manager's accounts and open work in one step."""

from keyaccount.handover.models import Handover, HandoverId
from keyaccount.handover.service import (
    DEFAULT_MOVERS,
    HandoverConflict,
    HandoverPlan,
    HandoverService,
    Move,
    Mover,
)

__all__ = [
    "DEFAULT_MOVERS",
    "Handover",
    "HandoverConflict",
    "HandoverId",
    "HandoverPlan",
    "HandoverService",
    "Move",
    "Mover",
]
