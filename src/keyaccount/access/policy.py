"""The access policy as data: per role, which rows it sees and writes, which record kinds it
may touch, whether it may delete or export, and which fields it sees masked.

A policy is plain data so a deployment can load its own from JSON or TOML
(``AccessPolicy.from_mapping``); ``default_access_policy()`` is the documented default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs

from keyaccount.access.masking import MaskStrategy
from keyaccount.errors import ValidationError
from keyaccount.models.enums import Role
from keyaccount.schema import ColumnType, SchemaRegistry

ALL_KINDS = "*"


class Scope(StrEnum):
    """Which customers' rows a role reaches: its own accounts, its team's, or every one."""

    NONE = "none"
    OWN = "own"
    TEAM = "team"
    ALL = "all"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    EXPORT = "export"


# Kinds nobody writes or deletes through a secured store: the audit trail is append-only and
# written by the wrapper itself.
PROTECTED_KINDS = frozenset({"audit_entry"})


def _kinds(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _masks(value: Any) -> dict[str, dict[str, MaskStrategy]]:
    out: dict[str, dict[str, MaskStrategy]] = {}
    for kind, fields in dict(value).items():
        out[str(kind)] = {}
        for name, strategy in dict(fields).items():
            try:
                out[str(kind)][str(name)] = MaskStrategy(strategy)
            except ValueError:
                known = ", ".join(m.value for m in MaskStrategy)
                raise ValidationError(
                    f"RolePolicy.masks[{kind}][{name}]", strategy, f"must be one of {known}"
                ) from None
    return out


def _scope(value: Any) -> Scope:
    try:
        return Scope(value)
    except ValueError:
        known = ", ".join(s.value for s in Scope)
        raise ValidationError("RolePolicy.scope", value, f"must be one of {known}") from None


@attrs.frozen
class RolePolicy:
    """What one role may do. ``readable``/``writable`` hold record kinds; ``"*"`` means all."""

    role: Role
    read_scope: Scope = attrs.field(converter=_scope)
    write_scope: Scope = attrs.field(converter=_scope)
    readable: frozenset[str] = attrs.field(converter=_kinds, default=frozenset({ALL_KINDS}))
    writable: frozenset[str] = attrs.field(converter=_kinds, default=frozenset())
    can_delete: bool = False
    can_export: bool = False
    masks: Mapping[str, Mapping[str, MaskStrategy]] = attrs.field(factory=dict, converter=_masks)
    # Rows within this scope are shown unmasked (a manager reads his own contacts in full).
    unmasked_scope: Scope = attrs.field(default=Scope.NONE, converter=_scope)

    def may_read(self, kind: str) -> bool:
        return ALL_KINDS in self.readable or kind in self.readable

    def may_write(self, kind: str) -> bool:
        if kind in PROTECTED_KINDS:
            return False
        return ALL_KINDS in self.writable or kind in self.writable

    def masked_fields(self, kind: str) -> Mapping[str, MaskStrategy]:
        return self.masks.get(kind, {})


# Kinds that reach their customer through another record: kind -> (field, parent kind).
DEFAULT_LINKS: Mapping[str, tuple[str, str]] = {
    "complaint_transition": ("complaint_id", "complaint"),
    "complaint_clock": ("id", "complaint"),
}


def _links(value: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    out = {}
    for kind, link in value.items():
        field, parent = link
        out[str(kind)] = (str(field), str(parent))
    return out


@attrs.frozen
class AccessPolicy:
    """Role policies, plus ``links``: how kinds without a ``customer_id`` reach one through a
    parent record, so row scopes cover them too."""

    roles: Mapping[Role, RolePolicy]
    links: Mapping[str, tuple[str, str]] = attrs.field(default=DEFAULT_LINKS, converter=_links)

    def for_role(self, role: Role) -> RolePolicy:
        try:
            return self.roles[role]
        except KeyError:
            raise ValidationError("AccessPolicy.roles", str(role), "has no policy") from None

    def check(self, schemas: SchemaRegistry) -> None:
        """Refuse masks the stored records could not carry.

        A text mask needs a text field; ``withhold`` needs a field that may be ``None``. A kind
        whose sensitive fields can be neither (a credit limit is a required amount) is kept
        from a role by leaving it out of ``readable`` instead.
        """
        for policy in self.roles.values():
            for kind, fields in policy.masks.items():
                if kind not in schemas:
                    continue  # a kind from a plugin that is not loaded here
                schema = schemas.for_kind(kind)
                for name, strategy in fields.items():
                    where = f"{policy.role}.masks[{kind}][{name}]"
                    if name not in schema.by_name:
                        raise ValidationError(where, name, f"{kind} has no such field")
                    spec = schema.by_name[name]
                    if strategy.needs_text and spec.column_type != ColumnType.TEXT:
                        raise ValidationError(where, strategy.value, "needs a text field")
                    if not strategy.needs_text and not spec.nullable:
                        raise ValidationError(
                            where, strategy.value, "needs a field that may be None"
                        )

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Mapping[str, Any]],
        links: Mapping[str, tuple[str, str]] = DEFAULT_LINKS,
    ) -> AccessPolicy:
        """Build a policy from plain data: ``{role: {read_scope, write_scope, readable, ...}}``."""
        roles: dict[Role, RolePolicy] = {}
        for name, spec in data.items():
            try:
                role = Role(name)
            except ValueError:
                known = ", ".join(r.value for r in Role)
                raise ValidationError(
                    "AccessPolicy.roles", name, f"must be one of {known}"
                ) from None
            unknown = set(spec) - {f.name for f in attrs.fields(RolePolicy)}
            if unknown:
                raise ValidationError(
                    f"AccessPolicy.roles[{name}]", sorted(unknown), "unknown keys"
                )
            roles[role] = RolePolicy(role=role, **spec)
        return cls(roles, links)

    def to_mapping(self) -> dict[str, dict[str, Any]]:
        return {
            str(role): {
                "read_scope": p.read_scope.value,
                "write_scope": p.write_scope.value,
                "readable": sorted(p.readable),
                "writable": sorted(p.writable),
                "can_delete": p.can_delete,
                "can_export": p.can_export,
                "masks": {k: {f: s.value for f, s in v.items()} for k, v in p.masks.items()},
                "unmasked_scope": p.unmasked_scope.value,
            }
            for role, p in self.roles.items()
        }


_CONTACT_DETAILS = {"phone": "phone", "email": "email", "wechat": "text"}
_IDENTITY = {
    "contact": _CONTACT_DETAILS,
    "user": {"email": "email"},
    "customer": {"credit_code": "credit_code"},
}
_SERVICE_KINDS: Iterable[str] = (
    "customer",
    "contact",
    "user",
    "interaction",
    "complaint",
    "complaint_transition",
    "survey_response",
    "follow_up",
    "planned_visit",
)

# What a manager keeps up to date on his accounts; credit limits, points and merges are
# decided elsewhere.
_ACCOUNT_WORK: Iterable[str] = (
    "customer",
    "contact",
    "interaction",
    "complaint",
    "complaint_transition",
    "survey_response",
    "follow_up",
    "planned_visit",
    "transaction",
)

DEFAULT_POLICY: dict[str, dict[str, Any]] = {
    "admin": {
        "read_scope": "all",
        "write_scope": "all",
        "writable": "*",
        "can_delete": True,
        "can_export": True,
    },
    "director": {
        "read_scope": "all",
        "write_scope": "all",
        "writable": "*",
        "can_export": True,
    },
    # Managers see the team's accounts (to cover for a colleague) but change only their own,
    # and reach a colleague's contacts through the colleague.
    "account_manager": {
        "read_scope": "team",
        "write_scope": "own",
        "writable": tuple(_ACCOUNT_WORK),
        "masks": {"contact": _CONTACT_DETAILS},
        "unmasked_scope": "own",
    },
    # Agents handle complaints for any account, reach customers through the service line and
    # have no business with credit: credit profiles and receivables are not theirs to read.
    "service_agent": {
        "read_scope": "all",
        "write_scope": "all",
        "readable": tuple(_SERVICE_KINDS),
        "writable": ("interaction", "complaint", "complaint_transition", "follow_up"),
        "masks": {
            **_IDENTITY,
            "customer": {"credit_code": "credit_code", "annual_revenue": "withhold"},
        },
    },
    # Analysts work on figures across the book; who the people are is none of their concern.
    "analyst": {
        "read_scope": "all",
        "write_scope": "none",
        "can_export": True,
        "masks": _IDENTITY,
    },
}


def default_access_policy() -> AccessPolicy:
    return AccessPolicy.from_mapping(DEFAULT_POLICY)
