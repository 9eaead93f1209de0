"""Reading calendars from data: the bundled Chinese public-holiday years and user JSON files.

File format (every key but ``name`` optional)::

    {
      "name": "acme-2027",
      "timezone": "Asia/Shanghai",
      "hours": [["09:00", "12:00"], ["13:00", "18:00"]],
      "weekend": ["sat", "sun"],
      "years": [2027],
      "holidays": [{"name": "春节", "from": "2027-02-05", "to": "2027-02-11"}, "2027-01-01"],
      "workdays": [{"name": "春节调休", "on": "2027-02-14"}]
    }
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from keyaccount.calendar.working import DEFAULT_HOURS, WorkingCalendar
from keyaccount.errors import MalformedData, ValidationError

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DATA = "keyaccount.calendar.data"


def _date(field: str, raw: Any) -> date:
    if not isinstance(raw, str):
        raise ValidationError(field, raw, "must be a YYYY-MM-DD date")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(field, raw, "must be a YYYY-MM-DD date") from None


def _time(field: str, raw: Any) -> time:
    if not isinstance(raw, str):
        raise ValidationError(field, raw, "must be an HH:MM time")
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ValidationError(field, raw, "must be an HH:MM time") from None


def _days(field: str, entries: Any) -> set[date]:
    if not isinstance(entries, list):
        raise ValidationError(field, entries, "must be a list")
    out: set[date] = set()
    for i, entry in enumerate(entries):
        where = f"{field}[{i}]"
        if isinstance(entry, str):
            out.add(_date(where, entry))
        elif isinstance(entry, Mapping) and "on" in entry:
            out.add(_date(f"{where}.on", entry["on"]))
        elif isinstance(entry, Mapping) and "from" in entry and "to" in entry:
            first = _date(f"{where}.from", entry["from"])
            last = _date(f"{where}.to", entry["to"])
            if last < first:
                raise ValidationError(f"{where}.to", entry["to"], "is before 'from'")
            out.update(first + timedelta(days=n) for n in range((last - first).days + 1))
        else:
            raise ValidationError(where, entry, "must be a date, {on} or {from, to}")
    return out


def _weekend(raw: Any) -> frozenset[int]:
    if not isinstance(raw, list):
        raise ValidationError("calendar.weekend", raw, "must be a list of weekdays")
    out: set[int] = set()
    for item in raw:
        if isinstance(item, str) and item.lower()[:3] in _WEEKDAYS:
            out.add(_WEEKDAYS[item.lower()[:3]])
        elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
            out.add(item)
        else:
            raise ValidationError("calendar.weekend", item, "is not a weekday (mon..sun or 0..6)")
    return frozenset(out)


def calendar_from_dict(data: Mapping[str, Any]) -> WorkingCalendar:
    """Build a calendar from the JSON-shaped mapping described in this module's docstring."""
    if not isinstance(data, Mapping):
        raise ValidationError("calendar", data, "must be a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("calendar.name", name, "must be non-empty text")
    kwargs: dict[str, Any] = {"name": name}
    if "timezone" in data:
        kwargs["timezone"] = data["timezone"]
    if "hours" in data:
        raw_hours = data["hours"]
        if not isinstance(raw_hours, list):
            raise ValidationError("calendar.hours", raw_hours, "must be a list of [start, end]")
        periods = []
        for i, pair in enumerate(raw_hours):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValidationError(f"calendar.hours[{i}]", pair, "must be [start, end]")
            periods.append(
                (
                    _time(f"calendar.hours[{i}][0]", pair[0]),
                    _time(f"calendar.hours[{i}][1]", pair[1]),
                )
            )
        kwargs["hours"] = tuple(periods)
    if "weekend" in data:
        kwargs["weekend"] = _weekend(data["weekend"])
    kwargs["holidays"] = _days("calendar.holidays", data.get("holidays", []))
    kwargs["workdays"] = _days("calendar.workdays", data.get("workdays", []))
    years = data.get("years", [])
    if not isinstance(years, list) or not all(
        isinstance(y, int) and not isinstance(y, bool) for y in years
    ):
        raise ValidationError("calendar.years", years, "must be a list of years")
    kwargs["years"] = frozenset(years)
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise ValidationError("calendar.strict", strict, "must be true or false")
    kwargs["strict"] = strict
    return WorkingCalendar(**kwargs)


def load_calendar(path: str | Path) -> WorkingCalendar:
    """Read a calendar JSON file; a syntax error is reported with its line and column."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise MalformedData(str(path), err.lineno, err.colno, err.msg) from None
    return calendar_from_dict(data)


def bundled_years() -> tuple[int, ...]:
    """Years of Chinese public holidays shipped with keyaccount."""
    years = []
    for entry in resources.files(_DATA).iterdir():
        stem = entry.name.removesuffix(".json")
        if entry.name.endswith(".json") and stem.startswith("cn-") and stem[3:].isdigit():
            years.append(int(stem[3:]))
    return tuple(sorted(years))


def china_calendar(
    years: Iterable[int] | None = None,
    *,
    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS,
    strict: bool = False,
    extra: Iterable[WorkingCalendar] = (),
) -> WorkingCalendar:
    """Mainland China working days: Monday-Friday, minus public holidays, plus 调休 workdays.

    ``years`` picks bundled years (default: all of them); ``extra`` calendars (for example a
    later year's notice loaded with ``load_calendar``, or company days off) are merged on top.
    """
    available = bundled_years()
    wanted = available if years is None else tuple(years)
    missing = [y for y in wanted if y not in available]
    if missing:
        raise ValidationError(
            "china_calendar.years",
            missing,
            f"no bundled holiday data (bundled: {', '.join(map(str, available))}); "
            "load the notice as a calendar file and pass it in extra",
        )
    calendar = WorkingCalendar("cn", hours=hours, strict=strict)
    for year in wanted:
        text = resources.files(_DATA).joinpath(f"cn-{year}.json").read_text(encoding="utf-8")
        calendar = calendar.merged(calendar_from_dict(json.loads(text)), name="cn")
    for other in extra:
        calendar = calendar.merged(other, name=calendar.name)
    return calendar
