"""ZohoProvider: the port's behaviour, configuration and plugin registration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx
import tenacity
from zoho_mock import (
    API,
    TOKEN_URL,
    ListServer,
    TokenServer,
    account_rows,
    router,
    sent_json,
    success,
)

from keyaccount.clock import FixedClock
from keyaccount.errors import DuplicateRemote, InvalidRemoteData, ValidationError
from keyaccount.host import PluginHost
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.auth import FileTokenStore, MemoryTokenStore
from keyaccount.plugins.zoho.provider import CONFIG_KEYS, ZohoProvider

BASE = {"client_id": "c", "client_secret": "s", "refresh_token": "r"}


def provider(mock: respx.Router, **config: str) -> ZohoProvider:
    mock.post(TOKEN_URL).mock(side_effect=TokenServer())
    return ZohoProvider.from_config(
        {**BASE, **config},
        http_client=httpx.Client(transport=httpx.MockTransport(mock.handler)),
        retry=RetryPolicy(wait=tenacity.wait_none()),
    )


def test_registered_as_the_zoho_plugin(host: PluginHost) -> None:
    assert "zoho" in host.crm_providers()
    built = host.crm_provider("zoho", {**BASE, "dc": "eu", "max_concurrency": "4"})
    assert isinstance(built, ZohoProvider)
    assert built.client.auth.accounts_url == "https://accounts.zoho.eu"
    assert built.client.max_concurrency == 4
    built.close()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"client_id": "c", "client_secret": "s"}, "zoho.refresh_token"),
        ({**BASE, "max_concurrency": "many"}, "zoho.max_concurrency"),
        ({**BASE, "max_concurrency": "0"}, "zoho.max_concurrency"),
        ({**BASE, "timeout": "-1"}, "zoho.timeout"),
        ({**BASE, "accounts_url": "http://127.0.0.1:1"}, "zoho.api_url"),
        ({**BASE, "dc": "mars"}, "zoho.dc"),
        ({**BASE, "client_secret_typo": "x"}, "zoho.client_secret_typo"),
        ({**BASE, "fields.acount_tier": "x"}, "zoho.fields.acount_tier"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ZohoProvider.from_config(config)
    assert caught.value.field == field


def test_config_keys_are_applied(tmp_path: Path) -> None:
    p = ZohoProvider.from_config(
        {
            **BASE,
            "token_file": str(tmp_path / "tokens.json"),
            "fields.account_tier": "Tier__c",
            "currency": "cny",
            "accounts_url": "http://127.0.0.1:9",
            "api_url": "http://127.0.0.1:10",
            "credits_slow_below": "0",
        }
    )
    assert isinstance(p.client.auth._store, FileTokenStore)
    assert p.field_map.account_tier == "Tier__c"
    assert p.field_map.currency == "CNY"
    assert p.client.api_url == "http://127.0.0.1:10"
    assert p.client.credits.slow_below == 0
    p.close()
    assert isinstance(ZohoProvider.from_config(BASE).client.auth._store, MemoryTokenStore)
    assert "fields.<name>" in CONFIG_KEYS


def test_iter_changed_reads_from_a_second_before_since_and_keeps_at_or_after() -> None:
    mock = router()
    rows = account_rows(3)
    rows[0]["Modified_Time"] = "2026-06-30T09:59:59+08:00"  # 01:59:59Z: before since
    rows[1]["Modified_Time"] = "2026-06-30T10:00:00+08:00"  # exactly since
    rows[2]["Modified_Time"] = "2026-06-30T10:00:01+08:00"
    server = ListServer(rows)
    mock.get(f"{API}/crm/v8/Accounts").mock(side_effect=server)
    p = provider(mock)
    since = datetime(2026, 6, 30, 2, 0, 0, tzinfo=UTC)

    got = list(p.iter_changed("account", since=since))

    assert server.requests[0].headers["If-Modified-Since"] == "2026-06-30T01:59:59+00:00"
    assert [r.remote_id for r in got] == [rows[1]["id"], rows[2]["id"]]
    assert got[0].modified_at == since
    assert got[0].fields["Account_Name"] == "Account 1"
    fields = server.requests[0].url.params["fields"].split(",")
    assert "Account_Name" in fields
    assert "Modified_Time" in fields


def test_iter_changed_is_lazy_and_custom_modules_need_fields() -> None:
    mock = router()
    server = ListServer(account_rows(500))
    mock.get(f"{API}/crm/v8/Visits__c").mock(side_effect=server)
    p = provider(mock)
    changes = p.iter_changed("Visits__c", fields=["Account_Name"])
    assert server.requests == []
    next(changes)
    assert len(server.requests) == 1
    with pytest.raises(ValidationError, match="Visits__c"):
        p.iter_changed("Visits__c")


def test_writes_return_port_results_in_input_order() -> None:
    mock = router()
    duplicate = {
        "code": "DUPLICATE_DATA",
        "status": "error",
        "message": "duplicate data",
        "details": {"api_name": "Email", "duplicate_record": {"id": "77"}},
    }
    mandatory = {
        "code": "MANDATORY_NOT_FOUND",
        "status": "error",
        "message": "required field not found",
        "details": {"api_name": "Last_Name"},
    }
    mock.post(f"{API}/crm/v8/Contacts").mock(
        return_value=httpx.Response(207, json={"data": [success("1"), duplicate, mandatory]})
    )
    upsert = mock.post(f"{API}/crm/v8/Contacts/upsert").mock(
        return_value=httpx.Response(200, json={"data": [success("5", action="update")]})
    )
    update = mock.put(f"{API}/crm/v8/Contacts").mock(
        return_value=httpx.Response(200, json={"data": [success("9", message="record updated")]})
    )
    mock.delete(f"{API}/crm/v8/Contacts").mock(
        return_value=httpx.Response(200, json={"data": [success("9", message="record deleted")]})
    )
    p = provider(mock)

    created = p.create("contact", [{"Last_Name": "a"}, {"Last_Name": "b"}, {}])
    assert [r.index for r in created] == [0, 1, 2]
    assert created[0].ok
    assert created[0].remote_id == "1"
    assert created[0].action == "insert"
    assert isinstance(created[1].error, DuplicateRemote)
    assert created[1].error.existing_id == "77"
    assert isinstance(created[2].error, InvalidRemoteData)
    assert created[2].error.field == "Last_Name"

    upserted = p.upsert("contact", [{"Email": "x@example.com"}], match_on=["Email"])
    assert upserted[0].action == "update"
    assert sent_json(upsert.calls.last.request)["duplicate_check_fields"] == ["Email"]
    updated = p.update("contact", [("9", {"Title": "CFO"})])
    assert updated[0].remote_id == "9"
    assert sent_json(update.calls.last.request)["data"] == [{"Title": "CFO", "id": "9"}]
    assert p.delete("contact", ["9"])[0].action == "delete"


def test_a_token_file_alone_is_enough_after_a_code_exchange(tmp_path: Path) -> None:
    from datetime import timedelta

    from zoho_mock import NOW

    from keyaccount.plugins.zoho.auth import TokenSet

    path = tmp_path / "tokens.json"
    mock = router()
    tokens = TokenServer()
    mock.post("https://accounts.zoho.com/oauth/v2/token").mock(side_effect=tokens)
    p = ZohoProvider.from_config(
        {"client_id": "c", "client_secret": "s", "token_file": str(path)},
        http_client=httpx.Client(transport=httpx.MockTransport(mock.handler)),
        clock=FixedClock(NOW),
        retry=RetryPolicy(wait=tenacity.wait_none()),
    )
    expired = TokenSet("old", NOW - timedelta(hours=1), None, "1000.stored-refresh")
    FileTokenStore(path).save(p.client.auth.store_key, expired)
    assert p.client.auth.token().access_token == "tok1"
    assert tokens.forms[0]["refresh_token"] == "1000.stored-refresh"
