"""The project's own tests use the fixtures keyaccount ships to its users (the pytest11
plugin in keyaccount.testing.pytest_plugin) under shorter names."""

from __future__ import annotations

import pytest

from keyaccount.clock import FixedClock
from keyaccount.events import RecordingSink
from keyaccount.host import PluginHost
from keyaccount.storage import Store


@pytest.fixture
def host(keyaccount_host: PluginHost) -> PluginHost:
    return keyaccount_host


@pytest.fixture
def store(keyaccount_store: Store) -> Store:
    return keyaccount_store


@pytest.fixture
def clock(keyaccount_clock: FixedClock) -> FixedClock:
    return keyaccount_clock


@pytest.fixture
def events(keyaccount_events: RecordingSink) -> RecordingSink:
    return keyaccount_events
