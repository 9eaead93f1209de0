"""``SecuredStore``: the ``Store`` port seen through one user's rights.

It wraps any backend, so every backend gets the same rules: rows outside the role's scope are
left out of listings and refused by id, sensitive fields come back masked, and every read,
write, delete and export is written to the audit trail.

Masked values never reach stored data. A write carrying a masked field is *merged*: when the
written value is exactly the masked form of the stored value (the caller read a masked record
and sent it back), the real stored value is kept; any other value in a masked field is a change
the caller could not have made knowingly, and is refused with ``AccessDenied``.
"""

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from keyaccount.access.errors import AccessDenied
from keyaccount.access.masking import MaskStrategy, apply_mask
from keyaccount.access.models import AuditEntry
from keyaccount.access.policy import AccessPolicy, Action, Scope
from keyaccount.clock import Clock
from keyaccount.errors import RecordNotFound, StorageError
from keyaccount.models import Customer, User
from keyaccount.schema import SchemaRegistry
from keyaccount.storage import Condition, Store, eq, in_

R = TypeVar("R")


_SEQUENCE = itertools.count()


def _audit_id(at: datetime) -> str:
    """Ids that sort in the order entries were made, even when the clock stands still."""
    return f"aud_{at:%Y%m%d%H%M%S%f}_{next(_SEQUENCE):010d}_{secrets.token_hex(3)}"


class AuditLog(Protocol):
    """Where audit entries go. Entries arrive in the order the actions happened."""

    def append(self, entries: Sequence[AuditEntry]) -> None: ...


class StoreAuditLog:
    """Keeps the audit trail as ``AuditEntry`` records in a store (usually the wrapped one)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            self.store.put_many(entries)

    def entries(self, *conditions: Condition | tuple[Condition, ...]) -> list[AuditEntry]:
        return list(self.store.query(AuditEntry, *conditions, order_by=("id",)))


class SecuredStore:
    """A ``Store`` that enforces ``policy`` for ``actor`` and audits every access."""

    def __init__(
        self,
        store: Store,
        actor: User,
        policy: AccessPolicy,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        policy.check(store.schemas)
        self._inner = store
        self.url: str = store.url
        self.schemas: SchemaRegistry = store.schemas
        self.actor = actor
        self.rules = policy.for_role(actor.role)
        self._links = policy.links
        self._audit = audit
        self._clock = clock
        self._buffer: list[AuditEntry] | None = None
        self._depth = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"SecuredStore({self._inner!r}, actor={self.actor.id!r})"

    # -- audit -------------------------------------------------------------------------------

    def _log(
        self,
        action: Action,
        kind: str,
        record_ids: Iterable[str] = (),
        *,
        outcome: str = "allowed",
        detail: str | None = None,
    ) -> None:
        at = self._clock.now()
        entry = AuditEntry(
            id=_audit_id(at),
            at=at,
            actor_id=self.actor.id,
            role=str(self.actor.role),
            action=action,
            kind=kind,
            record_ids=tuple(record_ids),
            outcome=outcome,
            detail=detail,
        )
        if self._buffer is not None:
            self._buffer.append(entry)
        else:
            self._audit.append([entry])

    def _deny(
        self, action: Action, kind: str, reason: str, record_id: str | None = None
    ) -> AccessDenied:
        self._log(action, kind, [record_id] if record_id else [], outcome="denied", detail=reason)
        return AccessDenied(
            self.actor.id, str(self.actor.role), action.value, kind, reason, record_id
        )

    # -- rules -------------------------------------------------------------------------------

    def _kind(self, cls: type[Any]) -> str:
        if self._closed:
            raise StorageError(f"{self!r} is closed")
        return self.schemas.for_class(cls).kind

    def _check_actor(self, action: Action, kind: str) -> None:
        # The stored user is asked each time so a deactivation (a handover) ends open views.
        stored = self._inner.find(User, self.actor.id) if User in self.schemas else None
        if not self.actor.active or (stored is not None and not stored.active):
            raise self._deny(action, kind, "the user is inactive")

    def _check_read_kind(self, action: Action, kind: str) -> None:
        self._check_actor(action, kind)
        if not self.rules.may_read(kind):
            raise self._deny(action, kind, f"role {self.actor.role} may not read {kind} records")
        if self.rules.read_scope is Scope.NONE:
            raise self._deny(action, kind, f"role {self.actor.role} reads no rows")

    def _parent(self, cls: type[Any]) -> tuple[str, type[Any]] | None:
        """For a kind tied to a customer through another record (a complaint's transitions
        through the complaint), the field naming that record and its class."""
        link = self._links.get(self.schemas.for_class(cls).kind)
        if link is None or link[1] not in self.schemas:
            return None
        return link[0], self.schemas.for_kind(link[1]).cls

    def _linked(self, cls: type[Any]) -> bool:
        """Whether records of ``cls`` belong to a customer, directly or through a parent."""
        if cls is Customer or "customer_id" in self.schemas.for_class(cls).by_name:
            return True
        parent = self._parent(cls)
        return parent is not None and self._linked(parent[1])

    def _customer_in_scope(self, customer: Customer | None, scope: Scope) -> bool:
        if scope is Scope.ALL:
            return True
        if scope is Scope.NONE or customer is None:
            return False
        if customer.owner_id == self.actor.id:
            return True
        return (
            scope is Scope.TEAM
            and self.actor.team is not None
            and (customer.team == self.actor.team)
        )

    def _customer_of(
        self, record: object, pending: Mapping[str, Customer] | None = None
    ) -> Customer | None:
        if isinstance(record, Customer):
            return record
        if "customer_id" not in self.schemas.for_record(record).by_name:
            parent = self._parent(type(record))
            if parent is None:
                return None
            found = self._inner.find(parent[1], getattr(record, parent[0]))
            return None if found is None else self._customer_of(found, pending)
        customer_id = getattr(record, "customer_id", None)
        if customer_id is None:
            return None
        if pending and customer_id in pending:
            return pending[customer_id]
        return self._inner.find(Customer, customer_id)

    def _in_scope(
        self,
        record: object,
        scope: Scope,
        pending: Mapping[str, Customer] | None = None,
        *,
        strict: bool = False,
    ) -> bool:
        """Whether ``record`` falls within ``scope`` for this actor.

        Records tied to no customer (users, handovers...) have no owner to compare with: any
        read scope reaches them, but writing them (``strict``) takes the ``all`` scope, so a
        manager cannot edit users, his own role included.
        """
        if not self._linked(type(record)):
            return scope is Scope.ALL or (not strict and scope is not Scope.NONE)
        return self._customer_in_scope(self._customer_of(record, pending), scope)

    def _scope_condition(self, cls: type[Any]) -> Condition | None:
        """A condition limiting a query to the visible customers, pushed down to the backend."""
        if self.rules.read_scope is Scope.ALL or not self._linked(cls):
            return None
        ids: set[str] = {c.id for c in self._inner.query(Customer, eq("owner_id", self.actor.id))}
        if self.rules.read_scope is Scope.TEAM and self.actor.team is not None:
            ids |= {c.id for c in self._inner.query(Customer, eq("team", self.actor.team))}
        return self._narrow(cls, ids)

    def _narrow(self, cls: type[Any], customer_ids: set[str]) -> Condition:
        if cls is Customer:
            return in_("id", customer_ids)
        if "customer_id" in self.schemas.for_class(cls).by_name:
            return in_("customer_id", customer_ids)
        parent = self._parent(cls)
        assert parent is not None  # _linked said so
        field, parent_cls = parent
        parent_ids = {
            p.id for p in self._inner.query(parent_cls, self._narrow(parent_cls, customer_ids))
        }
        return in_(field, parent_ids)

    def _masks_for(self, record: object) -> Mapping[str, MaskStrategy]:
        fields = self.rules.masked_fields(self.schemas.for_record(record).kind)
        if not fields:
            return {}
        unmasked = self.rules.unmasked_scope
        if unmasked is not Scope.NONE and self._in_scope(record, unmasked, strict=True):
            return {}
        return fields

    def _mask(self, record: R) -> R:
        fields = self._masks_for(record)
        if not fields:
            return record
        # The masked copy is built without running validators on purpose: a masked phone is
        # not a phone number, and such a copy must never be mistaken for stored data.
        masked = copy.copy(record)
        for name, strategy in fields.items():
            object.__setattr__(masked, name, apply_mask(strategy, getattr(record, name)))
        return masked

    # -- reads -------------------------------------------------------------------------------

    def find(self, kind: type[R], record_id: str) -> R | None:
        name = self._kind(kind)
        self._check_read_kind(Action.READ, name)
        record = self._inner.find(kind, record_id)
        if record is None:
            self._log(Action.READ, name, detail=f"not found: {record_id}")
            return None
        if not self._in_scope(record, self.rules.read_scope):
            raise self._deny(Action.READ, name, "outside the role's row scope", record_id)
        self._log(Action.READ, name, [record_id])
        return self._mask(record)

    def get(self, kind: type[R], record_id: str) -> R:
        found = self.find(kind, record_id)
        if found is None:
            raise RecordNotFound(self._kind(kind), record_id)
        return found

    def get_many(self, kind: type[R], record_ids: Iterable[str]) -> dict[str, R]:
        name = self._kind(kind)
        self._check_read_kind(Action.READ, name)
        found = self._inner.get_many(kind, record_ids)
        visible = {
            rid: self._mask(r)
            for rid, r in found.items()
            if self._in_scope(r, self.rules.read_scope)
        }
        self._log(Action.READ, name, visible)
        return visible

    def _select(
        self,
        action: Action,
        kind: type[R],
        conditions: tuple[Condition | tuple[Condition, ...], ...],
        order_by: str | Sequence[str],
        limit: int | None,
    ) -> list[R]:
        name = self._kind(kind)
        self._check_read_kind(action, name)
        scope = self._scope_condition(kind)
        extra = (scope,) if scope is not None else ()
        rows = list(self._inner.query(kind, *conditions, *extra, order_by=order_by, limit=limit))
        masked = [self._mask(r) for r in rows]
        self._log(action, name, [r.id for r in rows])  # type: ignore[attr-defined]
        return masked

    def query(
        self,
        kind: type[R],
        *conditions: Condition | tuple[Condition, ...],
        order_by: str | Sequence[str] = (),
        limit: int | None = None,
    ) -> Iterator[R]:
        return iter(self._select(Action.READ, kind, conditions, order_by, limit))

    def count(self, kind: type[Any], *conditions: Condition | tuple[Condition, ...]) -> int:
        name = self._kind(kind)
        self._check_read_kind(Action.READ, name)
        scope = self._scope_condition(kind)
        extra = (scope,) if scope is not None else ()
        n = self._inner.count(kind, *conditions, *extra)
        self._log(Action.READ, name, detail=f"count={n}")
        return n

    def export(
        self,
        kind: type[R],
        *conditions: Condition | tuple[Condition, ...],
        order_by: str | Sequence[str] = (),
    ) -> list[R]:
        """Records for taking out of the system (a file, a report), masked and audited."""
        name = self._kind(kind)
        if not self.rules.can_export:
            raise self._deny(Action.EXPORT, name, f"role {self.actor.role} may not export")
        return self._select(Action.EXPORT, kind, conditions, order_by, None)

    # -- writes ------------------------------------------------------------------------------

    def _check_write(
        self, action: Action, record: object, pending: Mapping[str, Customer]
    ) -> object:
        """The record to store, after the checks; raises ``AccessDenied`` when not allowed."""
        cls = type(record)
        name = self._kind(cls)
        rid: str = record.id  # type: ignore[attr-defined]
        self._check_actor(action, name)
        if not self.rules.may_write(name):
            raise self._deny(action, name, f"role {self.actor.role} may not write {name}", rid)
        scope = self.rules.write_scope
        stored = self._inner.find(cls, rid)
        if stored is not None and not self._in_scope(stored, scope, strict=True):
            raise self._deny(action, name, "the stored record is outside the write scope", rid)
        if action is Action.DELETE:
            return record
        if not self._in_scope(record, scope, pending, strict=True):
            raise self._deny(action, name, "the record would be outside the write scope", rid)
        if stored is None:
            return record
        return self._merge_masked(record, stored, name, rid)

    def _merge_masked(self, record: object, stored: object, kind: str, rid: str) -> object:
        restore: dict[str, Any] = {}
        for field, strategy in self._masks_for(stored).items():
            written, real = getattr(record, field), getattr(stored, field)
            if written == real:
                continue
            if written == apply_mask(strategy, real):
                restore[field] = real
                continue
            raise self._deny(
                Action.WRITE,
                kind,
                f"field {field} is masked for this role and cannot be changed",
                rid,
            )
        if not restore:
            return record
        merged = copy.copy(record)
        for field, value in restore.items():
            object.__setattr__(merged, field, value)
        attrs.validate(merged)  # type: ignore[arg-type]
        return merged

    def put(self, record: object) -> None:
        self.put_many((record,))

    def put_many(self, records: Iterable[object]) -> int:
        items = list(records)
        pending: dict[str, Customer] = {r.id: r for r in items if isinstance(r, Customer)}
        checked = [self._check_write(Action.WRITE, r, pending) for r in items]
        n = self._inner.put_many(checked)
        by_kind: dict[str, list[str]] = {}
        for r in checked:
            by_kind.setdefault(self.schemas.for_record(r).kind, []).append(r.id)  # type: ignore[attr-defined]
        for name, ids in by_kind.items():
            self._log(Action.WRITE, name, ids)
        return n

    def update(self, kind: type[R], record_id: str, **changes: Any) -> R:
        """Change some fields of a stored record; the safe way to edit through masks.

        Fields the role sees masked may only be given their masked value (which keeps the
        real one); anything else in them is refused.
        """
        name = self._kind(kind)
        stored = self._inner.find(kind, record_id)
        if stored is None:
            raise RecordNotFound(name, record_id)
        masks = self._masks_for(stored)
        for field in list(changes):
            if field in masks:
                if changes[field] != apply_mask(masks[field], getattr(stored, field)):
                    raise self._deny(
                        Action.WRITE,
                        name,
                        f"field {field} is masked for this role and cannot be changed",
                        record_id,
                    )
                del changes[field]
        updated = attrs.evolve(stored, **changes)  # type: ignore[misc]
        self.put(updated)
        return self._mask(updated)

    def delete(self, kind: type[Any], record_id: str) -> None:
        name = self._kind(kind)
        self._check_actor(Action.DELETE, name)
        if not self.rules.can_delete:
            raise self._deny(
                Action.DELETE, name, f"role {self.actor.role} may not delete", record_id
            )
        stored = self._inner.find(kind, record_id)
        if stored is None:
            raise RecordNotFound(name, record_id)
        self._check_write(Action.DELETE, stored, {})
        self._inner.delete(kind, record_id)
        self._log(Action.DELETE, name, [record_id])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The wrapped store's unit of work. Audit entries are kept back until it ends, then
        written outside it, so a rollback never erases the record of what was tried; writes
        that were rolled back are logged as ``rolled_back``."""
        if self._closed:
            raise StorageError(f"{self!r} is closed")
        self._depth += 1
        if self._depth == 1:
            self._buffer = []
        committed = False
        try:
            with self._inner.transaction():
                yield
            committed = True
        finally:
            self._depth -= 1
            if self._depth == 0:
                entries, self._buffer = self._buffer or [], None
                if not committed:
                    entries = [
                        attrs.evolve(e, outcome="rolled_back")
                        if e.outcome == "allowed" and e.action in (Action.WRITE, Action.DELETE)
                        else e
                        for e in entries
                    ]
                self._audit.append(entries)

    def close(self) -> None:
        """Close this view; the wrapped store stays open for its other users."""
        self._closed = True


if TYPE_CHECKING:

    def _is_a_store(view: SecuredStore) -> Store:
        return view
