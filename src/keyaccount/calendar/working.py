"""Working calendars: which hours count when a deadline is measured in business hours.

A calendar is data: daily working periods in a local time zone, the weekday numbers of the
weekend, public holidays and make-up workdays (调休上班, a weekend day worked in exchange for a
longer holiday). Arithmetic happens in local time and results come back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from keyaccount.clock import ensure_utc
from keyaccount.errors import KeyaccountError, ValidationError

# Far enough to cross any real run of holidays; a calendar with no working time in this span
# is a configuration error, not a long wait.
_MAX_SCAN_DAYS = 3660

DEFAULT_HOURS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))


class CalendarNotCovered(KeyaccountError):
    """A strict calendar was asked about a year it holds no holiday data for."""

    def __init__(self, calendar: str, year: int) -> None:
        self.calendar = calendar
        self.year = year
        super().__init__(
            f"calendar {calendar!r} has no holiday data for {year}; load that year's calendar "
            "or use a non-strict calendar"
        )


def _to_hours(value: Any) -> tuple[tuple[time, time], ...]:
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise ValidationError("WorkingCalendar.hours", value, "must be (start, end) time pairs")
    periods = tuple(tuple(p) for p in value)
    for p in periods:
        if len(p) != 2 or not all(isinstance(t, time) and t.tzinfo is None for t in p):
            raise ValidationError("WorkingCalendar.hours", p, "each period is two naive times")
    return periods


def _check_hours(instance: Any, attribute: Any, value: tuple[tuple[time, time], ...]) -> None:
    del instance, attribute
    previous_end: time | None = None
    for start, end in value:
        if start >= end:
            raise ValidationError("WorkingCalendar.hours", (start, end), "start must be before end")
        if previous_end is not None and start < previous_end:
            raise ValidationError(
                "WorkingCalendar.hours", (start, end), "periods must be in order, not overlapping"
            )
        previous_end = end


def _to_weekdays(value: Any) -> frozenset[int]:
    days = frozenset(value)
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
        raise ValidationError(
            "WorkingCalendar.weekend", value, "weekdays are 0 (Monday) to 6 (Sunday)"
        )
    return days


def _to_dates(value: Any) -> frozenset[date]:
    days = frozenset(value)
    for d in days:
        if not isinstance(d, date) or isinstance(d, datetime):
            raise ValidationError("WorkingCalendar.dates", d, "must be a date")
    return days


def _to_years(value: Any) -> frozenset[int]:
    years = frozenset(value)
    if not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        raise ValidationError("WorkingCalendar.years", value, "must be whole years")
    return years


def _check_zone(instance: Any, attribute: Any, value: str) -> None:
    del instance, attribute
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            "WorkingCalendar.timezone", value, "is not a known time zone"
        ) from None


@attrs.frozen
class WorkingCalendar:
    """Business time: ``hours`` on every working day, in ``timezone``.

    A day works when it is a make-up workday, or when it is neither a holiday nor a weekend
    day. ``years`` lists the years whose holidays are known; with ``strict`` a question about
    any other year raises ``CalendarNotCovered`` instead of silently treating it as holiday-free.
    """

    name: str
    timezone: str = attrs.field(default="Asia/Shanghai", validator=_check_zone)
    hours: tuple[tuple[time, time], ...] = attrs.field(
        default=DEFAULT_HOURS, converter=_to_hours, validator=_check_hours
    )
    weekend: frozenset[int] = attrs.field(default=frozenset({5, 6}), converter=_to_weekdays)
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_to_dates)
    workdays: frozenset[date] = attrs.field(default=frozenset(), converter=_to_dates)
    years: frozenset[int] = attrs.field(default=frozenset(), converter=_to_years)
    strict: bool = False
    # Day → UTC periods. Deadline arithmetic revisits the same days constantly and building
    # zone-aware datetimes dominates its cost; the calendar is immutable, so caching is safe.
    _periods: dict[date, tuple[tuple[datetime, datetime], ...]] = attrs.field(
        factory=dict, init=False, eq=False, hash=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        if not self.hours:
            raise ValidationError("WorkingCalendar.hours", self.hours, "needs at least one period")
        clash = self.holidays & self.workdays
        if clash:
            raise ValidationError(
                "WorkingCalendar.workdays",
                sorted(clash)[0],
                "a day cannot be both a holiday and a make-up workday",
            )
        if len(self.weekend) == 7 and not self.workdays:
            raise ValidationError("WorkingCalendar.weekend", sorted(self.weekend), "no day works")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def seconds_per_day(self) -> int:
        return sum(_seconds(start, end) for start, end in self.hours)

    def merged(self, other: WorkingCalendar, name: str | None = None) -> WorkingCalendar:
        """This calendar's hours and zone with ``other``'s holidays and workdays added.

        Where the two disagree about a day, ``other`` wins, so a user file can correct the
        bundled data.
        """
        holidays = (self.holidays - other.workdays) | other.holidays
        workdays = (self.workdays - other.holidays) | other.workdays
        return attrs.evolve(
            self,
            name=name or f"{self.name}+{other.name}",
            holidays=holidays,
            workdays=workdays,
            years=self.years | other.years,
        )

    def is_working_day(self, day: date) -> bool:
        if self.strict and self.years and day.year not in self.years:
            raise CalendarNotCovered(self.name, day.year)
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() not in self.weekend

    def periods_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working periods of ``day`` as UTC (start, end) pairs; empty on a day off."""
        cached = self._periods.get(day)
        if cached is not None:
            return cached
        periods: tuple[tuple[datetime, datetime], ...] = ()
        if self.is_working_day(day):
            zone = self.zone
            periods = tuple(
                (
                    datetime.combine(day, start, zone).astimezone(UTC),
                    datetime.combine(day, end, zone).astimezone(UTC),
                )
                for start, end in self.hours
            )
        if len(self._periods) < 20_000:
            self._periods[day] = periods
        return periods

    def _days_from(self, moment: datetime) -> Iterator[date]:
        day = moment.astimezone(self.zone).date()
        for offset in range(_MAX_SCAN_DAYS):
            yield day + timedelta(days=offset)
        raise ValidationError(
            "WorkingCalendar", self.name, f"has no working time within {_MAX_SCAN_DAYS} days"
        )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of business time after ``start`` (UTC).

        A zero duration started outside working time lands on the next working moment, since
        nothing is due while the office is closed.
        """
        start = ensure_utc("start", start)
        if duration < timedelta(0):
            raise ValidationError("duration", duration, "must not be negative")
        remaining = duration
        # The day before covers a period that began last local day and runs past midnight UTC.
        for day in self._days_from(start - timedelta(days=1)):
            for period_start, period_end in self.periods_on(day):
                if period_end <= start:
                    continue
                begin = max(period_start, start)
                available = period_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        raise AssertionError("unreachable: _days_from raises when it runs out")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end``; negative if ``end`` comes first."""
        start = ensure_utc("start", start)
        end = ensure_utc("end", end)
        if end < start:
            return -self.between(end, start)
        total = timedelta(0)
        last_day = end.astimezone(self.zone).date()
        for day in self._days_from(start - timedelta(days=1)):
            if day > last_day:
                return total
            for period_start, period_end in self.periods_on(day):
                lo = max(period_start, start)
                hi = min(period_end, end)
                if hi > lo:
                    total += hi - lo
        raise AssertionError("unreachable: _days_from raises when it runs out")

    def is_working_time(self, moment: datetime) -> bool:
        moment = ensure_utc("moment", moment)
        day = moment.astimezone(self.zone).date()
        return any(s <= moment < e for s, e in self.periods_on(day))


def _seconds(start: time, end: time) -> int:
    return (
        (end.hour - start.hour) * 3600
        + (end.minute - start.minute) * 60
        + (end.second - start.second)
    )
