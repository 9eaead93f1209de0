from __future__ import annotations

from typing import Any

import attrs
import pytest
from access_world import USERS, World

from keyaccount.access import (
    AccessDenied,
    AccessPolicy,
    Action,
    AuditEntry,
    SecuredStore,
    default_access_policy,
)
from keyaccount.clock import FixedClock
from keyaccount.errors import RecordNotFound, StorageError, ValidationError
from keyaccount.models import Contact, CreditProfile, Customer, Role, User
from keyaccount.storage import eq

REAL_PHONE = "13812341234"
MASKED_PHONE = "138****1234"


def secured(world: World, who: str | User, clock: FixedClock, policy: Any = None) -> SecuredStore:
    actor = USERS[who] if isinstance(who, str) else who
    return SecuredStore(world.store, actor, policy or default_access_policy(), world.audit, clock)


# -- masking per role ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "phone", "email", "wechat"),
    [
        ("admin", REAL_PHONE, "buyer1@customer1.cn", "wx-buyer"),
        ("director", REAL_PHONE, "buyer1@customer1.cn", "wx-buyer"),
        ("am1", REAL_PHONE, "buyer1@customer1.cn", "wx-buyer"),  # his own account
        ("am2", MASKED_PHONE, "b***@customer1.cn", "***"),  # a team-mate's account
        ("agent", MASKED_PHONE, "b***@customer1.cn", "***"),
        ("analyst", MASKED_PHONE, "b***@customer1.cn", "***"),
    ],
)
def test_contact_masking_for_each_role(
    world: World, clock: FixedClock, who: str, phone: str, email: str, wechat: str
) -> None:
    contact = secured(world, who, clock).get(Contact, "p1")
    assert (contact.phone, contact.email, contact.wechat) == (phone, email, wechat)
    # the stored record is untouched by masking
    assert world.store.get(Contact, "p1").phone == REAL_PHONE


@pytest.mark.parametrize(
    ("who", "code_masked", "revenue_shown"),
    [
        ("admin", False, True),
        ("director", False, True),
        ("am1", False, True),
        ("agent", True, False),
        ("analyst", True, True),
    ],
)
def test_customer_credit_code_and_figures(
    world: World, clock: FixedClock, who: str, code_masked: bool, revenue_shown: bool
) -> None:
    real = world.store.get(Customer, "c1")
    seen = secured(world, who, clock).get(Customer, "c1")
    assert real.credit_code is not None
    if code_masked:
        assert seen.credit_code == real.credit_code[:2] + "*" * 12 + real.credit_code[-4:]
    else:
        assert seen.credit_code == real.credit_code
    assert (seen.annual_revenue is not None) is revenue_shown


def test_user_email_masked_for_analyst(world: World, clock: FixedClock) -> None:
    assert secured(world, "analyst", clock).get(User, "u-agent").email == "a***@corp.cn"
    assert secured(world, "director", clock).get(User, "u-agent").email == "agent@corp.cn"


def test_service_agent_cannot_read_credit_profiles(world: World, clock: FixedClock) -> None:
    view = secured(world, "agent", clock)
    with pytest.raises(AccessDenied, match="may not read credit_profile"):
        view.get(CreditProfile, "cp1")
    with pytest.raises(AccessDenied):
        list(view.query(CreditProfile))


# -- row scopes ----------------------------------------------------------------------------


def test_manager_sees_team_rows_only(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    assert [c.id for c in am1.query(Customer)] == ["c1", "c2"]
    assert [c.id for c in am1.query(Contact)] == ["p1", "p2"]
    assert am1.count(Contact) == 2
    assert set(am1.get_many(Customer, ["c1", "c3"])) == {"c1"}
    assert [c.id for c in am1.query(Customer, limit=1)] == ["c1"]
    am3 = secured(world, "am3", clock)
    assert [c.id for c in am3.query(Customer)] == ["c3"]


def test_out_of_scope_record_by_id_is_denied(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    with pytest.raises(AccessDenied, match="outside the role's row scope") as err:
        am1.get(Customer, "c3")
    assert err.value.record_id == "c3"
    assert err.value.action == "read"
    with pytest.raises(AccessDenied):
        am1.find(Contact, "p3")


def test_own_scope_without_team(world: World, clock: FixedClock) -> None:
    loner = User(id="u-loner", name="Solo", role=Role.ACCOUNT_MANAGER)
    world.store.put(attrs.evolve(world.store.get(Customer, "c3"), owner_id="u-loner"))
    assert [c.id for c in secured(world, loner, clock).query(Customer)] == ["c3"]


def test_missing_record(world: World, clock: FixedClock) -> None:
    view = secured(world, "admin", clock)
    assert view.find(Customer, "nope") is None
    with pytest.raises(RecordNotFound):
        view.get(Customer, "nope")


def test_inactive_user_is_denied(world: World, clock: FixedClock) -> None:
    gone = attrs.evolve(USERS["director"], active=False)
    with pytest.raises(AccessDenied, match="inactive"):
        secured(world, gone, clock).get(Customer, "c1")


# -- writes --------------------------------------------------------------------------------


def test_manager_writes_own_accounts_only(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    am1.put(attrs.evolve(world.store.get(Customer, "c1"), tier="A"))
    assert world.store.get(Customer, "c1").tier == "A"
    with pytest.raises(AccessDenied, match="stored record is outside the write scope"):
        am1.put(attrs.evolve(world.store.get(Customer, "c2"), tier="A"))
    with pytest.raises(AccessDenied, match="would be outside the write scope"):
        am1.put(attrs.evolve(world.store.get(Customer, "c1"), owner_id="u-am2"))
    assert world.store.get(Customer, "c1").owner_id == "u-am1"
    assert world.store.get(Customer, "c2").tier is None


def test_new_customer_and_its_contact_in_one_batch(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    customer = attrs.evolve(world.store.get(Customer, "c1"), id="c9", credit_code=None)
    contact = Contact(id="p9", customer_id="c9", name="New", phone="13900001111")
    assert am1.put_many([contact, customer]) == 2
    assert world.store.get(Contact, "p9").phone == "13900001111"


def test_failed_check_in_a_batch_writes_nothing(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    ok = attrs.evolve(world.store.get(Customer, "c1"), tier="A")
    bad = attrs.evolve(world.store.get(Customer, "c3"), tier="A")
    with pytest.raises(AccessDenied):
        am1.put_many([ok, bad])
    assert world.store.get(Customer, "c1").tier is None


def test_manager_cannot_edit_users_or_credit(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    with pytest.raises(AccessDenied, match="may not write user"):
        am1.put(attrs.evolve(USERS["am1"], role=Role.ADMIN))
    with pytest.raises(AccessDenied, match="may not write credit_profile"):
        am1.put(world.store.get(CreditProfile, "cp1"))


def test_analyst_reads_but_never_writes(world: World, clock: FixedClock) -> None:
    analyst = secured(world, "analyst", clock)
    with pytest.raises(AccessDenied):
        analyst.put(world.store.get(Customer, "c1"))


def test_nobody_writes_the_audit_trail(world: World, clock: FixedClock) -> None:
    admin = secured(world, "admin", clock)
    forged = AuditEntry(
        id="aud-x", at=clock.now(), actor_id="u-admin", role="admin", action="read", kind="x"
    )
    with pytest.raises(AccessDenied, match="may not write audit_entry"):
        admin.put(forged)


def test_delete_needs_the_right(world: World, clock: FixedClock) -> None:
    with pytest.raises(AccessDenied, match="may not delete"):
        secured(world, "director", clock).delete(Contact, "p1")
    secured(world, "admin", clock).delete(Contact, "p1")
    assert world.store.find(Contact, "p1") is None
    with pytest.raises(RecordNotFound):
        secured(world, "admin", clock).delete(Contact, "p1")


# -- masked data is never written back -----------------------------------------------------

EDITOR_POLICY = AccessPolicy.from_mapping(
    {
        "service_agent": {
            "read_scope": "all",
            "write_scope": "all",
            "writable": ("contact",),
            "masks": {"contact": {"email": "email", "phone": "phone"}},
        }
    }
)


def test_masked_record_written_back_keeps_real_values(world: World, clock: FixedClock) -> None:
    agent = secured(world, "agent", clock, EDITOR_POLICY)
    seen = agent.get(Contact, "p1")
    assert seen.phone == MASKED_PHONE
    # the caller edits an unmasked field of the masked copy and sends it back
    edited = _with(seen, title="Purchasing director")
    agent.put(edited)
    stored = world.store.get(Contact, "p1")
    assert stored.title == "Purchasing director"
    assert stored.phone == REAL_PHONE
    assert stored.email == "buyer1@customer1.cn"


def test_changing_a_masked_field_is_refused(world: World, clock: FixedClock) -> None:
    agent = secured(world, "agent", clock, EDITOR_POLICY)
    before = world.store.get(Contact, "p1")
    with pytest.raises(AccessDenied, match="field email is masked"):
        agent.put(attrs.evolve(before, email="other@customer1.cn"))
    with pytest.raises(AccessDenied, match="field phone is masked"):
        agent.update(Contact, "p1", phone="13900000000")
    assert world.store.get(Contact, "p1") == before


def test_update_through_masks(world: World, clock: FixedClock) -> None:
    agent = secured(world, "agent", clock, EDITOR_POLICY)
    shown = agent.update(Contact, "p1", title="CFO", phone=MASKED_PHONE)
    assert shown.phone == MASKED_PHONE
    stored = world.store.get(Contact, "p1")
    assert (stored.title, stored.phone) == ("CFO", REAL_PHONE)
    with pytest.raises(RecordNotFound):
        agent.update(Contact, "nope", title="x")


def test_new_record_from_masking_role_is_stored_as_given(world: World, clock: FixedClock) -> None:
    agent = secured(world, "agent", clock, EDITOR_POLICY)
    agent.put(Contact(id="p8", customer_id="c1", name="New", phone="13700001111"))
    assert world.store.get(Contact, "p8").phone == "13700001111"


def _with(record: Contact, **changes: Any) -> Contact:
    # A masked copy cannot go through attrs.evolve (a masked phone is no phone number), so
    # callers that hold one change it the way a form would: field by field.
    import copy

    out = copy.copy(record)
    for k, v in changes.items():
        object.__setattr__(out, k, v)
    return out


# -- audit ---------------------------------------------------------------------------------


def test_reads_writes_and_denials_are_audited(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    am1.get(Customer, "c1")
    list(am1.query(Contact))
    am1.put(attrs.evolve(world.store.get(Customer, "c1"), tier="B"))
    with pytest.raises(AccessDenied):
        am1.get(Customer, "c3")
    entries = world.audit.entries(eq("actor_id", "u-am1"))
    summary = [(e.action, e.kind, e.record_ids, e.outcome) for e in entries]
    assert summary == [
        (Action.READ, "customer", ("c1",), "allowed"),
        (Action.READ, "contact", ("p1", "p2"), "allowed"),
        (Action.WRITE, "customer", ("c1",), "allowed"),
        (Action.READ, "customer", ("c3",), "denied"),
    ]
    assert all(e.at == clock.now() and e.role == "account_manager" for e in entries)


def test_export_is_audited_and_needs_the_right(world: World, clock: FixedClock) -> None:
    rows = secured(world, "analyst", clock).export(Contact)
    assert [r.phone for r in rows] == [MASKED_PHONE] * 3
    with pytest.raises(AccessDenied, match="may not export"):
        secured(world, "am1", clock).export(Contact)
    actions = [(e.actor_id, e.action, e.outcome) for e in world.audit.entries()]
    assert actions == [
        ("u-analyst", Action.EXPORT, "allowed"),
        ("u-am1", Action.EXPORT, "denied"),
    ]


def test_audit_survives_a_rolled_back_transaction(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)

    def write_then_overreach() -> None:
        with am1.transaction():
            am1.put(attrs.evolve(world.store.get(Customer, "c1"), tier="A"))
            am1.get(Customer, "c3")

    with pytest.raises(AccessDenied):
        write_then_overreach()
    assert world.store.get(Customer, "c1").tier is None
    outcomes = [(e.action, e.outcome) for e in world.audit.entries()]
    assert outcomes == [(Action.WRITE, "rolled_back"), (Action.READ, "denied")]


def test_committed_transaction_audit(world: World, clock: FixedClock) -> None:
    am1 = secured(world, "am1", clock)
    with am1.transaction(), am1.transaction():
        am1.put(attrs.evolve(world.store.get(Customer, "c1"), tier="A"))
        assert world.audit.entries() == []  # held back until the unit of work ends
    assert [e.outcome for e in world.audit.entries()] == ["allowed"]


def test_closed_view(world: World, clock: FixedClock) -> None:
    view = secured(world, "admin", clock)
    view.close()
    with pytest.raises(StorageError):
        view.get(Customer, "c1")
    assert world.store.get(Customer, "c1").id == "c1"  # the wrapped store stays open


# -- the policy as data --------------------------------------------------------------------


def test_policy_round_trips_through_plain_data() -> None:
    policy = default_access_policy()
    assert AccessPolicy.from_mapping(policy.to_mapping()) == policy


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"wizard": {"read_scope": "all", "write_scope": "all"}}, "must be one of"),
        ({"analyst": {"read_scope": "galaxy", "write_scope": "all"}}, "RolePolicy.scope"),
        ({"analyst": {"read_scope": "all", "write_scope": "all", "colour": 1}}, "unknown keys"),
        (
            {"analyst": {"read_scope": "all", "write_scope": "all", "masks": {"x": {"y": "z"}}}},
            "must be one of",
        ),
    ],
)
def test_bad_policy_data(spec: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AccessPolicy.from_mapping(spec)


@pytest.mark.parametrize(
    ("masks", "message"),
    [
        ({"credit_profile": {"credit_limit": "withhold"}}, "may be None"),
        ({"customer": {"annual_revenue": "text"}}, "needs a text field"),
        ({"customer": {"no_such": "text"}}, "has no such field"),
    ],
)
def test_policy_masks_checked_against_schemas(
    world: World, clock: FixedClock, masks: Any, message: str
) -> None:
    policy = AccessPolicy.from_mapping(
        {"analyst": {"read_scope": "all", "write_scope": "none", "masks": masks}}
    )
    with pytest.raises(ValidationError, match=message):
        secured(world, "analyst", clock, policy)


def test_role_without_policy(world: World, clock: FixedClock) -> None:
    policy = AccessPolicy.from_mapping({"admin": {"read_scope": "all", "write_scope": "all"}})
    with pytest.raises(ValidationError, match="has no policy"):
        secured(world, "analyst", clock, policy)


# -- records tied to a customer through a parent record ------------------------------------


def _complaint_log(world: World, clock: FixedClock) -> None:
    from keyaccount.complaints.records import ComplaintTransition
    from keyaccount.models import Complaint

    for n in (1, 3):
        world.store.put(
            Complaint(id=f"k{n}", customer_id=f"c{n}", received_at=clock.now(), subject="late")
        )
        world.store.put(
            ComplaintTransition(
                id=f"kt{n}",
                complaint_id=f"k{n}",
                sequence=1,
                action="opened",
                from_status=None,
                to_status="received",
                at=clock.now(),
            )
        )


def test_scopes_reach_through_parent_records(world: World, clock: FixedClock) -> None:
    from keyaccount.complaints.records import ComplaintTransition

    _complaint_log(world, clock)
    am1 = secured(world, "am1", clock)
    assert [t.id for t in am1.query(ComplaintTransition)] == ["kt1"]
    assert am1.count(ComplaintTransition) == 1
    with pytest.raises(AccessDenied, match="row scope"):
        am1.get(ComplaintTransition, "kt3")
    # a manager logs a step on his own customer's complaint, not on another team's
    step = attrs.evolve(world.store.get(ComplaintTransition, "kt1"), id="kt1b", sequence=2)
    am1.put(step)
    with pytest.raises(AccessDenied, match="outside the write scope"):
        am1.put(attrs.evolve(step, id="kt3b", complaint_id="k3"))
    assert [t.id for t in secured(world, "agent", clock).query(ComplaintTransition)] == [
        "kt1",
        "kt1b",
        "kt3",
    ]


def test_deactivating_the_stored_user_ends_an_open_view(world: World, clock: FixedClock) -> None:
    view = secured(world, "am1", clock)
    view.get(Customer, "c1")
    world.store.put(attrs.evolve(USERS["am1"], active=False))
    with pytest.raises(AccessDenied, match="inactive"):
        view.get(Customer, "c1")
