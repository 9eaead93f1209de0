"""The accounts server: grant codes, refresh and access tokens, their limits, revocation.

Callers hold the fake's lock; nothing here locks on its own.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keyaccount.clock import Clock
from keyaccount.testing.fake_zoho.replies import Reply, token_error

DEFAULT_SCOPE = "ZohoCRM.modules.ALL,ZohoCRM.settings.fields.ALL"
TOO_MANY = "You have made too many requests continuously. Please try again after some time."


@dataclass
class Grant:
    code: str
    scope: str
    expires_at: datetime
    redirect_uri: str | None


@dataclass
class RefreshToken:
    token: str
    scope: str
    revoked: bool = False
    # Access tokens currently alive for this refresh token, oldest first.
    live: deque[str] = field(default_factory=deque)
    # When tokens were requested, for the requests-per-window limit.
    requested: deque[datetime] = field(default_factory=deque)


@dataclass
class AccessToken:
    token: str
    scope: frozenset[str]
    expires_at: datetime
    subject: str


class TokenAuthority:
    """Issues and checks tokens the way Zoho's accounts server does (``/oauth/v2/token``)."""

    def __init__(
        self,
        *,
        clock: Clock,
        client_id: str,
        client_secret: str,
        org_id: str,
        api_domain: Callable[[], str],
        lifetime: int = 3600,
        max_live_tokens: int = 10,
        max_requests: int = 10,
        window: timedelta = timedelta(minutes=10),
    ) -> None:
        self._clock = clock
        self.client_id = client_id
        self._client_secret = client_secret
        self.org_id = org_id
        self._api_domain = api_domain
        self.lifetime = lifetime
        self.max_live_tokens = max_live_tokens
        self.max_requests = max_requests
        self.window = window
        self._grants: dict[str, Grant] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._access: dict[str, AccessToken] = {}

    # -- seeding from tests -------------------------------------------------------------
    def issue_grant_code(
        self, scope: str = DEFAULT_SCOPE, *, redirect_uri: str | None = None, expires_in: int = 180
    ) -> str:
        code = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        expiry = self._clock.now() + timedelta(seconds=expires_in)
        self._grants[code] = Grant(code, scope, expiry, redirect_uri)
        return code

    def issue_refresh_token(self, scope: str = DEFAULT_SCOPE) -> str:
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self._refresh[token] = RefreshToken(token, scope)
        return token

    def issue_access_token(self, refresh_token: str) -> str:
        return self._mint(self._refresh[refresh_token])

    def expire_all(self) -> int:
        """Invalidate every current access token (as if all expired at once)."""
        count = len(self._access)
        self._access.clear()
        for rt in self._refresh.values():
            rt.live.clear()
        return count

    def live_access_tokens(self, refresh_token: str | None = None) -> int:
        now = self._clock.now()
        live = [a for a in self._access.values() if a.expires_at > now]
        if refresh_token is not None:
            live = [a for a in live if a.subject == refresh_token]
        return len(live)

    # -- the endpoint -------------------------------------------------------------------
    def token_endpoint(self, params: Mapping[str, str]) -> Reply:
        grant_type = params.get("grant_type")
        if not grant_type:
            return token_error("invalid_request")
        if params.get("client_id") != self.client_id:
            return token_error("invalid_client")
        if not secrets.compare_digest(params.get("client_secret", ""), self._client_secret):
            return token_error("invalid_client_secret")
        if grant_type == "authorization_code":
            return self._exchange_code(params)
        if grant_type == "refresh_token":
            return self._refresh_grant(params)
        if grant_type == "client_credentials":
            return self._client_credentials(params)
        return token_error("unsupported_grant_type")

    def revoke(self, params: Mapping[str, str]) -> Reply:
        rt = self._refresh.get(params.get("token", ""))
        if rt is None or rt.revoked:
            return token_error("invalid_token", status=400)
        rt.revoked = True
        for token in rt.live:
            self._access.pop(token, None)
        rt.live.clear()
        return Reply(200, {"status": "success"})

    def _exchange_code(self, params: Mapping[str, str]) -> Reply:
        grant = self._grants.get(params.get("code", ""))
        # A grant code is single use and short-lived; both failures read "invalid_code".
        if grant is None or grant.expires_at <= self._clock.now():
            return token_error("invalid_code")
        if grant.redirect_uri is not None and params.get("redirect_uri") != grant.redirect_uri:
            return token_error("invalid_redirect_uri")
        del self._grants[grant.code]
        refresh = self.issue_refresh_token(grant.scope)
        rt = self._refresh[refresh]
        self._note_request(rt)
        body = self._access_body(self._mint(rt), rt.scope)
        body["refresh_token"] = refresh
        return Reply(200, body)

    def _refresh_grant(self, params: Mapping[str, str]) -> Reply:
        rt = self._refresh.get(params.get("refresh_token", ""))
        if rt is None or rt.revoked:
            return token_error("invalid_code")
        if self._throttled(rt):
            return token_error("Access Denied", status=400, description=TOO_MANY)
        self._note_request(rt)
        return Reply(200, self._access_body(self._mint(rt), rt.scope))

    def _client_credentials(self, params: Mapping[str, str]) -> Reply:
        soid = params.get("soid")
        if not soid:
            return token_error("missing_org_info")
        if soid != f"ZohoCRM.{self.org_id}":
            return token_error("invalid_org")
        scope = params.get("scope")
        if not scope:
            return token_error("invalid_scope")
        # No refresh token comes back; limits are kept per client under a synthetic key.
        key = f"client_credentials:{self.client_id}"
        rt = self._refresh.setdefault(key, RefreshToken(key, scope))
        if self._throttled(rt):
            return token_error("Access Denied", status=400, description=TOO_MANY)
        self._note_request(rt)
        return Reply(200, self._access_body(self._mint(rt, scope), scope))

    def _throttled(self, rt: RefreshToken) -> bool:
        horizon = self._clock.now() - self.window
        while rt.requested and rt.requested[0] <= horizon:
            rt.requested.popleft()
        return len(rt.requested) >= self.max_requests

    def _note_request(self, rt: RefreshToken) -> None:
        rt.requested.append(self._clock.now())

    def _mint(self, rt: RefreshToken, scope: str | None = None) -> str:
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        scopes = frozenset(s.strip() for s in (scope or rt.scope).split(",") if s.strip())
        expiry = self._clock.now() + timedelta(seconds=self.lifetime)
        self._access[token] = AccessToken(token, scopes, expiry, rt.token)
        rt.live.append(token)
        # The eleventh live token evicts the oldest one.
        while len(rt.live) > self.max_live_tokens:
            self._access.pop(rt.live.popleft(), None)
        return token

    def _access_body(self, token: str, scope: str) -> dict[str, object]:
        return {
            "access_token": token,
            "scope": scope,
            "api_domain": self._api_domain(),
            "token_type": "Bearer",
            "expires_in": self.lifetime,
        }

    # -- checking API calls -------------------------------------------------------------
    def lookup(self, token: str) -> AccessToken | None:
        found = self._access.get(token)
        if found is None or found.expires_at <= self._clock.now():
            return None
        return found


def scope_allows(scopes: frozenset[str], module: str, operation: str) -> bool:
    """Whether granted scopes cover ``operation`` (READ/CREATE/UPDATE/DELETE) on ``module``.

    Accepted forms: ``ZohoCRM.modules.ALL``, ``ZohoCRM.modules.<OP>``,
    ``ZohoCRM.modules.<module>.ALL`` and ``ZohoCRM.modules.<module>.<OP>``; ``WRITE`` covers
    CREATE and UPDATE. Module names in scopes are case-insensitive.
    """
    wanted = {"ALL", operation}
    if operation in ("CREATE", "UPDATE"):
        wanted.add("WRITE")
    for scope in scopes:
        parts = scope.split(".")
        if len(parts) < 3 or parts[0] != "ZohoCRM" or parts[1] != "modules":
            continue
        if len(parts) == 3 and parts[2].upper() in wanted:
            return True
        if len(parts) == 4 and parts[2].lower() == module.lower() and parts[3].upper() in wanted:
            return True
    return False
