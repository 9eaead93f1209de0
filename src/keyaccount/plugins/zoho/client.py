"""A typed client for Zoho CRM's Records API v8 over httpx.

Reads are lazy page iterators (never one big list) that move from ``page`` to ``page_token``
at the 2,000-record cap, ask for at most 50 fields per call (more are fetched in chunks and
merged by id) and treat 204/304 as empty. Writes go in batches of 100, in parallel up to the
concurrency limit, and always come back as one result per input record, in input order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx

from keyaccount.plugins.zoho._constants import (
    API_VERSION,
    AUTH_HEADER_PREFIX,
    CREDITS_HEADER,
    DEFAULT_CREDITS_MAX_DELAY,
    DEFAULT_CREDITS_SLOW_BELOW,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
    MAX_DELETE_BATCH,
    MAX_FIELDS_PER_CALL,
    MAX_IDS_PER_GET,
    MAX_PER_PAGE,
    MAX_WRITE_BATCH,
    PAGE_CAP,
)
from keyaccount.plugins.zoho._exceptions import (
    AuthenticationError,
    BadRequestError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    ZohoAPIError,
    ZohoConnectionError,
    ZohoError,
    ZohoTimeoutError,
    error_from_response,
)
from keyaccount.plugins.zoho._json import dumps_exact, loads_exact
from keyaccount.plugins.zoho._retry import RetryPolicy
from keyaccount.plugins.zoho.auth import ZohoAuth

log = logging.getLogger("keyaccount.zoho")

Record = dict[str, Any]


@attrs.frozen
class Page:
    """One list response: its records and how to ask for the next one."""

    records: list[Record]
    more_records: bool
    next_page_token: str | None = None
    page: int | None = None


@attrs.frozen
class RecordResult:
    """The outcome of one record of a batch write, at ``index`` in the caller's input."""

    index: int
    id: str | None
    action: str | None = None
    duplicate_field: str | None = None
    error: ZohoError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class CreditGovernor:
    """Spaces calls out as ``X-API-CREDITS-REMAINING`` falls, so a long job slows down
    before the org's daily credits run out instead of hitting a wall of 429s."""

    def __init__(
        self,
        *,
        slow_below: int = DEFAULT_CREDITS_SLOW_BELOW,
        max_delay: float = DEFAULT_CREDITS_MAX_DELAY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.slow_below = slow_below
        self.max_delay = max_delay
        self._sleep = sleep
        self.remaining: int | None = None

    def observe(self, headers: httpx.Headers) -> None:
        raw = headers.get(CREDITS_HEADER)
        if raw is None:
            return
        try:
            self.remaining = int(raw.strip())
        except ValueError:
            log.warning("ignoring unreadable %s header %r", CREDITS_HEADER, raw)

    def delay(self) -> float:
        remaining = self.remaining
        if remaining is None or self.slow_below <= 0 or remaining >= self.slow_below:
            return 0.0
        used_share = 1.0 - max(remaining, 0) / self.slow_below
        return self.max_delay * used_share

    def wait(self) -> None:
        pause = self.delay()
        if pause > 0:
            self._sleep(pause)


class CallStats:
    """HTTP requests sent, by kind (``list``, ``get``, ``insert``, ``update``, ``upsert``,
    ``delete``; every attempt counts), plus ``retry`` (attempts after the first) and
    ``token_retry`` (resends after a 401 was answered by a token refresh)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[kind] += n

    def __getitem__(self, kind: str) -> int:
        with self._lock:
            return self._counts[kind]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def chunked(items: Sequence[Any], size: int) -> Iterator[tuple[int, Sequence[Any]]]:
    """``(offset, chunk)`` pairs of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def field_chunks(fields: Iterable[str]) -> list[list[str]]:
    """Field API names in groups Zoho accepts (≤ 50); ``id`` comes back anyway."""
    unique = list(dict.fromkeys(f for f in fields if f and f != "id"))
    if not unique:
        return [["id"]]
    return [unique[i : i + MAX_FIELDS_PER_CALL] for i in range(0, len(unique), MAX_FIELDS_PER_CALL)]


def format_since(moment: datetime) -> str:
    """``If-Modified-Since`` as Zoho reads it: ISO 8601 with an offset, whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class ZohoClient:
    """Records API v8 for one org. Pass ``http_client`` to share a pool or to test with
    ``httpx.MockTransport``/respx; it is then yours to close unless ``close_http=True``."""

    def __init__(
        self,
        auth: ZohoAuth,
        *,
        api_url: str,
        http_client: httpx.Client | None = None,
        close_http: bool | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: RetryPolicy | None = None,
        credits: CreditGovernor | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.auth = auth
        self.api_url = api_url.rstrip("/")
        # A client we build is ours to close; an injected one is the caller's unless told.
        self._owns_http = http_client is None if close_http is None else close_http
        self._http = http_client or httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max(max_concurrency * 2, 20)),
        )
        self.max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._retry = retry or RetryPolicy()
        self.credits = credits or CreditGovernor()
        self.stats = CallStats()
        self._in_flight = 0
        self.peak_in_flight = 0
        self._flight_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ZohoClient(api_url={self.api_url!r}, max_concurrency={self.max_concurrency})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------------

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, str]:
        token = self.auth.token()
        request_headers = {"Authorization": f"{AUTH_HEADER_PREFIX} {token.access_token}"}
        if content is not None:
            request_headers["Content-Type"] = "application/json"
        request_headers.update(headers or {})
        url = f"{token.api_domain or self.api_url}/crm/{API_VERSION}/{path}"
        self.credits.wait()
        self.stats.add(kind)
        with self._slots:
            with self._flight_lock:
                self._in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            try:
                response = self._http.request(
                    method, url, params=params, content=content, headers=request_headers
                )
                # Read the body while holding the slot: Zoho counts the call until it ends.
                response.read()
            except httpx.TimeoutException as err:
                raise ZohoTimeoutError(
                    f"{method} /{path} timed out ({type(err).__name__})",
                    sent=not isinstance(err, httpx.ConnectTimeout | httpx.PoolTimeout),
                ) from None
            except httpx.TransportError as err:
                raise ZohoConnectionError(
                    f"{method} /{path} failed ({type(err).__name__})",
                    sent=not isinstance(err, httpx.ConnectError),
                ) from None
            finally:
                with self._flight_lock:
                    self._in_flight -= 1
        self.credits.observe(response.headers)
        return response, token.access_token

    def _attempt(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        allow_items: bool,
    ) -> tuple[int, Any]:
        response, used = self._send_once(
            method, path, kind=kind, params=params, content=content, headers=headers
        )
        body = _body(response, method, path)
        if response.status_code == 401 and isinstance(
            error_from_response(401, body), InvalidTokenError
        ):
            # Expired or evicted token: refresh once, send once more, and let a second 401
            # through as an error.
            self.stats.add("token_retry")
            self.auth.invalidate(used)
            response, _ = self._send_once(
                method, path, kind=kind, params=params, content=content, headers=headers
            )
            body = _body(response, method, path)
        status = response.status_code
        if status < 400 or (
            allow_items and isinstance(body, Mapping) and isinstance(body.get("data"), list)
        ):
            return status, body
        if not isinstance(body, Mapping):
            body = {"message": f"{method} /{path} failed with no error body"}
        raise error_from_response(status, body)

    def request(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        allow_items: bool = False,
    ) -> tuple[int, Any]:
        """One logical call with retries; returns ``(status, parsed body or None)``.

        ``allow_items`` lets a 4xx through when its body carries per-record ``data`` items
        (a batch where every record failed), so the caller can read each one.
        """
        content = dumps_exact(json_body) if json_body is not None else None
        attempts = 0
        for attempt in self._retry.retrying(idempotent=idempotent):
            with attempt:
                attempts += 1
                if attempts > 1:
                    self.stats.add("retry")
                return self._attempt(
                    method,
                    path,
                    kind=kind,
                    params=params,
                    content=content,
                    headers=headers,
                    allow_items=allow_items,
                )
        raise AssertionError("unreachable: tenacity reraises the last error")

    # -- reads --------------------------------------------------------------------------------

    def iter_pages(
        self,
        module: str,
        fields: Sequence[str],
        *,
        modified_since: datetime | None = None,
        per_page: int = MAX_PER_PAGE,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[Page]:
        """Pages of ``module`` with at most 50 ``fields``, fetched one at a time as consumed."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}, got {per_page}")
        if len(fields) > MAX_FIELDS_PER_CALL:
            raise ValueError(f"at most {MAX_FIELDS_PER_CALL} fields per call; use iter_records")
        headers = {"If-Modified-Since": format_since(modified_since)} if modified_since else None
        page = 1
        token: str | None = None
        while True:
            query: dict[str, Any] = {**(params or {}), "fields": ",".join(fields)}
            query["per_page"] = per_page
            if token is not None:
                query["page_token"] = token
            else:
                query["page"] = page
            _, body = self.request("GET", module, kind="list", params=query, headers=headers)
            if body is None:  # 204 no records, 304 nothing modified
                return
            info = body.get("info") or {}
            next_token = info.get("next_page_token")
            more = bool(info.get("more_records"))
            yield Page(
                records=list(body.get("data") or []),
                more_records=more,
                next_page_token=next_token,
                page=page if token is None else None,
            )
            if not more:
                return
            if token is not None or (page + 1) * per_page > PAGE_CAP:
                if not next_token:
                    raise ZohoAPIError(
                        f"GET /{module}: more records past the {PAGE_CAP}-record page cap "
                        "but no next_page_token was given",
                        code="NO_PAGE_TOKEN",
                    )
                token = str(next_token)
            else:
                page += 1

    def iter_records(
        self,
        module: str,
        fields: Sequence[str],
        *,
        modified_since: datetime | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[Record]:
        """Every record of ``module`` with ``fields`` (any number), lazily.

        Past 50 fields, each group of 50 is paged alongside the first (concurrently) and
        merged by id; a record missing from a group's page (records changed mid-read) is
        fetched by id.
        """
        chunks = field_chunks(fields)
        if len(chunks) == 1:
            for page in self.iter_pages(
                module, chunks[0], modified_since=modified_since, per_page=per_page
            ):
                yield from page.records
            return
        cursors = [
            self.iter_pages(module, chunk, modified_since=modified_since, per_page=per_page)
            for chunk in chunks
        ]
        # Each group's page is fetched at the same time as the others (each cursor is only
        # ever advanced by one thread at a time), so N groups cost one round trip, not N.
        workers = min(len(cursors), self.max_concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zoho-read") as pool:
            while True:
                futures = [pool.submit(next, cursor, None) for cursor in cursors]
                pages = [future.result() for future in futures]
                lead = pages[0]
                if lead is None:
                    return
                merged = {str(r["id"]): dict(r) for r in lead.records}
                for chunk, other in zip(chunks[1:], pages[1:], strict=True):
                    seen: set[str] = set()
                    for rec in other.records if other is not None else []:
                        rid = str(rec.get("id"))
                        if rid in merged:
                            merged[rid].update(rec)
                            seen.add(rid)
                    missing = [rid for rid in merged if rid not in seen]
                    for rec in self.get_many(module, missing, chunk):
                        merged[str(rec["id"])].update(rec)
                yield from merged.values()

    def get_many(self, module: str, ids: Sequence[str], fields: Sequence[str]) -> Iterator[Record]:
        """Records by id, 100 ids per call; ids Zoho does not hold are skipped."""
        for _, group in chunked(list(ids), MAX_IDS_PER_GET):
            query = {"ids": ",".join(group), "fields": ",".join(fields)}
            _, body = self.request("GET", module, kind="get", params=query)
            if body is not None:
                yield from body.get("data") or []

    def get(self, module: str, record_id: str, *, fields: Sequence[str] | None = None) -> Record:
        """One record; ``NotFoundError`` if Zoho does not hold it."""
        params = {"fields": ",".join(fields)} if fields else None
        _, body = self.request("GET", f"{module}/{record_id}", kind="get", params=params)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not data:
            raise NotFoundError(
                f"no {module} record {record_id}", status_code=204, code="NO_CONTENT"
            )
        return dict(data[0])

    # -- writes -------------------------------------------------------------------------------

    def insert(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Create records. Never retried after the request may have reached Zoho, since a
        second send could create duplicates; use ``upsert`` for retryable writes."""
        extra = {"trigger": list(trigger)} if trigger is not None else {}
        return self._write(
            "POST", module, records, kind="insert", action="insert", extra=extra, idempotent=False
        )

    def update(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Update records; each carries its ``id``."""
        for i, rec in enumerate(records):
            if not rec.get("id"):
                raise ValueError(f"update record {i} has no 'id'")
        extra = {"trigger": list(trigger)} if trigger is not None else {}
        return self._write(
            "PUT", module, records, kind="update", action="update", extra=extra, idempotent=True
        )

    def upsert(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        duplicate_check_fields: Sequence[str] = (),
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Insert or update by ``duplicate_check_fields`` (Zoho's unique fields when empty).
        Safe to retry: a repeat finds the record the first attempt created."""
        extra: dict[str, Any] = {}
        if duplicate_check_fields:
            extra["duplicate_check_fields"] = list(duplicate_check_fields)
        if trigger is not None:
            extra["trigger"] = list(trigger)
        return self._write(
            "POST",
            f"{module}/upsert",
            records,
            kind="upsert",
            action=None,
            extra=extra,
            idempotent=True,
        )

    def delete(self, module: str, ids: Sequence[str]) -> list[RecordResult]:
        """Delete by id, 100 per call; one result per id in input order."""
        batches = list(chunked(list(ids), MAX_DELETE_BATCH))

        def one(offset: int, group: Sequence[str]) -> list[RecordResult]:
            return self._batch(
                offset,
                len(group),
                "delete",
                lambda: self.request(
                    "DELETE",
                    module,
                    kind="delete",
                    params={"ids": ",".join(group)},
                    allow_items=True,
                ),
            )

        return self._run(batches, one)

    def _write(
        self,
        method: str,
        path: str,
        records: Sequence[Mapping[str, Any]],
        *,
        kind: str,
        action: str | None,
        extra: Mapping[str, Any],
        idempotent: bool,
    ) -> list[RecordResult]:
        batches = list(chunked(list(records), MAX_WRITE_BATCH))

        def one(offset: int, group: Sequence[Mapping[str, Any]]) -> list[RecordResult]:
            body = {"data": [dict(r) for r in group], **extra}
            return self._batch(
                offset,
                len(group),
                action,
                lambda: self.request(
                    method,
                    path,
                    kind=kind,
                    json_body=body,
                    idempotent=idempotent,
                    allow_items=True,
                ),
            )

        return self._run(batches, one)

    def _run(
        self,
        batches: list[tuple[int, Sequence[Any]]],
        one: Callable[[int, Sequence[Any]], list[RecordResult]],
    ) -> list[RecordResult]:
        if len(batches) <= 1 or self.max_concurrency == 1:
            return [r for offset, group in batches for r in one(offset, group)]
        workers = min(self.max_concurrency, len(batches))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zoho-write") as pool:
            futures = [pool.submit(one, offset, group) for offset, group in batches]
            return [r for future in futures for r in future.result()]

    def _batch(
        self,
        offset: int,
        size: int,
        action: str | None,
        call: Callable[[], tuple[int, Any]],
    ) -> list[RecordResult]:
        try:
            _, body = call()
        except (AuthenticationError, PermissionDeniedError, NotFoundError, BadRequestError):
            # Nothing in any batch can succeed; say so once instead of per record.
            raise
        except ZohoError as err:
            # Rate limit or transport failure that outlived the retries: each record of this
            # batch is reported, so the caller knows exactly which outcomes are unknown.
            return [RecordResult(index=offset + i, id=None, error=err) for i in range(size)]
        items = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(items, list) or len(items) != size:
            got = len(items) if isinstance(items, list) else 0
            mismatch = ZohoAPIError(f"Zoho returned {got} results for a batch of {size}")
            return [RecordResult(index=offset + i, id=None, error=mismatch) for i in range(size)]
        return [_result(offset + i, item, action) for i, item in enumerate(items)]


def _result(index: int, item: Any, action: str | None) -> RecordResult:
    if not isinstance(item, Mapping):
        return RecordResult(index=index, id=None, error=ZohoAPIError("malformed result item"))
    details = item.get("details") if isinstance(item.get("details"), Mapping) else {}
    record_id = details.get("id") if details else None
    if str(item.get("status", "")).lower() == "success" or item.get("code") == "SUCCESS":
        return RecordResult(
            index=index,
            id=str(record_id) if record_id is not None else None,
            action=str(item.get("action") or action or "") or None,
            duplicate_field=item.get("duplicate_field"),
        )
    # A failed item's details.id may name another record (the duplicate), so no id here.
    return RecordResult(index=index, id=None, error=error_from_response(None, item))


def _body(response: httpx.Response, method: str, path: str) -> Any:
    if response.status_code in (204, 304) or not response.content.strip():
        return None
    try:
        return loads_exact(response.content)
    except ValueError:
        if response.status_code >= 400:
            return None
        raise ZohoAPIError(
            f"{method} /{path}: response is not JSON", status_code=response.status_code
        ) from None
