"""Zoho data centres: where the accounts (OAuth) server and the API host of each one live.

Tokens are bound to one DC and one environment, so both are chosen together by name, e.g.
``datacenter("eu")`` or ``datacenter("in", "sandbox")``.
"""

from __future__ import annotations

import attrs

from keyaccount.errors import ValidationError

ENVIRONMENTS = ("production", "sandbox", "developer")


@attrs.frozen
class DataCenter:
    """One DC in one environment; ``api_url`` is the default until a token names its own."""

    name: str
    accounts_url: str
    api_url: str
    environment: str = "production"


# (accounts host, API domain suffix after ``www.``/``sandbox.``/``developer.``)
_HOSTS: dict[str, tuple[str, str]] = {
    "us": ("https://accounts.zoho.com", "zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "zohoapis.com.au"),
    "cn": ("https://accounts.zoho.com.cn", "zohoapis.com.cn"),
    "jp": ("https://accounts.zoho.jp", "zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "zohoapis.sa"),
}

DATACENTER_NAMES: tuple[str, ...] = tuple(_HOSTS)

_API_PREFIX = {"production": "www", "sandbox": "sandbox", "developer": "developer"}


def datacenter(name: str, environment: str = "production") -> DataCenter:
    """The DC called ``name`` (``us``, ``eu``, ``in``, ``au``, ``cn``, ``jp``, ``ca``, ``sa``;
    any case) in ``environment`` (``production``, ``sandbox`` or ``developer``)."""
    key = name.strip().lower()
    if key not in _HOSTS:
        raise ValidationError(
            "zoho.dc", name, f"unknown data centre; choose one of {', '.join(DATACENTER_NAMES)}"
        )
    env = environment.strip().lower()
    if env not in _API_PREFIX:
        raise ValidationError(
            "zoho.environment", environment, f"choose one of {', '.join(ENVIRONMENTS)}"
        )
    accounts, domain = _HOSTS[key]
    return DataCenter(
        name=key,
        accounts_url=accounts,
        api_url=f"https://{_API_PREFIX[env]}.{domain}",
        environment=env,
    )


def custom_datacenter(accounts_url: str, api_url: str, *, name: str = "custom") -> DataCenter:
    """A DC at explicit URLs: a fake Zoho in tests, or a DC this module does not list yet."""
    for field, url in (("zoho.accounts_url", accounts_url), ("zoho.api_url", api_url)):
        if not url.startswith(("https://", "http://")):
            raise ValidationError(field, url, "must be an http(s) URL")
    return DataCenter(name=name, accounts_url=accounts_url.rstrip("/"), api_url=api_url.rstrip("/"))
