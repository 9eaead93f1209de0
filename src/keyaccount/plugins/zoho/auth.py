"""OAuth 2.0 against Zoho's accounts server, and where tokens are kept.

Three grants: the authorization code (a web app's redirect or a Self Client's generated code),
the refresh token it returns, and the Self Client ``client_credentials`` grant with ``soid``.
Access tokens are reused until shortly before expiry and refreshed by one thread while the
others wait, because Zoho allows only ten token requests per ten minutes per refresh token.

Secrets (client secret, refresh and access tokens) never appear in reprs, logs or errors.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import attrs
import httpx

from keyaccount.clock import Clock, SystemClock, ensure_utc
from keyaccount.errors import ValidationError
from keyaccount.plugins.zoho._constants import DEFAULT_TIMEOUT, TOKEN_REFRESH_MARGIN_SECONDS
from keyaccount.plugins.zoho._exceptions import (
    AuthenticationError,
    InternalServerError,
    RateLimitError,
    ZohoAPIError,
    ZohoConnectionError,
    ZohoTimeoutError,
)
from keyaccount.plugins.zoho._retry import RetryPolicy

TOKEN_PATH = "/oauth/v2/token"
AUTH_PATH = "/oauth/v2/auth"


@attrs.frozen(repr=False)
class TokenSet:
    """An access token with its expiry (aware UTC), the API domain it is valid for, and the
    refresh token when the grant returned one."""

    access_token: str
    expires_at: datetime
    api_domain: str | None = None
    refresh_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token=<hidden>, expires_at={self.expires_at.isoformat()}, "
            f"api_domain={self.api_domain!r}, refresh_token="
            f"{'<hidden>' if self.refresh_token else None})"
        )

    def expires_within(self, now: datetime, margin: timedelta) -> bool:
        return now >= self.expires_at - margin

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
            "api_domain": self.api_domain,
            "refresh_token": self.refresh_token,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenSet:
        return cls(
            access_token=str(data["access_token"]),
            expires_at=ensure_utc(
                "TokenSet.expires_at", datetime.fromisoformat(data["expires_at"])
            ),
            api_domain=data.get("api_domain"),
            refresh_token=data.get("refresh_token"),
        )


class TokenStore(Protocol):
    """Where tokens survive between runs; ``key`` names one client and organisation."""

    def load(self, key: str) -> TokenSet | None: ...

    def save(self, key: str, tokens: TokenSet) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """Tokens for the life of the process."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> TokenSet | None:
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, tokens: TokenSet) -> None:
        with self._lock:
            self._tokens[key] = tokens

    def delete(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._tokens)})"


class FileTokenStore:
    """Tokens in a JSON file readable by its owner only (0600), replaced atomically so a
    crash mid-write never leaves a half-written file or a moment of wider permissions."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            # The message names the file and position only: the content is secret.
            raise ValidationError(
                "zoho.token_file", str(self.path), f"is not JSON (line {err.lineno})"
            ) from None
        if not isinstance(data, dict):
            raise ValidationError("zoho.token_file", str(self.path), "must hold a JSON object")
        return data

    def _write(self, data: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, key: str) -> TokenSet | None:
        with self._lock:
            entry = self._read().get(key)
        return TokenSet.from_json(entry) if isinstance(entry, Mapping) else None

    def save(self, key: str, tokens: TokenSet) -> None:
        with self._lock:
            data = self._read()
            data[key] = tokens.to_json()
            self._write(data)

    def delete(self, key: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


def expires_in_seconds(body: Mapping[str, Any]) -> float:
    """Lifetime of a token response in seconds.

    Older accounts servers sent ``expires_in`` in milliseconds together with
    ``expires_in_sec``; when the latter is present it is the one in seconds.
    """
    if "expires_in_sec" in body:
        return float(body["expires_in_sec"])
    if "expires_in" in body:
        return float(body["expires_in"])
    return 3600.0


def soid_for(org_id: str) -> str:
    """``soid`` as the accounts server wants it: ``ZohoCRM.<org id>``."""
    org = org_id.strip()
    return org if org.startswith("ZohoCRM.") else f"ZohoCRM.{org}"


class ZohoAuth:
    """Hands out a valid access token, refreshing it once per expiry across threads.

    Give ``refresh_token`` (from an earlier code exchange), or ``org_id`` and ``scope`` for a
    Self Client's ``client_credentials`` grant, or call ``exchange_code`` once.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        accounts_url: str,
        refresh_token: str | None = None,
        org_id: str | None = None,
        scope: tuple[str, ...] = (),
        store: TokenStore | None = None,
        store_key: str | None = None,
        http_client: httpx.Client | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        refresh_margin: timedelta = timedelta(seconds=TOKEN_REFRESH_MARGIN_SECONDS),
    ) -> None:
        if not client_id:
            raise ValidationError("zoho.client_id", client_id, "is required")
        if not client_secret:
            raise ValidationError("zoho.client_secret", "<hidden>", "is required")
        self.client_id = client_id
        self._client_secret = client_secret
        self.accounts_url = accounts_url.rstrip("/")
        self._refresh_token = refresh_token
        self.org_id = org_id
        self.scope = tuple(scope)
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        suffix = f"/{org_id}" if org_id else ""
        self.store_key = store_key or f"{client_id}@{self.accounts_url}{suffix}"
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self._clock: Clock = clock or SystemClock()
        self._retry = retry or RetryPolicy()
        self._margin = refresh_margin
        self._lock = threading.Lock()
        self._current: TokenSet | None = None
        self._rejected: set[str] = set()
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"ZohoAuth(client_id={self.client_id!r}, accounts_url={self.accounts_url!r}, "
            f"org_id={self.org_id!r}, client_secret=<hidden>)"
        )

    # -- flows --------------------------------------------------------------------------------

    def authorization_url(
        self,
        redirect_uri: str,
        *,
        scope: tuple[str, ...] | None = None,
        access_type: str = "offline",
        state: str | None = None,
    ) -> str:
        """Where to send a user to grant access; Zoho redirects back with ``code``."""
        params = {
            "scope": ",".join(scope or self.scope),
            "client_id": self.client_id,
            "response_type": "code",
            "access_type": access_type,
            "redirect_uri": redirect_uri,
        }
        if state is not None:
            params["state"] = state
        return f"{self.accounts_url}{AUTH_PATH}?{urlencode(params)}"

    def exchange_code(self, code: str, redirect_uri: str | None = None) -> TokenSet:
        """Trade a grant code (valid minutes, usable once) for tokens and keep them."""
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "code": code,
        }
        if redirect_uri is not None:
            form["redirect_uri"] = redirect_uri
        tokens = self._request(form)
        with self._lock:
            if tokens.refresh_token:
                self._refresh_token = tokens.refresh_token
            self._current = tokens
            self._store.save(self.store_key, tokens)
        return tokens

    def token(self) -> TokenSet:
        """A token valid for at least the refresh margin; one thread refreshes, others wait."""
        current = self._current
        if current is not None and not current.expires_within(self._clock.now(), self._margin):
            return current
        with self._lock:
            current = self._current
            now = self._clock.now()
            if current is not None and not current.expires_within(now, self._margin):
                return current
            stored = self._store.load(self.store_key)
            if (
                stored is not None
                and stored.access_token not in self._rejected
                and not stored.expires_within(now, self._margin)
            ):
                self._current = stored
                return stored
            fresh = self._grant(stored)
            self._current = fresh
            self._store.save(self.store_key, fresh)
            return fresh

    def invalidate(self, access_token: str) -> None:
        """Zoho rejected ``access_token``; the next ``token()`` fetches a new one. A token
        already replaced by another thread is left alone, so N rejections cost one refresh."""
        with self._lock:
            self._rejected.add(access_token)
            if self._current is not None and self._current.access_token == access_token:
                self._current = None

    @property
    def api_domain(self) -> str | None:
        current = self._current
        return current.api_domain if current is not None else None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- internals ----------------------------------------------------------------------------

    def _grant(self, stored: TokenSet | None) -> TokenSet:
        refresh = self._refresh_token or (stored.refresh_token if stored else None)
        if refresh:
            form = {
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "refresh_token": refresh,
            }
            tokens = self._request(form)
            # Zoho never rotates the refresh token on refresh; keep the one we have.
            return attrs.evolve(tokens, refresh_token=refresh)
        if self.org_id:
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "scope": ",".join(self.scope),
                "soid": soid_for(self.org_id),
            }
            return self._request(form)
        raise AuthenticationError(
            "no refresh token and no self-client org id: configure one or call exchange_code",
            code="NO_GRANT",
        )

    def _request(self, form: Mapping[str, str]) -> TokenSet:
        for attempt in self._retry.retrying(idempotent=True, rate_limits=False):
            with attempt:
                return self._post(form)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _post(self, form: Mapping[str, str]) -> TokenSet:
        url = f"{self.accounts_url}{TOKEN_PATH}"
        grant = form.get("grant_type", "")
        self.token_requests += 1
        try:
            response = self._http.post(url, data=dict(form))
        except httpx.TimeoutException as err:
            raise ZohoTimeoutError(
                f"token request ({grant}) timed out: {type(err).__name__}",
                sent=not isinstance(err, httpx.ConnectTimeout),
            ) from None
        except httpx.TransportError as err:
            raise ZohoConnectionError(
                f"token request ({grant}) failed: {type(err).__name__}",
                sent=not isinstance(err, httpx.ConnectError),
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 500:
            raise InternalServerError(
                f"accounts server error on {grant}", status_code=response.status_code
            )
        if not isinstance(body, Mapping) or "error" in body or "access_token" not in body:
            raise _token_error(response.status_code, body, grant)
        lifetime = expires_in_seconds(body)
        return TokenSet(
            access_token=str(body["access_token"]),
            expires_at=self._clock.now() + timedelta(seconds=lifetime),
            api_domain=str(body["api_domain"]).rstrip("/") if body.get("api_domain") else None,
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
        )


def _token_error(status: int, body: object, grant: str) -> ZohoAPIError:
    """An error naming Zoho's ``error`` code only; descriptions may echo the request."""
    if not isinstance(body, Mapping):
        return AuthenticationError(
            f"token request ({grant}) returned no token", status_code=status, code="NO_TOKEN"
        )
    code = str(body.get("error") or "NO_TOKEN")
    description = str(body.get("error_description") or "")
    if status == 429 or "too many requests" in description.lower():
        return RateLimitError(
            f"token requests throttled ({grant}); Zoho allows 10 per 10 minutes",
            status_code=status,
            code=code,
        )
    return AuthenticationError(f"token request ({grant}) refused", status_code=status, code=code)
