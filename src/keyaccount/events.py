"""Domain events: facts services announce through the ``on_domain_event`` plugin hook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

import attrs

from keyaccount import validation as v
from keyaccount.slots import slot_builder


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


_SUBJECT_FIELD = attrs.fields(DomainEvent).subject_id
_build_event = slot_builder(DomainEvent)


def event_builder(name: str, occurred_at: datetime) -> Callable[[str, Any], DomainEvent]:
    """``build(subject_id, data)`` for many events of one ``name`` and moment (a first review
    announces a ``tier.changed`` per customer): like the constructor, but ``name`` and
    ``occurred_at`` are checked and converted once, here, by the constructor itself. Each
    event still checks ``subject_id``; a plain ``dict`` ``data`` is taken as it is (the
    caller hands over a fresh one), anything else is copied as the constructor does.
    Measured 4.0 → 2.0 µs an event with its data dict.
    """
    template = DomainEvent(name, occurred_at, "template")
    checked_name, checked_at = template.name, template.occurred_at

    def build(subject_id: str, data: Any) -> DomainEvent:
        event: DomainEvent = _build_event(
            checked_name,
            checked_at,
            subject_id,
            data if type(data) is dict else v.text_mapping(data),
        )
        v.non_empty_text(event, _SUBJECT_FIELD, subject_id)
        return event

    return build


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
