"""Interactions and visit plans (客户沟通与协作 / 拜访计划)."""

from keyaccount.visits.records import PlannedVisit, PlannedVisitId, VisitStatus

__all__ = ["PlannedVisit", "PlannedVisitId", "VisitStatus"]
