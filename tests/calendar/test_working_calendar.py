from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from keyaccount.calendar import (
    CalendarNotCovered,
    WorkingCalendar,
    bundled_years,
    calendar_from_dict,
    china_calendar,
    load_calendar,
)
from keyaccount.errors import MalformedData, ValidationError

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BJ)


@pytest.fixture(scope="module")
def cn() -> WorkingCalendar:
    return china_calendar()


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def test_bundled_years_are_2025_and_2026() -> None:
    assert bundled_years() == (2025, 2026)


def test_result_is_utc(cn: WorkingCalendar) -> None:
    due = cn.add(bj(2026, 6, 10, 9), h(1))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 6, 10, 2, tzinfo=UTC)


def test_lunch_break_is_skipped(cn: WorkingCalendar) -> None:
    assert cn.add(bj(2026, 6, 10, 11), h(2)) == bj(2026, 6, 10, 14)


def test_ordinary_weekend_is_skipped(cn: WorkingCalendar) -> None:
    # Friday 2026-06-12 17:00 + 2h: one hour on Friday, one on Monday.
    assert cn.add(bj(2026, 6, 12, 17), h(2)) == bj(2026, 6, 15, 10)


def test_weekend_and_public_holiday(cn: WorkingCalendar) -> None:
    # 清明节 2026: Sat 4 - Mon 6 April off, so Friday 17:00 + 2h lands on Tuesday.
    assert cn.add(bj(2026, 4, 3, 17), h(2)) == bj(2026, 4, 7, 10)


def test_holiday_inside_the_week(cn: WorkingCalendar) -> None:
    # 国庆节 2026: 1-7 October off; 30 Sep 17:00 + 4h ends on 8 October at noon.
    assert cn.add(bj(2026, 9, 30, 17), h(4)) == bj(2026, 10, 8, 12)


def test_make_up_saturday_works(cn: WorkingCalendar) -> None:
    # 28 Feb 2026 is a Saturday worked for 春节 (调休上班).
    assert cn.add(bj(2026, 2, 27, 17), h(2)) == bj(2026, 2, 28, 10)
    assert cn.is_working_day(date(2026, 2, 28))
    assert not cn.is_working_day(date(2026, 3, 7))  # an ordinary Saturday


def test_spring_festival_with_make_up_day_before(cn: WorkingCalendar) -> None:
    # Fri 13 Feb: 1h, Sat 14 Feb (调休): 8h, then 15-23 Feb off, Tue 24 Feb resumes.
    assert cn.add(bj(2026, 2, 13, 17), h(9)) == bj(2026, 2, 14, 18)
    assert cn.add(bj(2026, 2, 13, 17), h(10)) == bj(2026, 2, 24, 10)


def test_make_up_sunday_2025(cn: WorkingCalendar) -> None:
    assert cn.is_working_day(date(2025, 1, 26))  # Sunday worked before 春节 2025
    assert cn.is_working_day(date(2025, 10, 11))  # Saturday after 国庆 2025
    assert not cn.is_working_day(date(2025, 10, 8))  # last day of the 2025 National Day break


def test_start_outside_hours_waits_for_opening(cn: WorkingCalendar) -> None:
    assert cn.add(bj(2026, 6, 10, 20), h(1)) == bj(2026, 6, 11, 10)
    assert cn.add(bj(2026, 6, 10, 20), h(0)) == bj(2026, 6, 11, 9)
    assert cn.add(bj(2026, 6, 10, 12, 30), h(0.5)) == bj(2026, 6, 10, 13, 30)


def test_between_counts_only_working_time(cn: WorkingCalendar) -> None:
    assert cn.between(bj(2026, 4, 3, 17), bj(2026, 4, 7, 10)) == h(2)
    assert cn.between(bj(2026, 6, 10, 11), bj(2026, 6, 10, 14)) == h(2)
    assert cn.between(bj(2026, 6, 13, 8), bj(2026, 6, 14, 20)) == h(0)  # a weekend
    assert cn.between(bj(2026, 6, 15, 10), bj(2026, 6, 12, 17)) == -h(2)


@pytest.mark.parametrize("hours", [0.25, 1, 3, 8, 17, 40, 80, 200])
def test_between_inverts_add(cn: WorkingCalendar, hours: float) -> None:
    for start in (bj(2026, 1, 30, 16, 45), bj(2026, 9, 18, 10), bj(2025, 12, 31, 19)):
        assert cn.between(start, cn.add(start, h(hours))) == h(hours)


def test_is_working_time(cn: WorkingCalendar) -> None:
    assert cn.is_working_time(bj(2026, 6, 10, 9))
    assert not cn.is_working_time(bj(2026, 6, 10, 12, 30))
    assert not cn.is_working_time(bj(2026, 6, 10, 18))


def test_negative_duration_rejected(cn: WorkingCalendar) -> None:
    with pytest.raises(ValidationError, match="duration"):
        cn.add(bj(2026, 6, 10, 9), h(-1))


def test_naive_datetime_rejected(cn: WorkingCalendar) -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        cn.add(datetime(2026, 6, 10, 9), h(1))


def test_custom_hours_zone_and_weekend() -> None:
    # A Gulf-style week: Friday and Saturday off, one 08:00-16:00 period in UTC.
    cal = WorkingCalendar(
        "gulf", timezone="UTC", hours=((time(8), time(16)),), weekend=frozenset({4, 5})
    )
    thursday = datetime(2026, 6, 11, 15, tzinfo=UTC)
    assert cal.add(thursday, h(2)) == datetime(2026, 6, 14, 9, tzinfo=UTC)
    assert cal.seconds_per_day == 8 * 3600


def test_holiday_and_workday_clash_rejected() -> None:
    with pytest.raises(ValidationError, match="both a holiday and a make-up workday"):
        WorkingCalendar("x", holidays={date(2026, 1, 1)}, workdays={date(2026, 1, 1)})


def test_bad_hours_rejected() -> None:
    with pytest.raises(ValidationError, match="start must be before end"):
        WorkingCalendar("x", hours=((time(12), time(9)),))
    with pytest.raises(ValidationError, match="not overlapping"):
        WorkingCalendar("x", hours=((time(9), time(13)), (time(12), time(18))))
    with pytest.raises(ValidationError, match="at least one period"):
        WorkingCalendar("x", hours=())


def test_unknown_zone_and_weekday_rejected() -> None:
    with pytest.raises(ValidationError, match=r"WorkingCalendar\.timezone"):
        WorkingCalendar("x", timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match=r"WorkingCalendar\.weekend"):
        WorkingCalendar("x", weekend=frozenset({7}))


def test_calendar_without_working_days_rejected() -> None:
    with pytest.raises(ValidationError, match="no day works"):
        WorkingCalendar("x", weekend=frozenset(range(7)))


def test_strict_calendar_refuses_unknown_year() -> None:
    strict = china_calendar(strict=True)
    assert strict.is_working_day(date(2026, 12, 31))
    with pytest.raises(CalendarNotCovered, match="2027"):
        strict.add(bj(2026, 12, 31, 17), h(2))


def test_lenient_calendar_treats_unknown_year_as_weekdays(cn: WorkingCalendar) -> None:
    assert cn.add(bj(2026, 12, 31, 17), h(2)) == bj(2027, 1, 1, 10)


def test_unbundled_year_is_an_error() -> None:
    with pytest.raises(ValidationError, match="no bundled holiday data"):
        china_calendar(years=[2030])


def test_user_file_is_merged_over_bundled_data(tmp_path) -> None:
    path = tmp_path / "company.json"
    path.write_text(
        json.dumps(
            {
                "name": "acme",
                "years": [2027],
                "holidays": ["2026-06-12", {"from": "2027-02-05", "to": "2027-02-11"}],
                # The company works through the 端午 Friday the state gives off.
                "workdays": [{"name": "端午值班", "on": "2026-06-19"}],
            }
        ),
        encoding="utf-8",
    )
    cal = china_calendar(extra=[load_calendar(path)])
    assert not cal.is_working_day(date(2026, 6, 12))
    assert cal.is_working_day(date(2026, 6, 19))
    assert not cal.is_working_day(date(2027, 2, 8))
    assert 2027 in cal.years


def test_malformed_file_reports_line_and_column(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "name": "x",\n  "holidays": [,]\n}', encoding="utf-8")
    with pytest.raises(MalformedData) as info:
        load_calendar(path)
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"holidays": ["2026-02-30"]}, r"calendar\.holidays\[0\]"),
        ({"holidays": [{"from": "2026-02-03", "to": "2026-02-01"}]}, r"holidays\[0\]\.to"),
        ({"workdays": [{"at": "2026-02-01"}]}, r"calendar\.workdays\[0\]"),
        ({"hours": [["9am", "12:00"]]}, r"calendar\.hours\[0\]\[0\]"),
        ({"weekend": ["caturday"]}, r"calendar\.weekend"),
        ({"years": ["2026"]}, r"calendar\.years"),
        ({"strict": "yes"}, r"calendar\.strict"),
    ],
)
def test_bad_calendar_data_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        calendar_from_dict({"name": "x", **data})


def test_calendar_needs_a_name() -> None:
    with pytest.raises(ValidationError, match=r"calendar\.name"):
        calendar_from_dict({"holidays": []})


def test_weekday_names_and_hours_parse() -> None:
    cal = calendar_from_dict(
        {"name": "x", "timezone": "UTC", "weekend": ["Sunday"], "hours": [["08:30", "17:00"]]}
    )
    assert cal.weekend == frozenset({6})
    assert cal.hours == ((time(8, 30), time(17)),)


def test_calendar_that_runs_out_of_working_days() -> None:
    # Only one make-up workday ever: after it there is no working time to find.
    cal = WorkingCalendar("x", weekend=frozenset(range(7)), workdays={date(2026, 1, 5)})
    assert cal.add(bj(2026, 1, 5, 9), h(8)) == bj(2026, 1, 5, 18)
    with pytest.raises(ValidationError, match="no working time within"):
        cal.add(bj(2026, 1, 6, 9), h(1))
