"""Every data centre and environment is selectable by name and reached at its hosts."""

from __future__ import annotations

import httpx
import pytest
import respx
import tenacity

from keyaccount.errors import ValidationError
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.datacenters import DATACENTER_NAMES, custom_datacenter, datacenter
from keyaccount.plugins.zoho.provider import ZohoProvider

EXPECTED = {
    "us": ("https://accounts.zoho.com", "zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "zohoapis.com.au"),
    "cn": ("https://accounts.zoho.com.cn", "zohoapis.com.cn"),
    "jp": ("https://accounts.zoho.jp", "zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "zohoapis.sa"),
}


def test_all_eight_data_centres_are_known() -> None:
    assert set(DATACENTER_NAMES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize(
    ("environment", "prefix"),
    [("production", "www"), ("sandbox", "sandbox"), ("developer", "developer")],
)
def test_hosts(name: str, environment: str, prefix: str) -> None:
    dc = datacenter(name.upper(), environment)
    accounts, domain = EXPECTED[name]
    assert dc.accounts_url == accounts
    assert dc.api_url == f"https://{prefix}.{domain}"
    assert dc.environment == environment


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_provider_configured_by_dc_calls_that_dc(name: str) -> None:
    accounts, domain = EXPECTED[name]
    mock = respx.Router(assert_all_mocked=True)
    # No api_domain in the token response: the DC's own API host is used.
    token = mock.post(f"{accounts}/oauth/v2/token").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    )
    api = mock.get(f"https://www.{domain}/crm/v8/Accounts/1").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "1"}]})
    )
    provider = ZohoProvider.from_config(
        {"client_id": "c", "client_secret": "s", "refresh_token": "r", "dc": name},
        http_client=httpx.Client(transport=httpx.MockTransport(mock.handler)),
        retry=RetryPolicy(wait=tenacity.wait_none()),
    )
    assert provider.get("account", "1").remote_id == "1"
    assert token.called
    assert api.called


def test_unknown_dc_and_environment_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match=r"zoho\.dc.*'uk'"):
        datacenter("uk")
    with pytest.raises(ValidationError, match=r"zoho\.environment"):
        datacenter("us", "staging")


def test_custom_urls_for_a_fake_server() -> None:
    dc = custom_datacenter("http://127.0.0.1:8001/", "http://127.0.0.1:8002")
    assert dc.accounts_url == "http://127.0.0.1:8001"
    assert dc.api_url == "http://127.0.0.1:8002"
    with pytest.raises(ValidationError, match=r"zoho\.api_url"):
        custom_datacenter("http://a", "ftp://b")
