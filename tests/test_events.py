from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from keyaccount.errors import ValidationError
from keyaccount.events import DomainEvent, event_builder

AT = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


def test_event_builder_equals_the_constructor() -> None:
    build = event_builder("tier.changed", AT)
    data = {"from": None, "to": "A", "score": 71.5}
    made = build("c1", data)
    plain = DomainEvent("tier.changed", AT, "c1", {"from": None, "to": "A", "score": 71.5})
    assert made == plain
    assert repr(made) == repr(plain)
    assert hash(made) == hash(plain)
    assert made.data is data  # a plain dict is handed over, not copied
    proxied = build("c2", MappingProxyType({"to": "B"}))
    assert type(proxied.data) is dict
    assert proxied == DomainEvent("tier.changed", AT, "c2", {"to": "B"})


def test_event_builder_checks_once_what_it_shares_and_each_subject() -> None:
    beijing = AT.astimezone(timezone(timedelta(hours=8)))
    assert event_builder("tier.changed", beijing)("c1", {}).occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError, match=r"DomainEvent\.name"):
        event_builder(" ", AT)
    with pytest.raises(ValidationError, match=r"DomainEvent\.occurred_at"):
        event_builder("tier.changed", datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"DomainEvent\.subject_id"):
        event_builder("tier.changed", AT)(" ", {})
