"""Domain events: facts services announce through the ``on_domain_event`` plugin hook."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import attrs

from keyaccount import validation as v


@attrs.frozen
class DomainEvent:
    """Something that happened to a subject (usually a customer).

    ``name`` is a dotted, stable identifier such as ``tier.changed`` or ``complaint.escalated``;
    ``data`` holds JSON-friendly details (strings, numbers, booleans, lists, dicts) so a plugin
    can forward the event to another system without importing keyaccount models.
    """

    name: str = attrs.field(validator=v.non_empty_text)
    occurred_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    subject_id: str = attrs.field(validator=v.non_empty_text)
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=v.text_mapping, hash=False)


class EventSink(Protocol):
    """Where services announce events; ``PluginHost`` is one (it calls ``on_domain_event``)."""

    def emit(self, event: DomainEvent) -> None: ...


class RecordingSink:
    """Keeps emitted events in a list; for tests and for callers that batch notifications."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


class NullSink:
    """Discards events."""

    def emit(self, event: DomainEvent) -> None:
        del event
