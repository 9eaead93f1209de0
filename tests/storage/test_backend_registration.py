"""The built-in backends are plugins registered through the same hook an external one uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyaccount.errors import StorageError, UnknownStoreURL
from keyaccount.host import DISABLE_ENV, PluginHost
from keyaccount.plugins.csv_store import CsvStore
from keyaccount.plugins.memory import MemoryStore
from keyaccount.plugins.sqlite_store import SqliteStore


def test_each_scheme_comes_from_its_plugin(host: PluginHost) -> None:
    backends = host.storage_backends()
    assert {name: reg.plugin for name, reg in backends.items()} == {
        "memory": "memory",
        "csv": "csv",
        "sqlite": "sqlite",
    }
    assert all(reg.description for reg in backends.values())


def test_urls_open_the_right_store(host: PluginHost, tmp_path: Path) -> None:
    for url, cls in [
        ("memory://", MemoryStore),
        (f"csv:///{tmp_path}/c", CsvStore),
        (f"sqlite:///{tmp_path}/s.db", SqliteStore),
        ("SQLITE://:memory:", SqliteStore),
    ]:
        store = host.open_store(url)
        try:
            assert type(store) is cls, url
            assert store.url == url
        finally:
            store.close()


def test_blocked_backend_plugin_is_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "csv")
    host = PluginHost(load_entry_points=False)
    assert "csv" not in host.storage_backends()
    with pytest.raises(UnknownStoreURL, match="sqlite"):
        host.open_store("csv:///anywhere")


@pytest.mark.parametrize("url", ["sqlite://", "csv://"])
def test_url_without_a_path_is_refused(host: PluginHost, url: str) -> None:
    with pytest.raises(StorageError, match="names no"):
        host.open_store(url)
