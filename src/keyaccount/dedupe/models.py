"""The merge history record (合并记录)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.ids import CustomerId, UserId

MergeRecordId = NewType("MergeRecordId", str)

APPLIED = "applied"
UNDONE = "undone"


def _status(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in (APPLIED, UNDONE):
        raise ValidationError(v.field_name(instance, attribute), value, "must be applied or undone")


@attrs.frozen
class MergeRecord:
    """One merge of ``loser_ids`` into ``survivor_id``, with what undo needs.

    ``provenance`` maps each survivor field to the customer id(s) its value came from and
    ``rules`` to the survivorship rule that chose it. ``prior`` maps ``"<kind>:<id>"`` of every
    record the merge changed to that record's exact stored row before the merge (JSON);
    ``after`` maps the same keys to a digest of the row the merge wrote, so undo can tell
    whether anything changed since.
    """

    id: MergeRecordId = attrs.field(validator=v.record_id)
    survivor_id: CustomerId = attrs.field(validator=v.record_id)
    loser_ids: tuple[str, ...] = attrs.field(converter=v.text_tuple, validator=v.all_text)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    provenance: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    rules: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    prior: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    after: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    by_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    status: str = attrs.field(default=APPLIED, validator=_status)
    undone_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )

    def __attrs_post_init__(self) -> None:
        if not self.loser_ids:
            raise ValidationError("MergeRecord.loser_ids", (), "a merge needs at least one loser")
        if (self.status == UNDONE) != (self.undone_at is not None):
            raise ValidationError(
                "MergeRecord.undone_at", self.undone_at, "is set exactly when the merge is undone"
            )
