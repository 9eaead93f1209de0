"""Complaint handling (客户投诉处理): ISO 10002 / GB/T 19012 workflow with business-hour SLAs."""

from keyaccount.complaints.policy import (
    ComplaintPolicy,
    EscalationLadder,
    EscalationStep,
    SlaMatrix,
    default_complaint_policy,
)
from keyaccount.complaints.records import ComplaintAction, ComplaintClock, ComplaintTransition
from keyaccount.complaints.service import (
    ComplaintUpdate,
    Escalation,
    advance_complaint,
    check_deadlines,
    complaint_history,
    open_complaint,
    pause_complaint,
    reopen_complaint,
    resume_complaint,
)
from keyaccount.complaints.summary import ComplaintSummary, RecurringComplaint, summarize_complaints
from keyaccount.complaints.workflow import (
    ALLOWED,
    ComplaintClockError,
    IllegalComplaintTransition,
)

__all__ = [
    "ALLOWED",
    "ComplaintAction",
    "ComplaintClock",
    "ComplaintClockError",
    "ComplaintPolicy",
    "ComplaintSummary",
    "ComplaintTransition",
    "ComplaintUpdate",
    "Escalation",
    "EscalationLadder",
    "EscalationStep",
    "IllegalComplaintTransition",
    "RecurringComplaint",
    "SlaMatrix",
    "advance_complaint",
    "check_deadlines",
    "complaint_history",
    "default_complaint_policy",
    "open_complaint",
    "pause_complaint",
    "reopen_complaint",
    "resume_complaint",
    "summarize_complaints",
]
