"""API limits (concurrency, rolling 24-hour credits), fault switches and call counters.

Callers hold the fake's lock; nothing here locks on its own.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keyaccount.clock import Clock

CREDIT_WINDOW = timedelta(hours=24)

# Kinds of call the counters use.
TOKEN = "token"
LIST = "list"
GET = "get"
WRITE = "write"
DELETE = "delete"
OTHER = "other"
API_KINDS = (LIST, GET, WRITE, DELETE)


@dataclass
class CreditMeter:
    """Credits used in a rolling 24-hour window: each use frees up 24 hours after it."""

    clock: Clock
    limit: int
    _uses: deque[tuple[datetime, int]] = field(default_factory=deque)
    _used: int = 0

    def used(self) -> int:
        horizon = self.clock.now() - CREDIT_WINDOW
        while self._uses and self._uses[0][0] <= horizon:
            self._used -= self._uses.popleft()[1]
        return self._used

    def remaining(self) -> int:
        return max(0, self.limit - self.used())

    def try_spend(self, cost: int) -> bool:
        if self.used() + cost > self.limit:
            return False
        self._uses.append((self.clock.now(), cost))
        self._used += cost
        return True

    def set_used(self, credits: int) -> None:
        """Pretend ``credits`` were spent just now (replaces the current window)."""
        self._uses.clear()
        self._used = 0
        if credits:
            self._uses.append((self.clock.now(), credits))
            self._used = credits

    def header(self) -> dict[str, str]:
        # Zoho starts sending the header only once half the daily credits are gone.
        if self.used() * 2 >= self.limit:
            return {"X-API-CREDITS-REMAINING": str(self.remaining())}
        return {}


@dataclass
class ConcurrencyGate:
    """Counts API calls in flight; a call over the limit is refused, not queued."""

    limit: int
    heavy_limit: int
    in_flight: int = 0
    heavy_in_flight: int = 0
    peak: int = 0

    def enter(self, heavy: bool) -> bool:
        if self.in_flight >= self.limit:
            return False
        if heavy and self.heavy_in_flight >= self.heavy_limit:
            return False
        self.in_flight += 1
        if heavy:
            self.heavy_in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        return True

    def leave(self, heavy: bool) -> None:
        self.in_flight -= 1
        if heavy:
            self.heavy_in_flight -= 1


# Fault kinds.
FAIL = "fail"
DROP = "drop"
THROTTLE = "throttle"


@dataclass
class Fault:
    """A switch that hits the next ``remaining`` requests matching ``method`` and ``path``.

    ``path`` matches as a prefix of the URL path (``/crm/v8/Accounts`` also matches its
    ``/upsert``); ``None`` matches anything. ``after_processing`` (drops only) applies the
    request to the fake's state before closing the connection, so the client cannot know
    whether its write happened.
    """

    kind: str
    remaining: int
    status: int = 500
    method: str | None = None
    path: str | None = None
    after_processing: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or path.startswith(self.path)


@dataclass
class FaultPlan:
    latency: float = 0.0
    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        if fault.remaining > 0:
            self.faults.append(fault)

    def take(self, method: str, path: str, *, api: bool) -> Fault | None:
        """The first armed fault that applies to this request, consuming one use of it.

        429 storms only hit the CRM API (the accounts server has its own limits).
        """
        for fault in self.faults:
            if fault.kind == THROTTLE and not api:
                continue
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.latency = 0.0
        self.faults.clear()


@dataclass
class Counters:
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    records_written: int = 0

    def snapshot(self) -> dict[str, int]:
        out = {kind: self.calls.get(kind, 0) for kind in (TOKEN, *API_KINDS, OTHER)}
        out["api"] = sum(out[k] for k in API_KINDS)
        out["dropped"] = self.calls.get("dropped", 0)
        out["records_written"] = self.records_written
        return out
