from __future__ import annotations

import pytest
from access_world import World, build_world

from keyaccount.storage import Store


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)
