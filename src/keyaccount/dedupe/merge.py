"""Merging duplicate customers with survivorship rules, provenance and undo.

A merge keeps one customer (the survivor), fills its fields from all the merged records by a
rule per field, repoints every record that refers to a merged-away customer, and marks each
loser ``merged`` with ``merged_into``. Nothing is silently overwritten: the ``MergeRecord``
keeps every touched record's exact prior row, so ``undo`` puts them back as they were —
refusing if any of them changed since, unless forced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from keyaccount.clock import Clock
from keyaccount.dedupe.models import APPLIED, UNDONE, MergeRecord, MergeRecordId
from keyaccount.errors import KeyaccountError, ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.models import Customer, CustomerId, CustomerStatus, UserId, new_id
from keyaccount.schema import RecordSchema
from keyaccount.storage import Store, eq, in_


class Rule(StrEnum):
    """How a field's surviving value is chosen among the merged customers."""

    SURVIVOR = "survivor"  # the survivor's value; blanks filled from the others in order
    MOST_RECENT = "most_recent"  # from the most recently reviewed (else created) customer
    MOST_COMPLETE = "most_complete"  # the longest non-empty value
    SOURCE_PRIORITY = "source_priority"  # from the customer whose source ranks highest
    EARLIEST = "earliest"  # the smallest value (dates: the earliest)
    UNION = "union"  # tags / references of all of them; the survivor wins key clashes
    MANUAL = "manual"  # from the customer picked by hand


FIXED_FIELDS = frozenset({"id", "status", "merged_into"})

DEFAULT_RULES: Mapping[str, Rule] = {
    "name": Rule.SOURCE_PRIORITY,
    "legal_name": Rule.MOST_COMPLETE,
    "credit_code": Rule.MOST_COMPLETE,
    "industry": Rule.MOST_RECENT,
    "region": Rule.MOST_RECENT,
    "employees": Rule.MOST_RECENT,
    "annual_revenue": Rule.MOST_RECENT,
    "owner_id": Rule.SURVIVOR,
    "team": Rule.SURVIVOR,
    "tier": Rule.SURVIVOR,
    "tags": Rule.UNION,
    "external_refs": Rule.UNION,
    "created_at": Rule.EARLIEST,
    "reviewed_at": Rule.MOST_RECENT,
}


def _rules(value: Mapping[str, Any]) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for name, rule in value.items():
        try:
            out[name] = Rule(rule)
        except ValueError:
            known = ", ".join(r.value for r in Rule)
            raise ValidationError(
                f"Survivorship.rules[{name}]", rule, f"must be one of {known}"
            ) from None
    return out


def _str_map(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@attrs.frozen
class Survivorship:
    """Per-field rules (over ``DEFAULT_RULES``), source ranking and manual picks.

    ``source_priority`` ranks the providers named in ``Customer.external_refs`` (a customer
    with none is the source ``local``); ``manual`` maps a field to the customer id whose
    value must win, whatever the rule says.
    """

    rules: Mapping[str, Rule] = attrs.field(factory=dict, converter=_rules)
    source_priority: tuple[str, ...] = ()
    manual: Mapping[str, str] = attrs.field(factory=dict, converter=_str_map)

    def rule_for(self, field: str) -> Rule:
        if field in self.manual:
            return Rule.MANUAL
        return self.rules.get(field, DEFAULT_RULES.get(field, Rule.SURVIVOR))


class UndoConflict(KeyaccountError):
    """Records touched by the merge changed since; undoing would lose those changes."""

    def __init__(self, merge_id: str, changed: Sequence[str]) -> None:
        self.merge_id = merge_id
        self.changed = tuple(changed)
        super().__init__(
            f"merge {merge_id} cannot be undone: {', '.join(changed)} changed since "
            "(undo with force=True to discard those changes)"
        )


@attrs.frozen
class FieldChoice:
    field: str
    before: Any
    after: Any
    sources: tuple[str, ...]
    rule: Rule


@attrs.frozen
class MergePlan:
    """What a merge would do; ``merge`` applies the same computation."""

    survivor: Customer
    merged: Customer
    losers: tuple[Customer, ...]
    choices: tuple[FieldChoice, ...]
    repoints: Mapping[str, tuple[str, ...]]  # kind -> ids of records whose reference moves

    def changed(self) -> list[FieldChoice]:
        return [c for c in self.choices if c.before != c.after]

    def lines(self) -> list[str]:
        out = [
            f"{c.field}: {c.before!r} -> {c.after!r} (from {'+'.join(c.sources)}, {c.rule.value})"
            for c in self.changed()
        ]
        out += [f"repoint {len(ids)} {kind}" for kind, ids in sorted(self.repoints.items())]
        out += [f"mark {c.id} merged into {self.survivor.id}" for c in self.losers]
        return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == () or value == {}


def _recency(c: Customer) -> datetime:
    return c.reviewed_at or c.created_at


def row_json(schema: RecordSchema, record: object) -> str:
    return json.dumps(schema.encode(record), ensure_ascii=False, sort_keys=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class MergeService:
    """Preview, merge and undo. ``reference_fields`` adds reference fields beyond
    ``customer_id`` (which every registered record type is searched for) by kind."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: EventSink,
        *,
        reference_fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.reference_fields = {k: tuple(v) for k, v in (reference_fields or {}).items()}

    # -- choosing values ---------------------------------------------------------------------

    def _choose(
        self, field: str, rule: Rule, records: Sequence[Customer], rules: Survivorship
    ) -> tuple[Any, tuple[str, ...]]:
        survivor = records[0]
        if rule is Rule.MANUAL:
            pick = rules.manual[field]
            chosen = [r for r in records if r.id == pick]
            if not chosen:
                raise ValidationError(
                    f"Survivorship.manual[{field}]", pick, "is not one of the merged customers"
                )
            return getattr(chosen[0], field), (pick,)
        filled = [r for r in records if not _empty(getattr(r, field))]
        if not filled:
            return getattr(survivor, field), (survivor.id,)
        pickers: dict[Rule, Callable[[], Customer]] = {
            Rule.SURVIVOR: lambda: filled[0],
            Rule.MOST_RECENT: lambda: max(reversed(filled), key=_recency),
            Rule.MOST_COMPLETE: lambda: max(
                reversed(filled), key=lambda r: len(str(getattr(r, field)))
            ),
            Rule.SOURCE_PRIORITY: lambda: min(filled, key=lambda r: self._rank(r, rules)),
            Rule.EARLIEST: lambda: min(reversed(filled), key=lambda r: getattr(r, field)),
        }
        if rule is Rule.UNION:
            return self._union(field, filled)
        winner = pickers[rule]()
        return getattr(winner, field), (winner.id,)

    @staticmethod
    def _rank(record: Customer, rules: Survivorship) -> int:
        order = rules.source_priority
        sources = list(record.external_refs) or ["local"]
        return min((order.index(s) for s in sources if s in order), default=len(order))

    @staticmethod
    def _union(field: str, filled: Sequence[Customer]) -> tuple[Any, tuple[str, ...]]:
        values = [getattr(r, field) for r in filled]
        if isinstance(values[0], tuple):
            merged: list[Any] = []
            for value in values:
                merged.extend(v for v in value if v not in merged)
            return tuple(merged), tuple(r.id for r in filled)
        if isinstance(values[0], dict):
            out: dict[Any, Any] = {}
            for value in reversed(values):  # the survivor's entries win
                out.update(value)
            return out, tuple(r.id for r in filled)
        raise ValidationError(
            f"Survivorship.rules[{field}]", "union", "needs a tuple or dict field"
        )

    # -- preview -----------------------------------------------------------------------------

    def preview(
        self,
        survivor_id: str,
        loser_ids: Sequence[str],
        rules: Survivorship | None = None,
    ) -> MergePlan:
        rules = rules or Survivorship()
        losers_ids = list(dict.fromkeys(loser_ids))
        if not losers_ids:
            raise ValidationError(
                "Merge.loser_ids", loser_ids, "name at least one customer to merge"
            )
        if survivor_id in losers_ids:
            raise ValidationError(
                "Merge.loser_ids", survivor_id, "the survivor cannot be merged into itself"
            )
        survivor = self.store.get(Customer, survivor_id)
        losers = tuple(self.store.get(Customer, i) for i in losers_ids)
        for c in (survivor, *losers):
            if c.status is CustomerStatus.MERGED:
                raise ValidationError(
                    "Merge.customer", c.id, f"is already merged into {c.merged_into}"
                )
        codes = sorted({c.credit_code for c in (survivor, *losers) if c.credit_code})
        if len(codes) > 1:
            raise ValidationError(
                "Merge.credit_code", codes, "different credit codes are different legal entities"
            )
        fields = [a.name for a in attrs.fields(Customer) if a.name not in FIXED_FIELDS]
        unknown = sorted((set(rules.rules) | set(rules.manual)) - set(fields))
        if unknown:
            raise ValidationError("Survivorship.rules", unknown, "not Customer fields that merge")
        records = (survivor, *losers)
        choices = []
        for name in fields:
            rule = rules.rule_for(name)
            value, sources = self._choose(name, rule, records, rules)
            choices.append(FieldChoice(name, getattr(survivor, name), value, sources, rule))
        merged = attrs.evolve(survivor, **{c.field: c.after for c in choices})
        repoints = {
            kind: tuple(sorted(r.id for r, _ in found))
            for kind, found in self._references(losers_ids).items()
            if found
        }
        return MergePlan(survivor, merged, losers, tuple(choices), repoints)

    def _references(self, loser_ids: Sequence[str]) -> dict[str, list[tuple[Any, str]]]:
        """Every stored record pointing at a loser, with the field that does, by kind."""
        out: dict[str, list[tuple[Any, str]]] = {}
        for schema in self.store.schemas:
            if schema.cls is MergeRecord:
                continue
            names = ["merged_into"] if schema.cls is Customer else []
            if "customer_id" in schema.by_name:
                names.append("customer_id")
            names += [n for n in self.reference_fields.get(schema.kind, ()) if n not in names]
            found: list[tuple[Any, str]] = []
            for name in names:
                schema.field(name)
                found += [(r, name) for r in self.store.query(schema.cls, in_(name, loser_ids))]
            out[schema.kind] = found
        return out

    # -- merge and undo ----------------------------------------------------------------------

    def merge(
        self,
        survivor_id: str,
        loser_ids: Sequence[str],
        rules: Survivorship | None = None,
        *,
        by_id: str | None = None,
    ) -> MergeRecord:
        now = self.clock.now()
        with self.store.transaction():
            plan = self.preview(survivor_id, loser_ids, rules)
            writes: list[Any] = [plan.merged]
            writes += [
                attrs.evolve(c, status=CustomerStatus.MERGED, merged_into=CustomerId(survivor_id))
                for c in plan.losers
            ]
            loser_set = {c.id for c in plan.losers}
            for found in self._references([c.id for c in plan.losers]).values():
                for record, name in found:
                    if record.id in loser_set and name == "merged_into":
                        continue  # a loser is itself being marked merged above
                    writes.append(attrs.evolve(record, **{name: survivor_id}))
            prior: dict[str, str] = {}
            after: dict[str, str] = {}
            for record in writes:
                schema = self.store.schemas.for_record(record)
                key = f"{schema.kind}:{record.id}"
                before = self.store.get(schema.cls, record.id)
                prior[key] = row_json(schema, before)
                after[key] = _digest(row_json(schema, record))
            self.store.put_many(writes)
            merge = MergeRecord(
                id=MergeRecordId(new_id("mrg")),
                survivor_id=CustomerId(survivor_id),
                loser_ids=tuple(c.id for c in plan.losers),
                at=now,
                provenance={c.field: "+".join(c.sources) for c in plan.choices},
                rules={c.field: c.rule.value for c in plan.choices},
                prior=prior,
                after=after,
                by_id=None if by_id is None else UserId(by_id),
            )
            self.store.put(merge)
        self.events.emit(
            DomainEvent(
                name="customer.merged",
                occurred_at=now,
                subject_id=survivor_id,
                data={"merge_id": merge.id, "loser_ids": list(merge.loser_ids)},
            )
        )
        return merge

    def undo(self, merge_id: str, *, force: bool = False) -> MergeRecord:
        """Put every record the merge touched back exactly as it was before."""
        now = self.clock.now()
        with self.store.transaction():
            merge = self.store.get(MergeRecord, merge_id)
            if merge.status == UNDONE:
                raise ValidationError(
                    "MergeRecord.status", merge.status, "this merge is already undone"
                )
            changed = [key for key, digest in merge.after.items() if self._current(key) != digest]
            if changed and not force:
                raise UndoConflict(merge_id, changed)
            restored = []
            for key, row in merge.prior.items():
                schema = self.store.schemas.for_kind(key.split(":", 1)[0])
                restored.append(schema.decode(json.loads(row)))
            self.store.put_many(restored)
            undone = attrs.evolve(merge, status=UNDONE, undone_at=now)
            self.store.put(undone)
        self.events.emit(
            DomainEvent(
                name="customer.merge_undone",
                occurred_at=now,
                subject_id=merge.survivor_id,
                data={"merge_id": merge.id, "loser_ids": list(merge.loser_ids)},
            )
        )
        return undone

    def _current(self, key: str) -> str | None:
        kind, record_id = key.split(":", 1)
        schema = self.store.schemas.for_kind(kind)
        record = self.store.find(schema.cls, record_id)
        return None if record is None else _digest(row_json(schema, record))

    def provenance(self, customer_id: str) -> dict[str, tuple[str, str, str]]:
        """Field → (merge id, source customer id(s), rule) from the latest applied merge that
        set it on ``customer_id``."""
        merges = self.store.query(
            MergeRecord, eq("survivor_id", customer_id), eq("status", APPLIED), order_by="at"
        )
        out: dict[str, tuple[str, str, str]] = {}
        for m in merges:
            for field, source in m.provenance.items():
                out[field] = (m.id, source, m.rules[field])
        return out
