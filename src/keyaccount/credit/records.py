"""What has already been announced about credit risk, so a review only announces changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.credit.alerts import RiskResponse
from keyaccount.models import CustomerId, Severity
from keyaccount.models.enums import coerce, to_severity


def to_risk_response(value: Any) -> Any:
    return coerce(RiskResponse, value)


def alert_state_id(customer_id: str, code: str) -> str:
    return f"{customer_id}.{code}"


@attrs.frozen
class RiskAlertState:
    """An alert (one rule for one customer) that holds and has been announced.

    ``id`` is ``<customer id>.<rule code>``; ``raised_at`` is when it was first announced,
    ``updated_at`` when its severity or response last changed. The state is removed once
    the alert no longer holds, so a recurrence is announced again.
    """

    id: str = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    code: str = attrs.field(validator=v.non_empty_text)
    severity: Severity = attrs.field(converter=to_severity, validator=v.member_of(Severity))
    response: RiskResponse = attrs.field(
        converter=to_risk_response, validator=v.member_of(RiskResponse)
    )
    raised_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    updated_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
