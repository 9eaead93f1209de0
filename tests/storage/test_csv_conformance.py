from __future__ import annotations

from pathlib import Path

import pytest

from keyaccount.host import PluginHost
from keyaccount.testing.storage import OpenStore, StorageConformance


class TestCsvStore(StorageConformance):
    persistent = True

    @pytest.fixture
    def open_store(self, host: PluginHost, tmp_path: Path) -> OpenStore:
        url = f"csv:///{tmp_path}/data"
        return lambda: host.open_store(url)


class TestCsvStoreWithChineseHeaders(StorageConformance):
    persistent = True

    @pytest.fixture
    def open_store(self, host: PluginHost, tmp_path: Path) -> OpenStore:
        url = f"csv:///{tmp_path}/data?header=zh"
        return lambda: host.open_store(url)
