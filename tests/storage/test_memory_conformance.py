from __future__ import annotations

import pytest

from keyaccount.host import PluginHost
from keyaccount.testing.storage import OpenStore, StorageConformance


class TestMemoryStore(StorageConformance):
    persistent = False

    @pytest.fixture
    def open_store(self, host: PluginHost) -> OpenStore:
        return lambda: host.open_store("memory://")
