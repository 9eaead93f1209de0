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
    ``deal``, ``case``, ``task``, ``call``, ``event``, ``note`` (or a custom module name).

    Provider failures are raised as ``keyaccount.errors.ProviderError`` subclasses (bad
    arguments, such as a kind the provider cannot read without ``fields``, as
    ``ValidationError``); never as HTTP or driver exceptions. Batch writes take
    any number of records, split them as the provider needs, and return one ``WriteResult``
    per input record in input order; a record the provider refused carries its error there
    (``InvalidRemoteData``, ``DuplicateRemote``...), and so does every record of a batch whose
    outcome is unknown after retries (``TransientProviderError``, ``RateLimited``). Failures no
    record could escape (``ProviderAuthError``, ``ProviderPermissionDenied``, an unknown kind)
    are raised instead.
    """

    name: str

    def iter_changed(
        self,
        kind: str,
        *,
        since: datetime | None = None,
        fields: Sequence[str] | None = None,
    ) -> Iterator[RemoteRecord]:
        """Lazily yield records of ``kind`` modified at or after ``since`` (all when None).

        Records are fetched page by page as the caller consumes them; ``fields`` names the
        provider's fields to read (a provider default when None)."""
        ...

    def get(
        self, kind: str, remote_id: str, *, fields: Sequence[str] | None = None
    ) -> RemoteRecord:
        """One record by id; ``RemoteNotFound`` if absent."""
        ...

    def create(self, kind: str, records: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        """Insert new records. Not idempotent: a provider never repeats a create whose outcome
        is unknown, so prefer ``upsert`` where a retry must be safe."""
        ...

    def update(
        self, kind: str, records: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        """Change fields of existing records, given as ``(remote_id, fields)`` pairs."""
        ...

    def upsert(
        self,
        kind: str,
        records: Sequence[Mapping[str, Any]],
        *,
        match_on: Sequence[str] = (),
    ) -> list[WriteResult]:
        """Insert or update each record, matching existing ones on the ``match_on`` fields
        (the provider's unique fields when empty); ``action`` says which happened."""
        ...

    def delete(self, kind: str, remote_ids: Sequence[str]) -> list[WriteResult]:
        """Delete records by id; one result per id, in order."""
        ...

    def close(self) -> None:
        """Release connections; the provider is unusable afterwards."""
        ...


CrmProviderFactory = Callable[[Mapping[str, str]], CrmProvider]


class RegisterCrmProvider(Protocol):
    def __call__(
        self, name: str, factory: CrmProviderFactory, *, description: str = ""
    ) -> None: ...
