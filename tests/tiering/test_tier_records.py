from datetime import datetime, timedelta, timezone

import pytest
from tierkit import NOW

from keyaccount.errors import ValidationError
from keyaccount.lifecycle import Stage, StageTransition
from keyaccount.models import CustomerId
from keyaccount.tiering import TierOverride


def test_history_records_convert_other_zones_and_refuse_naive_times() -> None:
    beijing = NOW.astimezone(timezone(timedelta(hours=8)))
    t = StageTransition("s1", CustomerId("c1"), Stage.LOYAL, beijing, "why", NOW)
    assert t.occurred_at == NOW
    assert t.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError, match=r"StageTransition\.recorded_at"):
        StageTransition("s1", CustomerId("c1"), Stage.LOYAL, NOW, "why", datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"TierOverride\.created_at"):
        TierOverride("o1", CustomerId("c1"), "A", "r", "a", "2026-01-01", NOW)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"StageTransition\.to_stage"):
        StageTransition("s1", CustomerId("c1"), "lost", NOW, "why", NOW)  # type: ignore[arg-type]
