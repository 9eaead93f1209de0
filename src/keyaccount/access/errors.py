"""The error raised when a role may not do what it tried."""

from __future__ import annotations

from keyaccount.errors import KeyaccountError


class AccessDenied(KeyaccountError, PermissionError):
    """``actor_id`` (``role``) may not ``action`` the ``kind`` record(s); ``reason`` says why."""

    def __init__(
        self,
        actor_id: str,
        role: str,
        action: str,
        kind: str,
        reason: str,
        record_id: str | None = None,
    ) -> None:
        self.actor_id = actor_id
        self.role = role
        self.action = action
        self.kind = kind
        self.reason = reason
        self.record_id = record_id
        target = f"{kind} {record_id!r}" if record_id else kind
        super().__init__(f"{actor_id} ({role}) may not {action} {target}: {reason}")
