"""Registers the governance record types: audit trail, handovers, merges and points."""

from __future__ import annotations

from keyaccount.access.models import AuditEntry
from keyaccount.dedupe.models import MergeRecord
from keyaccount.handover.models import Handover
from keyaccount.hookspecs import hookimpl
from keyaccount.loyalty.models import PointsEntry
from keyaccount.schema import RegisterRecordType


@hookimpl
def register_record_types(register: RegisterRecordType) -> None:
    register(AuditEntry, kind="audit_entry", indexes=("actor_id", "at", "kind"))
    register(Handover, kind="handover", indexes=("departing_id", "at"))
    register(MergeRecord, kind="merge_record", indexes=("survivor_id", "at", "status"))
    register(PointsEntry, kind="points_entry", indexes=("customer_id", "at", "source_ref"))
