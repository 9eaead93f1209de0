"""Numbers the Zoho adapter is built around, named once so docs and tests can point at them."""

from __future__ import annotations

import httpx

API_VERSION = "v8"

# Zoho answers list reads in well under a second; 30 s still covers a slow 200-record page
# while a dead host is noticed after 5 s instead of the httpx default of never.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

AUTH_HEADER_PREFIX = "Zoho-oauthtoken"

# Records API limits (shared/api/zoho.md section 0).
MAX_PER_PAGE = 200
PAGE_CAP = 2000  # records reachable with ``page``; beyond it only ``page_token`` works
MAX_FIELDS_PER_CALL = 50
MAX_WRITE_BATCH = 100
MAX_DELETE_BATCH = 100
MAX_IDS_PER_GET = 100

# Heavy-call sub-concurrency limit, the same for every edition.
DEFAULT_MAX_CONCURRENCY = 10

# Retries: Stainless-like 0.5 s doubling to an 8 s cap with jitter, four attempts in all.
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_BACKOFF_INITIAL = 0.5
DEFAULT_BACKOFF_MAX = 8.0

# Refresh this long before Zoho's stated expiry so a token never dies in flight.
TOKEN_REFRESH_MARGIN_SECONDS = 60

# Credits: X-API-CREDITS-REMAINING only appears past 50 % use; below this many remaining
# credits calls are spaced out, up to CREDITS_MAX_DELAY seconds apart near zero.
DEFAULT_CREDITS_SLOW_BELOW = 5000
DEFAULT_CREDITS_MAX_DELAY = 2.0

CREDITS_HEADER = "X-API-CREDITS-REMAINING"
