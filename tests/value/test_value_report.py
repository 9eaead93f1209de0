from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from value_helpers import make_txn as txn

from keyaccount.clock import FixedClock
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import Customer
from keyaccount.storage import Store
from keyaccount.value import ClvMethod, PyramidLayer, ValueConfig, analyse_value

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


def test_analyse_value_over_a_store(store: Store) -> None:
    created = AS_OF - timedelta(days=900)
    for cid in ("big", "mid", "loss", "new"):
        store.put(Customer(id=cid, name=cid.title(), created_at=created))
    with store.transaction():
        store.put_many(
            [
                txn("big", "2026-01-10T10:00", 9000, 3000, currency="USD"),
                txn("big", "2026-05-10T10:00", 1000, 300),
                txn("mid", "2025-12-01T10:00", 2000, 500),
                txn("loss", "2026-03-01T10:00", 1000, 100),
                txn("loss", "2026-03-15T10:00", -1000, -400),
            ]
        )
    rates = ExchangeRates("CNY", {"USD": "7"})
    report = analyse_value(store, FixedClock(AS_OF), rates, ValueConfig(top_n=(1, 3)))
    assert report.as_of == AS_OF
    assert report.currency == "CNY"
    assert len(report.facts) == 4
    assert report.historical_value["big"].amount == Decimal(21300)
    assert report.historical_value["loss"].amount == Decimal(-300)
    layers = {e.customer_id: e.layer for e in report.pyramid.entries}
    assert layers == {
        "big": PyramidLayer.TOP,
        "mid": PyramidLayer.SMALL,
        "new": PyramidLayer.SMALL,
        "loss": PyramidLayer.NEGATIVE,
    }
    assert report.rfm.unscored == ("new",)
    assert report.concentration.share_of_top(1) == pytest.approx(64000 / 66000)
    assert report.lifetime.method is ClvMethod.COHORT
    assert report.lifetime.without_orders == ("new",)
    # Same clock, same data: the same report.
    again = analyse_value(store, FixedClock(AS_OF), rates, ValueConfig(top_n=(1, 3)))
    assert again == report


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window_days": 0}, "ValueConfig.window_days"),
        ({"window_days": True}, "ValueConfig.window_days"),
        ({"rfm_bins": 1}, "ValueConfig.rfm_bins"),
        ({"top_n": (5, 0)}, "ValueConfig.top_n"),
        ({"top_n": ()}, "ValueConfig.top_n"),
        ({"pyramid": {"top": 0.1}}, "ValueConfig.pyramid"),
        ({"clv": None}, "ValueConfig.clv"),
    ],
)
def test_config_is_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ValueConfig(**kwargs)  # type: ignore[arg-type]


def test_config_accepts_a_list_of_top_n() -> None:
    assert ValueConfig(top_n=[3, 1]).top_n == (3, 1)  # type: ignore[arg-type]


def test_customer_with_only_a_refund(store: Store) -> None:
    store.put(Customer(id="odd", name="Odd", created_at=AS_OF - timedelta(days=10)))
    store.put(txn("odd", "2026-06-01T10:00", -300, -300))
    report = analyse_value(store, FixedClock(AS_OF), ExchangeRates.single("CNY"))
    (f,) = report.facts.customers
    assert (f.orders, f.refunds, f.revenue) == (0, 1, Decimal(-300))
    assert report.rfm.unscored == ("odd",)
    assert report.pyramid.entries[0].layer is PyramidLayer.NEGATIVE
    assert report.lifetime.without_orders == ("odd",)
    assert report.concentration.customers_with_revenue == 0
