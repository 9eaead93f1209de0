"""Reporting periods: half-open date ranges ``[start, end)`` with the period before them."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError


@attrs.frozen
class Period:
    """``start <= day < end``. ``previous()`` is the period of equal length just before."""

    start: date = attrs.field(validator=v.a_date)
    end: date = attrs.field(validator=v.a_date)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("Period.end", self.end, "must be after start")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise ValidationError("Period.month", month, "must be 1..12")
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last) + timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValidationError("Period.quarter", quarter, "must be 1..4")
        first = 3 * (quarter - 1) + 1
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, first + 3, 1)
        return cls(date(year, first, 1), end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def trailing(cls, last_day: date, days: int) -> Period:
        """The ``days`` days ending with ``last_day`` (inclusive)."""
        if days <= 0:
            raise ValidationError("Period.days", days, "must be positive")
        end = last_day + timedelta(days=1)
        return cls(end - timedelta(days=days), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The same number of days immediately before (for a calendar month, not the previous
        calendar month when lengths differ: growth compares like with like)."""
        return Period(self.start - timedelta(days=self.days), self.start)

    def __contains__(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        return self.start <= day < self.end

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"
