"""Registers the record types of tiering and lifecycle, through the same hook plugins use."""

from __future__ import annotations

from keyaccount.hookspecs import hookimpl
from keyaccount.lifecycle.records import LifecycleState, StageTransition
from keyaccount.schema import RegisterRecordType
from keyaccount.tiering.records import PotentialRating, TierAssignment, TierOverride, TierRun


@hookimpl
def register_record_types(register: RegisterRecordType) -> None:
    register(TierRun, kind="tier_run", indexes=("ran_at",))
    register(TierAssignment, kind="tier_assignment", indexes=("run_id", "customer_id", "tier"))
    register(TierOverride, kind="tier_override", indexes=("customer_id", "expires_at"))
    register(PotentialRating, kind="potential_rating", indexes=("customer_id", "rated_at"))
    register(
        StageTransition, kind="stage_transition", indexes=("customer_id", "occurred_at", "to_stage")
    )
    register(LifecycleState, kind="lifecycle_state", indexes=("stage", "warning"))
