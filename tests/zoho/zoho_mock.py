"""Helpers for the Zoho adapter's respx tests: a mocked accounts server and API host.

Tests use respx routers mounted through ``httpx.MockTransport`` (no global patching), because
``responses`` only intercepts ``requests`` and never sees httpx traffic.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import respx
import tenacity

from keyaccount.clock import FixedClock
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.auth import ZohoAuth
from keyaccount.plugins.zoho.client import CreditGovernor, ZohoClient

ACCOUNTS = "https://accounts.zoho.com"
API = "https://www.zohoapis.com"
TOKEN_URL = f"{ACCOUNTS}/oauth/v2/token"
CLIENT_ID = "1000.CLIENTID"
SECRET = "s3cr3t-client-secret-value"
REFRESH = "1000.refresh-token-value-abc"
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


class Sleeps:
    """A sleep that records and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def no_wait(max_attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, wait=tenacity.wait_none(), sleep=Sleeps())


class TokenServer:
    """The token endpoint: issues ``tok1``, ``tok2``... and remembers each request's form."""

    def __init__(self, *, expires_in: int = 3600, api_domain: str | None = API) -> None:
        self.expires_in = expires_in
        self.api_domain = api_domain
        self.forms: list[dict[str, str]] = []
        self._n = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        with self._lock:
            self.forms.append(form)
            n = next(self._n)
        body: dict[str, Any] = {
            "access_token": f"tok{n}",
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }
        if self.api_domain:
            body["api_domain"] = self.api_domain
        if form.get("grant_type") == "authorization_code":
            body["refresh_token"] = "1000.refresh-from-code"
        return httpx.Response(200, json=body)

    @property
    def count(self) -> int:
        return len(self.forms)


def router() -> respx.Router:
    return respx.Router(assert_all_called=False, assert_all_mocked=True)


def build_client(
    mock: respx.Router,
    *,
    clock: FixedClock | None = None,
    retry: RetryPolicy | None = None,
    max_concurrency: int = 10,
    credits: CreditGovernor | None = None,
    tokens: TokenServer | None = None,
    refresh_token: str | None = REFRESH,
) -> ZohoClient:
    """A client whose HTTP goes to ``mock``; a token route is added unless one exists."""
    if tokens is not None:
        mock.post(TOKEN_URL).mock(side_effect=tokens)
    http = httpx.Client(transport=httpx.MockTransport(mock.handler))
    policy = retry or no_wait()
    auth = ZohoAuth(
        client_id=CLIENT_ID,
        client_secret=SECRET,
        accounts_url=ACCOUNTS,
        refresh_token=refresh_token,
        http_client=http,
        clock=clock or FixedClock(NOW),
        retry=policy,
    )
    return ZohoClient(
        auth,
        api_url=API,
        http_client=http,
        close_http=True,
        retry=policy,
        max_concurrency=max_concurrency,
        credits=credits or CreditGovernor(sleep=Sleeps()),
    )


def zoho_error(status: int, code: str, message: str = "error", **details: Any) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "details": details, "message": message, "status": "error"}
    )


def success(record_id: str, *, message: str = "record added", **extra: Any) -> dict[str, Any]:
    return {
        "code": "SUCCESS",
        "status": "success",
        "message": message,
        "details": {"id": record_id, "Modified_Time": "2026-06-30T17:00:00+08:00"},
        **extra,
    }


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


Handler = Callable[[httpx.Request], httpx.Response]


class ListServer:
    """``GET /crm/v8/{module}`` over ``records`` with Zoho's paging rules: ``fields`` required
    and at most 50, ``per_page`` at most 200, ``page`` only for the first 2,000 records, page
    tokens after that, 204 when empty, 304 when nothing changed since ``If-Modified-Since``."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests: list[httpx.Request] = []
        self._tokens: dict[str, int] = {}
        self._lock = threading.Lock()
        self.before: Callable[[httpx.Request, int], httpx.Response | None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            n = len(self.requests)
        if self.before is not None:
            early = self.before(request, n)
            if early is not None:
                return early
        q = request.url.params
        if "ids" in q:
            wanted = q["ids"].split(",")
            fields = q["fields"].split(",")
            found = [self._project(r, fields) for r in self.records if r["id"] in wanted]
            return httpx.Response(200, json={"data": found}) if found else httpx.Response(204)
        if "fields" not in q:
            return zoho_error(400, "REQUIRED_PARAM_MISSING", "fields", param_name="fields")
        fields = q["fields"].split(",")
        if len(fields) > 50:
            return zoho_error(400, "LIMIT_EXCEEDED", "fields", limit=50)
        per_page = int(q.get("per_page", "200"))
        if per_page > 200:
            return zoho_error(400, "INVALID_DATA", "per_page", param_name="per_page")
        if "page" in q and "page_token" in q:
            return zoho_error(400, "INVALID_DATA", "page with page_token")
        rows = self.records
        since = request.headers.get("If-Modified-Since")
        if since:
            cut = datetime.fromisoformat(since)
            rows = [r for r in rows if datetime.fromisoformat(r["Modified_Time"]) > cut]
            if not rows:
                return httpx.Response(304)
        if not rows:
            return httpx.Response(204)
        if "page_token" in q:
            with self._lock:
                start = self._tokens.pop(q["page_token"])
        else:
            page = int(q.get("page", "1"))
            start = (page - 1) * per_page
            if start + per_page > 2000:
                return zoho_error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param",
                    limit=2000,
                )
        chunk = rows[start : start + per_page]
        more = start + per_page < len(rows)
        info: dict[str, Any] = {"per_page": per_page, "count": len(chunk), "more_records": more}
        if more:
            token = f"pt{n}"
            with self._lock:
                self._tokens[token] = start + per_page
            info["next_page_token"] = token
            info["page_token_expiry"] = "2026-07-01T09:00:00+00:00"
        return httpx.Response(
            200, json={"data": [self._project(r, fields) for r in chunk], "info": info}
        )

    @staticmethod
    def _project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        return {"id": record["id"], **{f: record[f] for f in fields if f in record}}


def account_rows(n: int, *, extra_fields: int = 0) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "id": str(3388926000000000000 + i),
            "Account_Name": f"Account {i}",
            "Modified_Time": f"2026-06-{1 + i % 28:02d}T10:00:00+08:00",
        }
        for f in range(extra_fields):
            row[f"Field_{f}__c"] = f"v{i}.{f}"
        rows.append(row)
    return rows
