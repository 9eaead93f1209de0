from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyaccount.complaints import ComplaintPolicy, default_complaint_policy
from keyaccount.models import Customer, User
from keyaccount.models.enums import Role
from keyaccount.storage import Store


@pytest.fixture(scope="session")
def policy() -> ComplaintPolicy:
    return default_complaint_policy()


@pytest.fixture
def people(store: Store) -> Store:
    """Director ← manager ← account manager, and customers of tier A, B and untiered."""
    store.put_many(
        [
            User("u_dir", "Director Zhou", role=Role.DIRECTOR),
            User("u_mgr", "Manager Wang", manager_id="u_dir"),
            User("u_am", "AM Li", manager_id="u_mgr"),
            User("u_agent", "Agent Chen", role=Role.SERVICE_AGENT, manager_id="u_mgr"),
            Customer(
                "cus_a", "Alpha Co", datetime(2020, 1, 1, tzinfo=UTC), tier="A", owner_id="u_am"
            ),
            Customer(
                "cus_b", "Beta Co", datetime(2020, 1, 1, tzinfo=UTC), tier="B", owner_id="u_am"
            ),
            Customer("cus_x", "Xeno Co", datetime(2020, 1, 1, tzinfo=UTC)),
        ]
    )
    return store
