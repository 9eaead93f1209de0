"""The audit trail record (审计日志)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.access.policy import Action
from keyaccount.errors import ValidationError


def to_action(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, Action):
        try:
            return Action(value)
        except ValueError:
            return value
    return value


OUTCOMES = ("allowed", "denied", "rolled_back")


def _outcome(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in OUTCOMES:
        raise ValidationError(
            v.field_name(instance, attribute), value, f"must be one of {OUTCOMES}"
        )


@attrs.frozen
class AuditEntry:
    """Who did what to which records, when, and whether it was allowed.

    ``record_ids`` lists every record a read returned or a write touched; a denied attempt
    names the records it aimed at. ``outcome`` is ``allowed``, ``denied`` or ``rolled_back``
    (a write whose transaction did not commit).
    """

    id: str = attrs.field(validator=v.record_id)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    actor_id: str = attrs.field(validator=v.record_id)
    role: str = attrs.field(validator=v.non_empty_text)
    action: Action = attrs.field(converter=to_action, validator=v.member_of(Action))
    kind: str = attrs.field(validator=v.non_empty_text)
    record_ids: tuple[str, ...] = attrs.field(
        default=(), converter=v.text_tuple, validator=v.all_text
    )
    outcome: str = attrs.field(default="allowed", validator=_outcome)
    detail: str | None = attrs.field(default=None, validator=v.optional_text)
