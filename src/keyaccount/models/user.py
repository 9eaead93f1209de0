"""Users of the system: account managers (客户经理), directors, service agents, analysts."""

from __future__ import annotations

import attrs

from keyaccount import validation as v
from keyaccount.models.enums import Role, to_role
from keyaccount.models.ids import UserId


@attrs.frozen
class User:
    id: UserId = attrs.field(validator=v.record_id)
    name: str = attrs.field(validator=v.non_empty_text)
    role: Role = attrs.field(
        default=Role.ACCOUNT_MANAGER, converter=to_role, validator=v.member_of(Role)
    )
    team: str | None = attrs.field(default=None, validator=v.optional_text)
    manager_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    email: str | None = attrs.field(default=None, validator=v.email)
    active: bool = attrs.field(default=True, validator=v.a_bool)


AccountManager = User
