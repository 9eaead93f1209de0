from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from keyaccount.clock import FixedClock
from keyaccount.events import RecordingSink
from keyaccount.host import PluginHost
from keyaccount.storage import Store

NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def host() -> PluginHost:
    """A fresh host with the built-in plugins only (no installed entry points)."""
    h = PluginHost(load_entry_points=False)
    h.load()
    return h


@pytest.fixture
def store(host: PluginHost) -> Iterator[Store]:
    s = host.open_store("memory://")
    yield s
    s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def events() -> RecordingSink:
    return RecordingSink()
