"""Filling a slotted, frozen attrs record without its ``__init__``, for values already checked.

Whole-book runs build hundreds of thousands of records whose values provably passed the
record's checks before (copied from a validated record, or produced by the run from
validated data): a re-tiered ``Customer``, a run's ``TierAssignment``s after its first, a
customer's stage changes, transitions and state. Their builders, each next to its record
and each tested equal to the constructor, skip attrs' per-field setup and set the slots
directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Setter = Callable[[Any, Any], None]


def slot_setters(cls: type, *names: str) -> tuple[Setter, ...]:
    """The ``__set__`` of the slots ``names`` of ``cls``: like ``object.__setattr__`` they
    get past a frozen class's ``__setattr__``, without a name lookup per field (measured
    ~0.1 µs a field, a third of the cost of building a 4-field record)."""
    return tuple(cls.__dict__[name].__set__ for name in names)
