"""``FakeZoho``: the HTTP server, its routing, and the switches tests use to steer it."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from keyaccount.clock import Clock, SystemClock
from keyaccount.testing.fake_zoho import limits
from keyaccount.testing.fake_zoho.limits import (
    ConcurrencyGate,
    Counters,
    CreditMeter,
    Fault,
    FaultPlan,
)
from keyaccount.testing.fake_zoho.modules import ModuleSpec
from keyaccount.testing.fake_zoho.oauth import DEFAULT_SCOPE, TokenAuthority, scope_allows
from keyaccount.testing.fake_zoho.records import RecordStore
from keyaccount.testing.fake_zoho.replies import Reply, api_error, too_many_requests

API_PREFIX = "/crm/v8/"
TOKEN_PATH = "/oauth/v2/token"
REVOKE_PATH = "/oauth/v2/token/revoke"
REQUEST_LOG_SIZE = 10_000
IST = timezone(timedelta(hours=5, minutes=30))


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the fake saw it. ``status`` is ``None`` when the connection was dropped;
    ``records`` is the size of a write's ``data`` array. Token-endpoint parameters (secrets)
    are never kept."""

    method: str
    path: str
    params: dict[str, str]
    if_modified_since: str | None
    status: int | None
    records: int


@dataclass(frozen=True)
class _Route:
    kind: str
    api: bool
    action: str
    module: str = ""
    record_id: str | None = None
    operation: str = "READ"


# (path segments after /crm/v8/, method) -> (counter kind, action, scope operation)
_ROUTES: dict[tuple[int, str], tuple[str, str, str]] = {
    (1, "GET"): (limits.LIST, "list", "READ"),
    (1, "POST"): (limits.WRITE, "insert", "CREATE"),
    (1, "PUT"): (limits.WRITE, "update", "UPDATE"),
    (1, "DELETE"): (limits.DELETE, "delete", "DELETE"),
    (2, "GET"): (limits.GET, "get", "READ"),
    (2, "PUT"): (limits.WRITE, "update_one", "UPDATE"),
    (2, "DELETE"): (limits.DELETE, "delete_one", "DELETE"),
}


def _route(method: str, path: str) -> _Route | Reply:
    if path in (TOKEN_PATH, REVOKE_PATH):
        if method != "POST":
            return Reply(405, {"error": "invalid_request"})
        return _Route(limits.TOKEN, False, "revoke" if path == REVOKE_PATH else "token")
    if not path.startswith(API_PREFIX):
        return api_error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )
    parts = [p for p in path[len(API_PREFIX) :].split("/") if p]
    if len(parts) == 2 and parts[1] == "upsert":
        if method != "POST":
            return api_error(
                405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            )
        return _Route(limits.WRITE, True, "upsert", parts[0], None, "UPSERT")
    if len(parts) == 2 and parts[1] == "deleted":
        if method != "GET":
            return api_error(
                405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
            )
        return _Route(limits.LIST, True, "deleted", parts[0], None, "READ")
    if len(parts) not in (1, 2) or (len(parts) == 2 and not parts[1].isdigit()):
        return api_error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )
    entry = _ROUTES.get((len(parts), method))
    if entry is None:
        return api_error(
            405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
        )
    kind, action, operation = entry
    return _Route(kind, True, action, parts[0], parts[1] if len(parts) == 2 else None, operation)


class FakeZoho:
    """A fake Zoho (accounts server and CRM Records API v8) on a loopback port.

    See the package docstring of ``keyaccount.testing.fake_zoho`` for the full API.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = "1000.FAKEZOHOCLIENT",
        client_secret: str = "fake-zoho-client-secret",
        org_id: str = "700000001",
        org_timezone: tzinfo = IST,
        concurrency_limit: int = 10,
        heavy_concurrency_limit: int = 10,
        credit_limit: int = 100_000,
        token_lifetime: int = 3600,
        max_live_tokens: int = 10,
        max_token_requests: int = 10,
        token_request_window: timedelta = timedelta(minutes=10),
        scope_mismatch_status: int = 401,
    ) -> None:
        if scope_mismatch_status not in (401, 403):
            raise ValueError(
                f"FakeZoho.scope_mismatch_status must be 401 or 403, got {scope_mismatch_status!r}"
            )
        for name, value in (
            ("concurrency_limit", concurrency_limit),
            ("heavy_concurrency_limit", heavy_concurrency_limit),
            ("credit_limit", credit_limit),
        ):
            if value < 1:
                raise ValueError(f"FakeZoho.{name} must be at least 1, got {value!r}")
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._host = host
        self._port = port
        self.client_id = client_id
        self.client_secret = client_secret
        self.org_id = org_id
        self.scope_mismatch_status = scope_mismatch_status
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.auth = TokenAuthority(
            clock=self.clock,
            client_id=client_id,
            client_secret=client_secret,
            org_id=org_id,
            api_domain=lambda: self.base_url,
            lifetime=token_lifetime,
            max_live_tokens=max_live_tokens,
            max_requests=max_token_requests,
            window=token_request_window,
        )
        self.store = RecordStore(self.clock, org_timezone)
        self.credits = CreditMeter(self.clock, credit_limit)
        self.gate = ConcurrencyGate(concurrency_limit, heavy_concurrency_limit)
        self.faults = FaultPlan()
        self.counters = Counters()
        self._requests: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        # Ready-made credentials, as if a self client's grant code had been exchanged already.
        self.refresh_token = self.auth.issue_refresh_token(DEFAULT_SCOPE)

    def __repr__(self) -> str:
        state = self.base_url if self._server is not None else "stopped"
        return f"FakeZoho({state})"

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeZoho:
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-zoho",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeZoho:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: both the accounts server and the ``api_domain``."""
        if self._server is None:
            raise RuntimeError(
                "FakeZoho is not running; call start() or use it as a context manager"
            )
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def accounts_url(self) -> str:
        return self.base_url

    @property
    def api_domain(self) -> str:
        return self.base_url

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    # -- credentials --------------------------------------------------------------------
    def issue_grant_code(
        self, scope: str = DEFAULT_SCOPE, *, redirect_uri: str | None = None, expires_in: int = 180
    ) -> str:
        with self._lock:
            return self.auth.issue_grant_code(
                scope, redirect_uri=redirect_uri, expires_in=expires_in
            )

    def issue_refresh_token(self, scope: str = DEFAULT_SCOPE) -> str:
        with self._lock:
            return self.auth.issue_refresh_token(scope)

    def issue_access_token(self, scope: str = DEFAULT_SCOPE) -> str:
        """A valid access token (under a new refresh token), without a token-endpoint call."""
        with self._lock:
            return self.auth.issue_access_token(self.auth.issue_refresh_token(scope))

    def expire_access_tokens(self) -> int:
        """Invalidate every current access token at once; returns how many were live."""
        with self._lock:
            return self.auth.expire_all()

    # -- data ---------------------------------------------------------------------------
    def define_module(self, spec: ModuleSpec) -> None:
        """Add (or replace) a module; build custom ones with ``custom_module(...)``."""
        with self._lock:
            self.store.define(spec)

    def add_records(
        self,
        module: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        modified: Callable[[int], datetime] | None = None,
    ) -> list[str]:
        """Store rows directly (no HTTP, no counters), validated like an insert."""
        with self._lock:
            return self.store.load(module, rows, modified=modified)

    def seed(
        self,
        module: str,
        count: int,
        *,
        factory: Callable[[int], Mapping[str, Any]] | None = None,
        start: datetime | None = None,
        step: timedelta = timedelta(0),
    ) -> list[str]:
        """Preload ``count`` records; record i is modified at ``start + i * step``."""
        with self._lock:
            offset = self.store.count(module)
            make = (
                factory
                if factory is not None
                else _default_factory(module, self.store.fmt(self.clock.now()))
            )
            base = start if start is not None else self.clock.now()
            return self.store.load(
                module,
                (make(offset + i) for i in range(count)),
                modified=lambda i: base + i * step,
            )

    def records(self, module: str) -> list[dict[str, Any]]:
        """Every record of ``module`` as the API would return it with all fields."""
        with self._lock:
            return self.store.all_rendered(module)

    def record(self, module: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.store.one(module, record_id)

    def count_records(self, module: str) -> int:
        with self._lock:
            return self.store.count(module)

    # -- faults -------------------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        """Delay every response by ``seconds`` (while holding a concurrency slot)."""
        if seconds < 0:
            raise ValueError(f"FakeZoho.latency must be >= 0, got {seconds!r}")
        with self._lock:
            self.faults.latency = seconds

    def fail_next(
        self, count: int, *, status: int = 500, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` and ``INTERNAL_ERROR``."""
        if not 500 <= status <= 599:
            raise ValueError(f"FakeZoho.fail_next status must be 5xx, got {status!r}")
        with self._lock:
            self.faults.add(Fault(limits.FAIL, count, status, method, path))

    def drop_next(
        self,
        count: int,
        *,
        method: str | None = None,
        path: str | None = None,
        after_processing: bool = False,
    ) -> None:
        """Close the connection without any response for the next ``count`` matching requests."""
        with self._lock:
            self.faults.add(Fault(limits.DROP, count, 0, method, path, after_processing))

    def throttle_next(
        self, count: int, *, method: str | None = None, path: str | None = None
    ) -> None:
        """A 429 storm: the next ``count`` matching API requests get ``TOO_MANY_REQUESTS``."""
        with self._lock:
            self.faults.add(Fault(limits.THROTTLE, count, 429, method, path))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # -- limits and counters ------------------------------------------------------------
    def set_credits_used(self, credits: int) -> None:
        with self._lock:
            self.credits.set_used(credits)

    @property
    def credits_remaining(self) -> int:
        with self._lock:
            return self.credits.remaining()

    @property
    def peak_concurrency(self) -> int:
        with self._lock:
            return self.gate.peak

    def counts(self) -> dict[str, int]:
        """Calls by kind: token, list, get, write, delete, other, api (the four API kinds),
        dropped, and records_written (records that writes stored successfully)."""
        with self._lock:
            return self.counters.snapshot()

    def count(self, kind: str) -> int:
        counts = self.counts()
        if kind not in counts:
            raise ValueError(f"FakeZoho.count kind {kind!r} is not one of {sorted(counts)}")
        return counts[kind]

    def status_counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self.counters.statuses)

    def requests(self) -> list[LoggedRequest]:
        """The latest requests (up to 10,000), oldest first, without credentials."""
        with self._lock:
            return list(self._requests)

    def reset_counters(self) -> None:
        """Zero the counters, the status counts, the peak concurrency and the request log."""
        with self._lock:
            self._requests.clear()
            self.counters = Counters()
            self.gate.peak = self.gate.in_flight

    # -- serving ------------------------------------------------------------------------
    def _serve(self, handler: _Handler, method: str, raw: bytes) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        routed = _route(method, path)
        kind = routed.kind if isinstance(routed, _Route) else limits.OTHER
        with self._lock:
            self.counters.calls[kind] += 1
            latency = self.faults.latency
        if isinstance(routed, Reply):
            if latency:
                time.sleep(latency)
            self._log(handler, method, path, query, routed.status, 0)
            self._send(handler, routed)
            return

        body: Any = None
        bad_body = False
        if routed.api and routed.kind == limits.WRITE:
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                bad_body = True
        rows = body.get("data") if isinstance(body, dict) else None
        heavy = isinstance(rows, list) and len(rows) > 10

        admitted = True
        fault: Fault | None = None
        with self._lock:
            if routed.api:
                admitted = self.gate.enter(heavy)
            # A call refused for concurrency never reached the switches, so it uses none up.
            if admitted:
                fault = self.faults.take(method, path, api=routed.api)
        try:
            if latency:
                time.sleep(latency)
            if not admitted:
                reply: Reply | None = too_many_requests()
            else:
                reply = self._answer(handler, routed, fault, method, query, raw, body, bad_body)
        finally:
            if routed.api and admitted:
                with self._lock:
                    self.gate.leave(heavy)
        # The token endpoint's parameters carry secrets, so they stay out of the log.
        logged = query if routed.api else {}
        count = len(rows) if isinstance(rows, list) else 0
        self._log(handler, method, path, logged, None if reply is None else reply.status, count)
        if reply is None:
            self._drop(handler)
            return
        self._send(handler, reply)

    def _log(
        self,
        handler: _Handler,
        method: str,
        path: str,
        params: dict[str, str],
        status: int | None,
        records: int,
    ) -> None:
        entry = LoggedRequest(
            method, path, dict(params), handler.headers.get("If-Modified-Since"), status, records
        )
        with self._lock:
            self._requests.append(entry)

    def _answer(
        self,
        handler: _Handler,
        route: _Route,
        fault: Fault | None,
        method: str,
        query: dict[str, str],
        raw: bytes,
        body: Any,
        bad_body: bool,
    ) -> Reply | None:
        if fault is not None and fault.kind == limits.DROP and not fault.after_processing:
            return None
        if fault is not None and fault.kind == limits.FAIL:
            return api_error(fault.status, "INTERNAL_ERROR", "Internal Server Error")
        if fault is not None and fault.kind == limits.THROTTLE:
            return too_many_requests()
        if route.api:
            reply = self._api(handler, route, query, body, bad_body)
        else:
            params = dict(query)
            content_type = handler.headers.get("Content-Type", "")
            if raw and "application/x-www-form-urlencoded" in content_type:
                form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
                params.update({k: v[-1] for k, v in form.items()})
            with self._lock:
                if route.action == "revoke":
                    reply = self.auth.revoke(params)
                else:
                    reply = self.auth.token_endpoint(params)
        if fault is not None and fault.kind == limits.DROP:
            return None
        return reply

    def _api(
        self, handler: _Handler, route: _Route, query: dict[str, str], body: Any, bad_body: bool
    ) -> Reply:
        header = handler.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Zoho-oauthtoken" or not token.strip():
            return api_error(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        with self._lock:
            access = self.auth.lookup(token.strip())
            if access is None:
                return api_error(401, "INVALID_TOKEN", "invalid oauth token")
            operations = ("CREATE", "UPDATE") if route.operation == "UPSERT" else (route.operation,)
            if not all(scope_allows(access.scope, route.module, op) for op in operations):
                return api_error(
                    self.scope_mismatch_status,
                    "OAUTH_SCOPE_MISMATCH",
                    "invalid oauth scope to access this URL",
                )
            if bad_body:
                return api_error(
                    400, "INVALID_DATA", "the request body is not valid JSON", {"api_name": "data"}
                )
            cost = 1
            rows = body.get("data") if isinstance(body, dict) else None
            if isinstance(rows, list):
                # Inserts, updates and upserts cost one credit per ten records.
                cost = max(1, math.ceil(len(rows) / 10))
            if not self.credits.try_spend(cost):
                refused = too_many_requests()
                refused.headers.update(self.credits.header())
                return refused
            reply = self._records(handler, route, query, body)
            if isinstance(rows, list) and isinstance(reply.body, dict):
                results = reply.body.get("data") or []
                self.counters.records_written += sum(
                    1 for r in results if r.get("status") == "success"
                )
            reply.headers.update(self.credits.header())
            return reply

    def _records(self, handler: _Handler, route: _Route, query: dict[str, str], body: Any) -> Reply:
        store = self.store
        if route.action == "list":
            return store.list_page(route.module, query, handler.headers.get("If-Modified-Since"))
        if route.action == "deleted":
            return store.deleted(route.module, query, handler.headers.get("If-Modified-Since"))
        if route.action == "get":
            assert route.record_id is not None
            return store.get(route.module, route.record_id, query)
        if route.action in ("insert", "update", "upsert"):
            return store.write(route.module, route.action, body)
        if route.action == "update_one":
            return store.write(route.module, "update", body, path_id=route.record_id)
        if route.action == "delete_one":
            assert route.record_id is not None
            return store.delete(route.module, [route.record_id])
        ids = [i for i in query.get("ids", "").split(",") if i]
        return store.delete(route.module, ids)

    def _send(self, handler: _Handler, reply: Reply) -> None:
        payload = reply.encoded()
        with self._lock:
            self.counters.statuses[reply.status] += 1
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.status not in (204, 304):
            handler.send_header("Content-Type", "application/json;charset=UTF-8")
            handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if payload and reply.status not in (204, 304):
            handler.wfile.write(payload)

    def _drop(self, handler: _Handler) -> None:
        with self._lock:
            self.counters.calls["dropped"] += 1
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; Nagle would hold the body back ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def log_message(self, format: str, *args: Any) -> None:
        # Request logs would include tokens in query strings; the fake stays silent.
        return

    def _dispatch(self, method: str) -> None:
        self.server.fake._serve(self, method, self._read_body())

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Clients open many connections at once; a short backlog would stall them in SYN retries.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], fake: FakeZoho) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response (timeouts, stop() during a slow call) is normal
        # here; anything else is a bug in the fake and is reported as usual.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake handler threads idling on keep-alive connections so they exit."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _default_factory(module: str, now_text: str) -> Callable[[int], Mapping[str, Any]]:
    def make(i: int) -> Mapping[str, Any]:
        label = f"{i + 1:06d}"
        if module == "Accounts":
            return {"Account_Name": f"Seed Account {label}"}
        if module == "Contacts":
            return {"Last_Name": f"Seed {label}", "Email": f"seed{label}@example.test"}
        if module == "Deals":
            return {
                "Deal_Name": f"Seed Deal {label}",
                "Stage": "Qualification",
                "Closing_Date": now_text[:10],
            }
        if module in ("Cases", "Tasks"):
            return {"Subject": f"Seed {module} {label}"}
        if module == "Calls":
            return {
                "Subject": f"Seed Call {label}",
                "Call_Type": "Outbound",
                "Call_Start_Time": now_text,
            }
        if module == "Events":
            return {
                "Event_Title": f"Seed Event {label}",
                "Start_DateTime": now_text,
                "End_DateTime": now_text,
            }
        if module == "Notes":
            return {
                "Note_Content": f"Seed note {label}",
                "Parent_Id": {"module": {"api_name": "Accounts"}, "id": "5725767000000500001"},
            }
        return {"Name": f"Seed {module} {label}"}

    return make
