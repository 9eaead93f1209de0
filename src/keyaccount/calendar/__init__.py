"""Working calendars for business-hour deadlines (工作日历: 法定节假日与调休)."""

from keyaccount.calendar.loading import (
    bundled_years,
    calendar_from_dict,
    china_calendar,
    load_calendar,
)
from keyaccount.calendar.working import DEFAULT_HOURS, CalendarNotCovered, WorkingCalendar

__all__ = [
    "DEFAULT_HOURS",
    "CalendarNotCovered",
    "WorkingCalendar",
    "bundled_years",
    "calendar_from_dict",
    "china_calendar",
    "load_calendar",
]
