from __future__ import annotations

from pathlib import Path

import pytest

from keyaccount.host import PluginHost
from keyaccount.testing.storage import OpenStore, StorageConformance


class TestSqliteStore(StorageConformance):
    persistent = True

    @pytest.fixture
    def open_store(self, host: PluginHost, tmp_path: Path) -> OpenStore:
        url = f"sqlite:///{tmp_path}/keyaccount.db"
        return lambda: host.open_store(url)


class TestSqliteInMemory(StorageConformance):
    persistent = False

    @pytest.fixture
    def open_store(self, host: PluginHost) -> OpenStore:
        return lambda: host.open_store("sqlite://:memory:")
