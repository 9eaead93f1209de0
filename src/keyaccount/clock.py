"""Injectable clocks: every service asks one for "now" so results are reproducible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from keyaccount.errors import ValidationError


class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until told to move; for tests, demos and replays."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_utc("FixedClock.at", at)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> datetime:
        self._at = self._at + delta
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_utc("FixedClock.at", at)

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


def ensure_utc(field: str, value: datetime) -> datetime:
    """Return ``value`` normalised to UTC; reject naive datetimes rather than guess a zone."""
    if type(value) is datetime and value.tzinfo is UTC:
        # Already UTC (nearly every call): two identity checks instead of two utcoffset calls.
        return value
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            field, value, "must be timezone-aware (naive datetimes are ambiguous)"
        )
    if value.utcoffset() == timedelta(0) and value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)
