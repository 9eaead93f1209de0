"""Filling a slotted, frozen attrs record without its ``__init__``, for values already checked.

Whole-book runs build hundreds of thousands of records whose values provably passed the
record's checks before (copied from a validated record, or produced by the run from
validated data), or that have no checks at all: a re-tiered ``Customer``, a run's
``TierAssignment``s after its first, a customer's facts, scores, stage changes, transitions
and state. Their builders, each next to its record and each tested equal to the
constructor, skip attrs' per-field setup and set the slots directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

T = TypeVar("T")
Setter = Callable[[Any, Any], None]


def slot_setters(cls: type, *names: str) -> tuple[Setter, ...]:
    """The ``__set__`` of the slots ``names`` of ``cls``: like ``object.__setattr__`` they
    get past a frozen class's ``__setattr__``, without a name lookup per field (measured
    ~0.1 µs a field, a third of the cost of building a 4-field record)."""
    return tuple(cls.__dict__[name].__set__ for name in names)


def slot_builder(cls: type[T]) -> Callable[..., T]:
    """``build(*values)``: an instance of ``cls`` from every attrs field's value, in field
    order, with no converter, validator or default applied.

    The function is generated once per class, as attrs generates ``__init__``, so each
    field's setter is called by name: a loop over the setters costs about half as much again
    (measured), and these builders run once per customer or more. Give it only values that
    already meet the record's checks; where some may not, check them next to the call.
    """
    names = [f.name for f in attrs.fields(cls)]  # type: ignore[arg-type]
    setters = slot_setters(cls, *names)
    lines = [f"def build({', '.join(names)}):", "    _self = _new(_cls)"]
    lines += [f"    _set{i}(_self, {name})" for i, name in enumerate(names)]
    lines.append("    return _self")
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    env.update({f"_set{i}": setter for i, setter in enumerate(setters)})
    exec(compile("\n".join(lines), f"<slot builder of {cls.__qualname__}>", "exec"), env)
    build: Callable[..., T] = env["build"]
    return build
