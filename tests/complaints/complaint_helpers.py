from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    """A Beijing wall-clock moment as UTC (the default calendar works in Beijing time)."""
    return datetime(*args, tzinfo=BJ).astimezone(UTC)
