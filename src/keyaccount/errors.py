"""The one error hierarchy services and callers catch.

Adapters (storage backends, CRM providers) keep their own private error trees and translate
them into these at the port, so code using keyaccount never imports httpx or sqlite3 to
handle a failure.
"""

from __future__ import annotations

from collections.abc import Mapping


class KeyaccountError(Exception):
    """Base of every error keyaccount raises on purpose."""


class ValidationError(KeyaccountError, ValueError):
    """A value was rejected at a model boundary.

    ``field`` names the field (``Customer.credit_code``) and ``value`` is the rejected value, so
    the message tells the caller exactly what to fix.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (got {value!r})")


# -- storage -----------------------------------------------------------------------------------


class StorageError(KeyaccountError):
    """A storage backend failed; the operation did not take effect."""


class RecordNotFound(StorageError, LookupError):
    """No record of ``kind`` with ``record_id`` exists in the store."""

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"no {kind} with id {record_id!r}")


class MalformedData(StorageError):
    """A stored file has a row that cannot be read; nothing was loaded or written.

    ``location`` is ``path:line:column`` so editors and terminals can jump to it.
    """

    def __init__(self, path: str, line: int, column: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.reason = reason
        super().__init__(f"{path}:{line}:{column}: {reason}")

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class UnknownStoreURL(StorageError):
    """No storage backend is registered for the URL's scheme."""


# -- plugins -----------------------------------------------------------------------------------


class PluginError(KeyaccountError):
    """A plugin misbehaved while registering or running."""


class DuplicateRegistration(PluginError):
    """Two plugins registered the same name for the same kind of thing."""

    def __init__(self, what: str, name: str, first: str, second: str) -> None:
        self.what = what
        self.name = name
        super().__init__(
            f"{what} {name!r} is registered twice: first by {first}, again by {second}"
        )


# -- CRM providers -----------------------------------------------------------------------------


class ProviderError(KeyaccountError):
    """A CRM provider call failed. Subclasses say why; ``provider`` names the provider."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        self.provider = provider
        super().__init__(f"{provider}: {message}" if provider else message)


class ProviderAuthError(ProviderError):
    """Credentials are missing, invalid, expired beyond refresh, or revoked."""


class ProviderPermissionDenied(ProviderError):
    """The credentials are valid but lack the scope or profile permission for the call."""


class RemoteNotFound(ProviderError, LookupError):
    """The remote record or module does not exist (or was deleted)."""


class RateLimited(ProviderError):
    """The provider refused the call for rate or credit limits.

    ``retry_after`` is the provider's hint in seconds when it gave one, else ``None``.
    """

    def __init__(
        self, message: str, *, provider: str = "", retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider)


class InvalidRemoteData(ProviderError):
    """The provider rejected a value; ``field`` names it when the provider did."""

    def __init__(self, message: str, *, provider: str = "", field: str | None = None) -> None:
        self.field = field
        super().__init__(message, provider=provider)


class DuplicateRemote(ProviderError):
    """The write would duplicate an existing remote record, named by ``existing_id``."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        existing_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.existing_id = existing_id
        self.field = field
        super().__init__(message, provider=provider)


class TransientProviderError(ProviderError):
    """A temporary failure (network, 5xx) that survived the adapter's retries."""


def describe(details: Mapping[str, object]) -> str:
    """Render error details as ``k=v`` pairs for messages, in a stable order."""
    return ", ".join(f"{k}={v!r}" for k, v in sorted(details.items()))
