"""Duplicate detection and merge (客户信息整合)."""

from keyaccount.dedupe.matching import (
    DuplicatePair,
    Reason,
    Weights,
    duplicate_groups,
    find_duplicates,
    score_pair,
)
from keyaccount.dedupe.merge import (
    DEFAULT_RULES,
    FieldChoice,
    MergePlan,
    MergeService,
    Rule,
    Survivorship,
    UndoConflict,
)
from keyaccount.dedupe.models import MergeRecord, MergeRecordId
from keyaccount.dedupe.normalise import (
    FREE_MAIL_DOMAINS,
    email_domain,
    normalise_company_name,
    normalise_phone,
)

__all__ = [
    "DEFAULT_RULES",
    "FREE_MAIL_DOMAINS",
    "DuplicatePair",
    "FieldChoice",
    "MergePlan",
    "MergeRecord",
    "MergeRecordId",
    "MergeService",
    "Reason",
    "Rule",
    "Survivorship",
    "UndoConflict",
    "Weights",
    "duplicate_groups",
    "email_domain",
    "find_duplicates",
    "normalise_company_name",
    "normalise_phone",
    "score_pair",
]
