"""Properties of business-time arithmetic over the bundled Chinese calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from keyaccount.calendar import china_calendar

CAL = china_calendar()

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=200 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(moments, durations)
def test_between_undoes_add(start: datetime, duration: timedelta) -> None:
    due = CAL.add(start, duration)
    assert due >= start
    assert CAL.between(start, due) == duration


@settings(max_examples=200, derandomize=True, deadline=None)
@given(moments, durations, durations)
def test_add_is_additive(start: datetime, first: timedelta, second: timedelta) -> None:
    assert CAL.add(CAL.add(start, first), second) == CAL.add(start, first + second)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(moments, moments)
def test_between_is_antisymmetric_and_bounded(a: datetime, b: datetime) -> None:
    assert CAL.between(a, b) == -CAL.between(b, a)
    assert abs(CAL.between(a, b)) <= abs(b - a)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(moments, durations)
def test_positive_deadlines_land_in_working_time_or_at_a_period_end(
    start: datetime, duration: timedelta
) -> None:
    due = CAL.add(start, duration)
    if duration > timedelta(0):
        assert CAL.is_working_time(due - timedelta(microseconds=1))
