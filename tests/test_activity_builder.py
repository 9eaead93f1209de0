from datetime import UTC, datetime

import attrs

from keyaccount.activity import CustomerActivity, _new_activity
from keyaccount.models import Customer, Transaction, TransactionKind
from keyaccount.money import Money

NOW = datetime(2026, 6, 30, 9, tzinfo=UTC)


def test_new_activity_equals_the_constructor() -> None:
    customer = Customer("c1", "Acme", NOW)
    txn = Transaction("t1", "c1", NOW, Money("10", "CNY"), Money("2", "CNY"), TransactionKind.ORDER)
    values = (customer, (txn,), (), (), (), (), None, (txn.occurred_at,))
    assert [f.name for f in attrs.fields(CustomerActivity)][-1] == "transaction_times"
    built = _new_activity(*values)
    expected = CustomerActivity(*values)
    assert built == expected
    assert built.transaction_times == expected.transaction_times
    assert repr(built) == repr(expected)


def test_with_customer_shares_every_record_and_swaps_the_customer() -> None:
    customer = Customer("c1", "Acme", NOW)
    txn = Transaction("t1", "c1", NOW, Money("10", "CNY"), Money("2", "CNY"), TransactionKind.ORDER)
    before = CustomerActivity(customer, (txn,))
    retiered = customer.with_tier("A")
    after = before.with_customer(retiered)
    assert after == attrs.evolve(before, customer=retiered)
    for field in attrs.fields(CustomerActivity):
        if field.name != "customer":
            assert getattr(after, field.name) is getattr(before, field.name), field.name
    assert after.customer is retiered
    assert before.customer.tier is None


def test_slot_builder_takes_every_field_in_order_and_skips_the_checks() -> None:
    import inspect

    import pytest

    from keyaccount.errors import ValidationError
    from keyaccount.slots import slot_builder

    build = slot_builder(Customer)
    assert list(inspect.signature(build).parameters) == [f.name for f in attrs.fields(Customer)]
    c = Customer("c1", "Acme", NOW, tier="A")
    assert build(*(getattr(c, f.name) for f in attrs.fields(Customer))) == c
    with pytest.raises(TypeError):
        build("c1", "Acme")  # every field must be given: no defaults are applied
    # nothing is checked: the constructor refuses what the builder takes as it is
    with pytest.raises(ValidationError):
        Customer("", "Acme", NOW)
    assert (
        build(*("" if f.name == "id" else getattr(c, f.name) for f in attrs.fields(Customer))).id
        == ""
    )
