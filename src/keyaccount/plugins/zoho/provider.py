"""``ZohoProvider``: the CRM-provider port implemented on Zoho CRM.

Kinds map to modules (``account`` → Accounts ...; any other kind is taken as a custom
module's API name). Zoho's errors are translated here, and only here, into
``keyaccount.errors`` so nothing above this layer sees httpx or Zoho codes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from keyaccount.clock import Clock
from keyaccount.crm import RemoteRecord, WriteResult
from keyaccount.errors import ValidationError
from keyaccount.plugins.zoho._constants import (
    DEFAULT_CREDITS_SLOW_BELOW,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
)
from keyaccount.plugins.zoho._exceptions import ZohoError, to_provider_error
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.auth import FileTokenStore, MemoryTokenStore, TokenStore, ZohoAuth
from keyaccount.plugins.zoho.client import CreditGovernor, RecordResult, ZohoClient
from keyaccount.plugins.zoho.datacenters import DataCenter, custom_datacenter, datacenter
from keyaccount.plugins.zoho.mapping import MODULES, FieldMap, default_fields, parse_datetime

DEFAULT_SCOPE = ("ZohoCRM.modules.ALL", "ZohoCRM.settings.fields.READ")

CONFIG_KEYS: Mapping[str, str] = {
    "client_id": "OAuth client id (required)",
    "client_secret": "OAuth client secret (required)",
    "refresh_token": "refresh token from a code exchange (or org_id, or a token_file holding one)",
    "org_id": "Zoho CRM org id, for a Self Client's client_credentials grant",
    "scope": f"comma-separated scopes for client_credentials (default {','.join(DEFAULT_SCOPE)})",
    "dc": "data centre: us, eu, in, au, cn, jp, ca, sa (default us)",
    "environment": "production, sandbox or developer (default production)",
    "accounts_url": "explicit accounts server URL (with api_url; e.g. a fake Zoho)",
    "api_url": "explicit API URL (with accounts_url)",
    "token_file": "JSON file keeping tokens between runs (0600); default in memory",
    "max_concurrency": f"parallel calls at most (default {DEFAULT_MAX_CONCURRENCY})",
    "timeout": f"seconds per call (default {DEFAULT_TIMEOUT.read:g})",
    "currency": "org home currency for amounts on records without Currency",
    "credits_slow_below": f"pace calls below this many credits (default {DEFAULT_CREDITS_SLOW_BELOW})",
    "fields.<name>": "field-map override, e.g. fields.account_tier=Tier__c",
}


def _positive_int(config: Mapping[str, str], key: str, default: int) -> int:
    raw = config.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"zoho.{key}", raw, "must be a whole number") from None
    if value < 0 or (value == 0 and key != "credits_slow_below"):
        raise ValidationError(f"zoho.{key}", raw, "must be positive")
    return value


def _positive_float(config: Mapping[str, str], key: str, default: float) -> float:
    raw = config.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"zoho.{key}", raw, "must be a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(f"zoho.{key}", raw, "must be positive")
    return value


def datacenter_from_config(config: Mapping[str, str]) -> DataCenter:
    accounts, api = config.get("accounts_url"), config.get("api_url")
    if accounts or api:
        if not (accounts and api):
            raise ValidationError(
                "zoho.api_url" if accounts else "zoho.accounts_url",
                None,
                "accounts_url and api_url go together",
            )
        return custom_datacenter(accounts, api)
    return datacenter(config.get("dc") or "us", config.get("environment") or "production")


def _to_write_result(result: RecordResult) -> WriteResult:
    return WriteResult(
        index=result.index,
        remote_id=result.id,
        action=result.action,
        error=to_provider_error(result.error) if result.error is not None else None,
    )


class ZohoProvider:
    """Zoho CRM behind the ``CrmProvider`` port."""

    name = "zoho"

    def __init__(self, client: ZohoClient, *, field_map: FieldMap | None = None) -> None:
        self.client = client
        self.field_map = field_map or FieldMap()

    def __repr__(self) -> str:
        return f"ZohoProvider({self.client!r})"

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, str],
        *,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        store: TokenStore | None = None,
    ) -> ZohoProvider:
        """Build from plain config values (see ``CONFIG_KEYS`` and docs/zoho.md)."""
        known_prefixes = ("fields.",)
        for key in config:
            if key not in CONFIG_KEYS and not key.startswith(known_prefixes):
                raise ValidationError(f"zoho.{key}", "<hidden>", "unknown configuration key")
        client_id = (config.get("client_id") or "").strip()
        secret = (config.get("client_secret") or "").strip()
        refresh = (config.get("refresh_token") or "").strip() or None
        org_id = (config.get("org_id") or "").strip() or None
        token_file = (config.get("token_file") or "").strip() or None
        if not refresh and not org_id and not token_file:
            raise ValidationError(
                "zoho.refresh_token",
                None,
                "give refresh_token, org_id for a Self Client, or a token_file holding tokens",
            )
        dc = datacenter_from_config(config)
        scope = tuple(
            s.strip() for s in (config.get("scope") or ",".join(DEFAULT_SCOPE)).split(",")
        )
        timeout = _positive_float(config, "timeout", DEFAULT_TIMEOUT.read or 30.0)
        if store is None:
            store = (
                FileTokenStore(Path(token_file).expanduser()) if token_file else MemoryTokenStore()
            )
        concurrency = _positive_int(config, "max_concurrency", DEFAULT_MAX_CONCURRENCY)
        http = http_client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            limits=httpx.Limits(max_connections=max(concurrency * 2, 20)),
        )
        auth = ZohoAuth(
            client_id=client_id,
            client_secret=secret,
            accounts_url=dc.accounts_url,
            refresh_token=refresh,
            org_id=org_id,
            scope=tuple(s for s in scope if s),
            store=store,
            http_client=http,
            clock=clock,
            retry=retry,
        )
        client = ZohoClient(
            auth,
            api_url=dc.api_url,
            http_client=http,
            close_http=http_client is None,
            max_concurrency=concurrency,
            retry=retry,
            credits=CreditGovernor(
                slow_below=_positive_int(config, "credits_slow_below", DEFAULT_CREDITS_SLOW_BELOW)
            ),
        )
        overrides = {k[len("fields.") :]: v for k, v in config.items() if k.startswith("fields.")}
        if config.get("currency"):
            overrides["currency"] = config["currency"].strip().upper()
        fmap = FieldMap().with_overrides(overrides)
        return cls(client, field_map=fmap)

    # -- the port -----------------------------------------------------------------------------

    def module_for(self, kind: str) -> str:
        return MODULES.get(kind, kind)

    def iter_changed(
        self,
        kind: str,
        *,
        since: datetime | None = None,
        fields: Sequence[str] | None = None,
    ) -> Iterator[RemoteRecord]:
        module = self.module_for(kind)
        wanted = list(fields) if fields else list(default_fields(kind, self.field_map))
        if "Modified_Time" not in wanted:
            wanted.append("Modified_Time")
        header_since = None
        if since is not None:
            # Zoho's header has whole seconds and its inclusiveness is undocumented: ask from a
            # second earlier and drop what is older, so "at or after since" holds either way.
            header_since = since.replace(microsecond=0) - timedelta(seconds=1)
        return self._iter(module, wanted, since, header_since)

    def _iter(
        self,
        module: str,
        fields: list[str],
        since: datetime | None,
        header_since: datetime | None,
    ) -> Iterator[RemoteRecord]:
        try:
            for record in self.client.iter_records(module, fields, modified_since=header_since):
                modified = parse_datetime(record.get("Modified_Time"), f"{module}.Modified_Time")
                if since is not None and modified is not None and modified < since:
                    continue
                yield RemoteRecord(str(record["id"]), modified, record)
        except ZohoError as err:
            raise to_provider_error(err) from err

    def get(
        self, kind: str, remote_id: str, *, fields: Sequence[str] | None = None
    ) -> RemoteRecord:
        module = self.module_for(kind)
        try:
            record = self.client.get(module, remote_id, fields=fields)
        except ZohoError as err:
            raise to_provider_error(err) from err
        modified = parse_datetime(record.get("Modified_Time"), f"{module}.Modified_Time")
        return RemoteRecord(str(record.get("id", remote_id)), modified, record)

    def create(self, kind: str, records: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        return self._write(lambda: self.client.insert(self.module_for(kind), records))

    def update(
        self, kind: str, records: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        rows = [{**fields, "id": remote_id} for remote_id, fields in records]
        return self._write(lambda: self.client.update(self.module_for(kind), rows))

    def upsert(
        self,
        kind: str,
        records: Sequence[Mapping[str, Any]],
        *,
        match_on: Sequence[str] = (),
    ) -> list[WriteResult]:
        module = self.module_for(kind)
        return self._write(
            lambda: self.client.upsert(module, records, duplicate_check_fields=match_on)
        )

    def delete(self, kind: str, remote_ids: Sequence[str]) -> list[WriteResult]:
        return self._write(lambda: self.client.delete(self.module_for(kind), remote_ids))

    def _write(self, call: Callable[[], list[RecordResult]]) -> list[WriteResult]:
        try:
            results = call()
        except ZohoError as err:
            raise to_provider_error(err) from err
        return [_to_write_result(r) for r in results]

    def close(self) -> None:
        self.client.close()
        self.client.auth.close()
