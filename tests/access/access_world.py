from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs

from keyaccount.access import StoreAuditLog
from keyaccount.credit_code import check_character
from keyaccount.models import Contact, CreditProfile, Customer, Role, User
from keyaccount.money import Money
from keyaccount.storage import Store

CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def credit_code(org: str) -> str:
    first17 = "91310000" + org
    return first17 + check_character(first17)


USERS = {
    "admin": User(id="u-admin", name="Admin", role=Role.ADMIN),
    "director": User(id="u-dir", name="Director", role=Role.DIRECTOR),
    "am1": User(id="u-am1", name="Li", role=Role.ACCOUNT_MANAGER, team="east"),
    "am2": User(id="u-am2", name="Wang", role=Role.ACCOUNT_MANAGER, team="east"),
    "am3": User(id="u-am3", name="Zhao", role=Role.ACCOUNT_MANAGER, team="west"),
    "agent": User(id="u-agent", name="Agent", role=Role.SERVICE_AGENT, email="agent@corp.cn"),
    "analyst": User(id="u-analyst", name="Analyst", role=Role.ANALYST),
}


@attrs.frozen
class World:
    store: Store
    audit: StoreAuditLog


def build_world(store: Store) -> World:
    store.put_many(USERS.values())
    for n, (owner, team) in enumerate([("u-am1", "east"), ("u-am2", "east"), ("u-am3", "west")]):
        cid = f"c{n + 1}"
        store.put(
            Customer(
                id=cid,
                name=f"Customer {n + 1}",
                created_at=CREATED,
                credit_code=credit_code(f"MA1FL000{n}"),
                owner_id=owner,
                team=team,
                annual_revenue=Money(Decimal("1000000"), "CNY"),
            )
        )
        store.put(
            Contact(
                id=f"p{n + 1}",
                customer_id=cid,
                name=f"Contact {n + 1}",
                phone="13812341234",
                email=f"buyer{n + 1}@customer{n + 1}.cn",
                wechat="wx-buyer",
            )
        )
        store.put(
            CreditProfile(
                id=f"cp{n + 1}", customer_id=cid, credit_limit=Money(Decimal("500000"), "CNY")
            )
        )
    return World(store, StoreAuditLog(store))
