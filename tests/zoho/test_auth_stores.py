"""Token stores: in memory and in a 0600 file replaced atomically."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from zoho_mock import (
    ACCOUNTS,
    CLIENT_ID,
    NOW,
    REFRESH,
    SECRET,
    TOKEN_URL,
    TokenServer,
    no_wait,
    router,
)

from keyaccount.clock import FixedClock
from keyaccount.errors import ValidationError
from keyaccount.plugins.zoho.auth import FileTokenStore, MemoryTokenStore, TokenSet, ZohoAuth

TOKENS = TokenSet("access-xyz", NOW + timedelta(hours=1), "https://www.zohoapis.com", "refresh-abc")


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_store_round_trip(kind: str, tmp_path: Path) -> None:
    store = MemoryTokenStore() if kind == "memory" else FileTokenStore(tmp_path / "t.json")
    assert store.load("k") is None
    store.save("k", TOKENS)
    store.save("other", TOKENS)
    assert store.load("k") == TOKENS
    store.delete("k")
    assert store.load("k") is None
    assert store.load("other") == TOKENS


def test_file_is_owner_only_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens.json"
    FileTokenStore(path).save("k", TOKENS)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["tokens.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.save("k", TOKENS)
    before = path.read_bytes()

    def boom(*args: object, **kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", boom)
    with pytest.raises(OSError, match="disk full"):
        store.save("k2", TOKENS)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_corrupt_file_error_names_the_file_not_its_content(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"k": {"access_token": "leaky-secret"', encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        FileTokenStore(path).load("k")
    assert str(path) in str(caught.value)
    assert "leaky-secret" not in str(caught.value)


def test_a_stored_token_is_reused_across_auth_objects(tmp_path: Path) -> None:
    mock = router()
    tokens = TokenServer()
    mock.post(TOKEN_URL).mock(side_effect=tokens)
    store = FileTokenStore(tmp_path / "tokens.json")

    def auth() -> ZohoAuth:
        return ZohoAuth(
            client_id=CLIENT_ID,
            client_secret=SECRET,
            accounts_url=ACCOUNTS,
            refresh_token=REFRESH,
            store=store,
            http_client=httpx.Client(transport=httpx.MockTransport(mock.handler)),
            clock=FixedClock(NOW),
            retry=no_wait(),
        )

    assert auth().token().access_token == "tok1"
    assert auth().token().access_token == "tok1"  # a second process start: no new request
    assert tokens.count == 1


def test_a_rejected_stored_token_is_not_reused() -> None:
    mock = router()
    tokens = TokenServer()
    mock.post(TOKEN_URL).mock(side_effect=tokens)
    store = MemoryTokenStore()
    auth = ZohoAuth(
        client_id=CLIENT_ID,
        client_secret=SECRET,
        accounts_url=ACCOUNTS,
        refresh_token=REFRESH,
        store=store,
        http_client=httpx.Client(transport=httpx.MockTransport(mock.handler)),
        clock=FixedClock(NOW),
        retry=no_wait(),
    )
    auth.token()
    auth.invalidate("tok1")
    assert auth.token().access_token == "tok2"
    stored = store.load(auth.store_key)
    assert stored is not None
    assert stored.access_token == "tok2"
    assert stored.refresh_token == REFRESH
