"""When a failed Zoho call is tried again, and how long to wait first.

Zoho sends no Retry-After, so waits are jittered exponential backoff with a cap. A request
that may have reached Zoho is only repeated when repeating cannot duplicate data: reads,
updates, upserts and deletes are idempotent; inserts are retried only when Zoho refused them
before doing anything (429) or the connection never opened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

import attrs
import tenacity

from keyaccount.plugins.zoho._constants import (
    DEFAULT_BACKOFF_INITIAL,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_ATTEMPTS,
)
from keyaccount.plugins.zoho._exceptions import (
    InternalServerError,
    RateLimitError,
    ZohoConnectionError,
)

log = logging.getLogger("keyaccount.zoho")


def should_retry(exc: BaseException, *, idempotent: bool, rate_limits: bool = True) -> bool:
    """Whether ``exc`` is worth another attempt of a call that is (or is not) idempotent.

    ``rate_limits=False`` is for the token endpoint, whose throttle lasts ten minutes and
    counts every attempt, so retrying there only prolongs the block.
    """
    if isinstance(exc, RateLimitError):
        return rate_limits
    if isinstance(exc, ZohoConnectionError):
        return idempotent or not exc.sent
    if isinstance(exc, InternalServerError):
        return idempotent
    return False


def _log_retry(state: tenacity.RetryCallState) -> None:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning(
        "zoho call failed (%s: %s); attempt %d, retrying in %.2fs",
        type(exc).__name__,
        exc,
        state.attempt_number,
        wait,
    )


@attrs.frozen
class RetryPolicy:
    """Attempts and backoff for Zoho calls. Tests pass ``wait=tenacity.wait_none()``."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_initial: float = DEFAULT_BACKOFF_INITIAL
    backoff_max: float = DEFAULT_BACKOFF_MAX
    wait: tenacity.wait.wait_base | None = None
    sleep: Callable[[float], None] = time.sleep

    def retrying(self, *, idempotent: bool, rate_limits: bool = True) -> tenacity.Retrying:
        wait = self.wait or tenacity.wait_random_exponential(
            multiplier=self.backoff_initial, max=self.backoff_max
        )
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(
                partial(should_retry, idempotent=idempotent, rate_limits=rate_limits)
            ),
            sleep=self.sleep,
            reraise=True,
            before_sleep=_log_retry,
        )
