"""The CRM-provider port: what services and the sync engine need from Zoho, 纷享销客 or an
in-house CRM. Provider specifics (module names, field API names, paging) stay in adapters;
errors are the provider-neutral ones in ``keyaccount.errors``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from keyaccount.errors import ProviderError


@attrs.frozen
class RemoteRecord:
    """One record as the provider holds it: its id, last change and raw field values."""

    remote_id: str
    modified_at: datetime | None
    fields: Mapping[str, Any] = attrs.field(hash=False)


@attrs.frozen
class WriteResult:
    """The outcome of one record in a batch write, in input order.

    ``action`` is ``"insert"``, ``"update"`` or ``"delete"`` on success; on failure ``error``
    holds a provider-neutral ``ProviderError`` and ``remote_id`` may be ``None``.
    """

    index: int
    remote_id: str | None
    action: str | None = None
    error: ProviderError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class CrmProvider(Protocol):
    """A connected CRM. Record kinds are provider-neutral names: ``account``, ``contact``,
    ``deal``, ``case``, ``task``, ``call``, ``event``, ``note`` (or a custom module name)."""

    name: str

    def iter_changed(
        self,
        kind: str,
        *,
        since: datetime | None = None,
        fields: Sequence[str] | None = None,
    ) -> Iterator[RemoteRecord]:
        """Lazily yield records of ``kind`` modified at or after ``since`` (all when None)."""
        ...

    def get(
        self, kind: str, remote_id: str, *, fields: Sequence[str] | None = None
    ) -> RemoteRecord:
        """One record by id; ``RemoteNotFound`` if absent."""
        ...

    def create(self, kind: str, records: Sequence[Mapping[str, Any]]) -> list[WriteResult]: ...

    def update(
        self, kind: str, records: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]: ...

    def upsert(
        self,
        kind: str,
        records: Sequence[Mapping[str, Any]],
        *,
        match_on: Sequence[str] = (),
    ) -> list[WriteResult]: ...

    def delete(self, kind: str, remote_ids: Sequence[str]) -> list[WriteResult]: ...

    def close(self) -> None: ...


CrmProviderFactory = Callable[[Mapping[str, str]], CrmProvider]


class RegisterCrmProvider(Protocol):
    def __call__(
        self, name: str, factory: CrmProviderFactory, *, description: str = ""
    ) -> None: ...
