"""Registers the service-operations record types: visit plans, follow-ups, complaint history
and survey definitions."""

from __future__ import annotations

from keyaccount.complaints.records import ComplaintClock, ComplaintTransition
from keyaccount.followups import FollowUp
from keyaccount.hookspecs import hookimpl
from keyaccount.schema import RegisterRecordType
from keyaccount.surveys.records import SurveyDefinition, SurveyQuestion
from keyaccount.visits.records import PlannedVisit


@hookimpl
def register_record_types(register: RegisterRecordType) -> None:
    register(
        PlannedVisit, kind="planned_visit", indexes=("customer_id", "owner_id", "status", "due_on")
    )
    register(FollowUp, kind="follow_up", indexes=("customer_id", "owner_id", "status", "due_at"))
    register(
        ComplaintTransition, kind="complaint_transition", indexes=("complaint_id", "at", "action")
    )
    register(ComplaintClock, kind="complaint_clock", indexes=("running_since", "deadline_at"))
    register(SurveyDefinition, kind="survey", indexes=("active",))
    register(SurveyQuestion, kind="survey_question", indexes=("survey_id",))
