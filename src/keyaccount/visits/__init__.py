"""Interactions and visit plans (客户沟通与协作 / 拜访计划)."""

from keyaccount.visits.records import PlannedVisit, PlannedVisitId, VisitStatus
from keyaccount.visits.service import (
    LoggedInteraction,
    MissingReport,
    OverdueVisit,
    VisitCompletion,
    VisitPlan,
    file_visit_report,
    local_today,
    log_interaction,
    mark_missed_visits,
    overdue_visits,
    plan_visits,
    visit_completion,
    visits_missing_report,
)

__all__ = [
    "LoggedInteraction",
    "MissingReport",
    "OverdueVisit",
    "PlannedVisit",
    "PlannedVisitId",
    "VisitCompletion",
    "VisitPlan",
    "VisitStatus",
    "file_visit_report",
    "local_today",
    "log_interaction",
    "mark_missed_visits",
    "overdue_visits",
    "plan_visits",
    "visit_completion",
    "visits_missing_report",
]
