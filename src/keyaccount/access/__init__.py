"""Access control (信息安全与权限): row scopes, field masking and the audit trail.

Wrap any store for one user with ``SecuredStore(store, actor, policy, audit, clock)``; the
policy is data (``AccessPolicy.from_mapping``), ``default_access_policy()`` the default.
"""

from keyaccount.access.errors import AccessDenied
from keyaccount.access.masking import (
    MaskStrategy,
    apply_mask,
    mask_credit_code,
    mask_email,
    mask_phone,
)
from keyaccount.access.models import AuditEntry
from keyaccount.access.policy import (
    DEFAULT_POLICY,
    AccessPolicy,
    Action,
    RolePolicy,
    Scope,
    default_access_policy,
)
from keyaccount.access.store import AuditLog, SecuredStore, StoreAuditLog

__all__ = [
    "DEFAULT_POLICY",
    "AccessDenied",
    "AccessPolicy",
    "Action",
    "AuditEntry",
    "AuditLog",
    "MaskStrategy",
    "RolePolicy",
    "Scope",
    "SecuredStore",
    "StoreAuditLog",
    "apply_mask",
    "default_access_policy",
    "mask_credit_code",
    "mask_email",
    "mask_phone",
]
