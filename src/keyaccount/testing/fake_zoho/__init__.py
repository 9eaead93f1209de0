"""A fake Zoho CRM for tests: a real HTTP server on loopback that behaves like Zoho.

It serves both the accounts server (``/oauth/v2/token``) and the Records API v8
(``/crm/v8/{module}``) on one port, in a background thread. Nothing leaves the machine.

Quick start::

    from keyaccount.testing.fake_zoho import FakeZoho

    with FakeZoho() as fake:                       # or the pytest fixture ``fake_zoho``
        fake.seed("Accounts", 5000)
        token = httpx.post(fake.token_url, data={
            "grant_type": "refresh_token", "refresh_token": fake.refresh_token,
            "client_id": fake.client_id, "client_secret": fake.client_secret,
        }).json()["access_token"]
        httpx.get(fake.api_domain + "/crm/v8/Accounts",
                  params={"fields": "Account_Name", "per_page": 200},
                  headers={"Authorization": f"Zoho-oauthtoken {token}"})

API
---
``FakeZoho(*, clock=None, host="127.0.0.1", port=0, client_id="1000.FAKEZOHOCLIENT",
client_secret="fake-zoho-client-secret", org_id="700000001", org_timezone=+05:30,
concurrency_limit=10, heavy_concurrency_limit=10, credit_limit=100_000, token_lifetime=3600,
max_live_tokens=10, max_token_requests=10, token_request_window=timedelta(minutes=10),
scope_mismatch_status=401)``

``clock`` is any ``keyaccount.clock.Clock`` (pass a ``FixedClock`` and ``advance`` it to move
token expiry, Modified_Time, page-token expiry and the rate windows deterministically).

Lifecycle: ``start()`` (returns self), ``stop()``, context manager, ``running``.
Addresses: ``base_url`` (= ``accounts_url`` = ``api_domain``), ``token_url``.

Credentials: ``client_id``, ``client_secret``, ``org_id`` (for ``soid=ZohoCRM.<org_id>``),
``refresh_token`` (ready-made, scope ``ZohoCRM.modules.ALL,ZohoCRM.settings.fields.ALL``),
``issue_grant_code(scope=..., redirect_uri=None, expires_in=180)``,
``issue_refresh_token(scope=...)``, ``issue_access_token(scope=...)`` (no HTTP call),
``expire_access_tokens()`` (every live access token becomes INVALID_TOKEN, mid-run).

Data: ``seed(module, count, factory=None, start=None, step=timedelta(0)) -> ids``,
``add_records(module, rows, modified=None) -> ids`` (validated like an insert; no counters),
``records(module)``, ``record(module, id)``, ``count_records(module)``,
``define_module(custom_module("Projects", mandatory=("Name",), unique=(), duplicate_check=("Name",),
fields={...}))`` for custom modules (``ModuleSpec``/``FieldSpec`` for full control).
Standard modules: Accounts, Contacts, Deals, Cases, Tasks, Calls, Events, Notes (mandatory
fields as in Zoho's standard layouts: Account_Name; Last_Name; Deal_Name+Stage+Closing_Date;
Subject; Subject; Subject+Call_Type+Call_Start_Time; Event_Title+Start_DateTime+End_DateTime;
Note_Content+Parent_Id). Unique (DUPLICATE_DATA) fields: Accounts.Account_Name, Contacts.Email.

Faults: ``set_latency(seconds)``, ``fail_next(n, status=500, method=None, path=None)``,
``drop_next(n, method=None, path=None, after_processing=False)``,
``throttle_next(n, method=None, path=None)`` (429 storm), ``clear_faults()``.
``path`` is a URL-path prefix such as ``"/crm/v8/Accounts"`` or ``"/oauth/v2/token"``.

Limits and counters: ``set_credits_used(n)``, ``credits_remaining``, ``peak_concurrency``,
``counts()`` -> ``{"token", "list", "get", "write", "delete", "other", "api", "dropped",
"records_written"}``, ``count(kind)``, ``status_counts()``, ``reset_counters()``,
``requests()`` -> ``[LoggedRequest(method, path, params, if_modified_since, status, records)]``
(latest 10,000; token-endpoint parameters are never logged; ``status`` None = dropped).

Behaviour worth knowing (all as Zoho does it, see docs/testing-fake-zoho.md):

- token errors come back as HTTP 200 with ``{"error": "invalid_code"}`` and the like, except
  the rate limit (HTTP 400, ``"error": "Access Denied"``): check the body, not the status;
- list: ``fields`` mandatory (≤50), ``per_page`` ≤200, ``page*per_page`` > 2000 is 400
  ``DISCRETE_PAGINATION_LIMIT_EXCEEDED``; ``info.next_page_token`` whenever ``more_records``;
  empty → 204, nothing newer than ``If-Modified-Since`` → 304, both without a body;
  default order ``sort_by=id``, ``sort_order=desc``;
- get by unknown id → 204;
- writes: ≤100 records, one result per record in order, 201 (insert/upsert) or 200 (update)
  when all succeed, 207 mixed, 400 when all fail;
- 429 ``TOO_MANY_REQUESTS`` never carries ``Retry-After``; ``X-API-CREDITS-REMAINING`` appears
  once half the credits are used.
"""

from keyaccount.testing.fake_zoho.modules import FieldSpec, ModuleSpec, custom_module
from keyaccount.testing.fake_zoho.oauth import DEFAULT_SCOPE
from keyaccount.testing.fake_zoho.server import FakeZoho, LoggedRequest

__all__ = [
    "DEFAULT_SCOPE",
    "FakeZoho",
    "FieldSpec",
    "LoggedRequest",
    "ModuleSpec",
    "custom_module",
]
