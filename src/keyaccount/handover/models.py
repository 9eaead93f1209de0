"""The handover record (客户交接单)."""

from __future__ import annotations

from datetime import datetime
from typing import NewType

import attrs

from keyaccount import validation as v
from keyaccount.models.ids import UserId

HandoverId = NewType("HandoverId", str)


@attrs.frozen
class Handover:
    """One departing manager's open work moved to successors, as it was done.

    ``moves`` maps ``"<kind>:<record id>"`` to the successor's user id, so the record says
    exactly what moved where even after the records themselves change again.
    """

    id: HandoverId = attrs.field(validator=v.record_id)
    departing_id: UserId = attrs.field(validator=v.record_id)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    moves: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    default_successor_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    by_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    deactivated: bool = attrs.field(default=False, validator=v.a_bool)
    note: str | None = attrs.field(default=None, validator=v.optional_text)
