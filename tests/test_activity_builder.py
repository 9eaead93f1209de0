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
