"""pytest fixtures for code that embeds keyaccount or extends it with plugins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from keyaccount.clock import FixedClock
from keyaccount.events import RecordingSink
from keyaccount.host import PluginHost
from keyaccount.storage import Store
from keyaccount.testing.fake_zoho import FakeZoho


@pytest.fixture
def keyaccount_host() -> PluginHost:
    """A fresh plugin host with the built-in plugins and no installed entry points.

    Register the plugin under test with ``keyaccount_host.register(module_or_object)``.
    """
    host = PluginHost(load_entry_points=False)
    host.load()
    return host


@pytest.fixture
def keyaccount_store(keyaccount_host: PluginHost) -> Iterator[Store]:
    """An empty ``memory://`` store holding every registered record type."""
    store = keyaccount_host.open_store("memory://")
    yield store
    store.close()


@pytest.fixture
def keyaccount_clock() -> FixedClock:
    """A clock fixed at 2026-06-30 09:00 UTC; move it with ``advance``."""
    return FixedClock(datetime(2026, 6, 30, 9, 0, tzinfo=UTC))


@pytest.fixture
def keyaccount_events() -> RecordingSink:
    """An event sink that records what services emit."""
    return RecordingSink()


@pytest.fixture
def fake_zoho(keyaccount_clock: FixedClock) -> Iterator[FakeZoho]:
    """A running fake Zoho (accounts server + CRM API v8) on a loopback port, stopped after
    the test. Its clock is ``keyaccount_clock``: advance that to move token expiry and
    Modified_Time. See ``keyaccount.testing.fake_zoho`` for the switches it offers."""
    with FakeZoho(clock=keyaccount_clock) as fake:
        yield fake
