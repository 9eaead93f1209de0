"""One pass over a book's transactions: the per-customer facts every value analysis reads.

Every analysis in :mod:`keyaccount.value` (RFM, pyramid, concentration, lifetime value) works
on :class:`CustomerFacts`, so the transactions are read once, grouped by customer, and each
customer's handful of orders is summarised in one loop. Nothing here queries the store per
customer, which keeps a 100k-customer book to a single scan.

Rules stated once for all analyses:

- Only transactions at or before ``as_of`` count; later ones (future-dated) are ignored so a
  result is reproducible for a fixed clock.
- Amounts are converted into ``rates.base`` with the caller's :class:`ExchangeRates`.
- Refunds are *netted*: their (negative) amount and gross profit reduce revenue and profit on
  the day they happen, but a refund is never a purchase, so it does not count as an order,
  an order day or a purchase occasion.
- A purchase occasion is a UTC calendar day with at least one order; several orders on the same
  day are one occasion (the convention of the BG/NBD literature).
- The RFM window is the closed interval ``[as_of - window_days, as_of]``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from keyaccount.clock import Clock, ensure_utc
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.models.commerce import Transaction
from keyaccount.models.customer import Customer
from keyaccount.models.enums import TransactionKind
from keyaccount.models.ids import CustomerId
from keyaccount.money import Money
from keyaccount.slots import slot_builder
from keyaccount.storage import Store

DEFAULT_WINDOW_DAYS = 365
_ZERO = Decimal(0)
_ORDER = TransactionKind.ORDER  # hoisted: enum member lookups are slow in hot loops


@attrs.frozen
class CustomerFacts:
    """What one customer's transactions up to ``as_of`` add up to, in one currency.

    Amounts are ``Decimal`` in ``currency`` (use the ``*_money`` properties for ``Money``);
    they are net of refunds. ``repeat_revenue`` is the net revenue of every transaction after
    the first order day (the spend the Gamma-Gamma model sees).
    """

    customer_id: CustomerId
    currency: str
    orders: int = 0
    order_days: int = 0
    refunds: int = 0
    window_orders: int = 0
    first_order_on: date | None = None
    last_order_on: date | None = None
    last_order_at: datetime | None = None
    revenue: Decimal = _ZERO
    gross_profit: Decimal = _ZERO
    window_revenue: Decimal = _ZERO
    window_gross_profit: Decimal = _ZERO
    repeat_revenue: Decimal = _ZERO

    @property
    def has_orders(self) -> bool:
        return self.orders > 0

    @property
    def repeat_occasions(self) -> int:
        """Purchase occasions after the first one (the BG/NBD ``x``)."""
        return max(self.order_days - 1, 0)

    @property
    def revenue_money(self) -> Money:
        return Money(self.revenue, self.currency)

    @property
    def gross_profit_money(self) -> Money:
        return Money(self.gross_profit, self.currency)

    @property
    def window_revenue_money(self) -> Money:
        return Money(self.window_revenue, self.currency)


@attrs.frozen
class BookFacts:
    """The facts of a whole book at ``as_of``: one entry per customer, sorted by id."""

    as_of: datetime
    currency: str
    window_days: int
    customers: tuple[CustomerFacts, ...]

    def __len__(self) -> int:
        return len(self.customers)

    def by_id(self) -> dict[CustomerId, CustomerFacts]:
        return {f.customer_id: f for f in self.customers}


def group_transactions(
    transactions: Iterable[Transaction],
) -> dict[CustomerId, list[Transaction]]:
    """Group transactions by customer in one pass (lists of references, no copies)."""
    grouped: defaultdict[CustomerId, list[Transaction]] = defaultdict(list)
    for txn in transactions:
        grouped[txn.customer_id].append(txn)
    return dict(grouped)


class _Converter:
    """Converts amounts into the base currency, looking each rate up once."""

    def __init__(self, rates: ExchangeRates) -> None:
        self.base = rates.base
        self._rates = rates
        self._cache: dict[str, Decimal] = {rates.base: Decimal(1)}

    def factor(self, currency: str) -> Decimal:
        factor = self._cache.get(currency)
        if factor is None:
            rate = self._rates.rates.get(currency)
            if rate is None:
                raise MissingRate(currency, self.base)
            factor = self._cache[currency] = rate
        return factor


def summarise_customer(
    customer_id: CustomerId,
    transactions: Sequence[Transaction],
    *,
    as_of: datetime,
    rates: ExchangeRates,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> CustomerFacts:
    """The facts of one customer from that customer's transactions (any order)."""
    as_of = ensure_utc("as_of", as_of)
    _check_window(window_days)
    return _summarise(
        customer_id, transactions, as_of, as_of - timedelta(days=window_days), _Converter(rates)
    )


def _summarise(
    customer_id: CustomerId,
    transactions: Sequence[Transaction],
    as_of: datetime,
    window_start: datetime,
    conv: _Converter,
) -> CustomerFacts:
    # The hot loop of a 2M-transaction book: one pass, locals only, and no Money built.
    # Repeat spend (all after the first order day) is summed on the way, which is right as
    # long as no order comes before the first order day already seen and no refund before
    # that order falls on a later day: always so for a time-ordered history (the review's).
    # Otherwise it is summed again afterwards. Keeping (day, amount) pairs for a second
    # pass instead cost a fifth of the loop.
    base = conv.base
    order_kind = _ORDER
    orders = refunds = window_orders = 0
    days: set[date] = set()
    first_day: date | None = None  # of the first order seen
    early_refund_day: date | None = None  # the latest day of refunds seen before any order
    in_time_order = True
    last_at: datetime | None = None
    revenue = profit = w_revenue = w_profit = repeat = _ZERO
    for txn in transactions:
        at = txn.occurred_at
        if at > as_of:
            continue
        money = txn.amount
        if money.currency == base:
            amount = money.amount
            gp = txn.gross_profit.amount
        else:
            factor = conv.factor(money.currency)
            amount = money.amount * factor
            gp = txn.gross_profit.amount * factor
        day = at.date()
        revenue += amount
        profit += gp
        in_window = at >= window_start
        if in_window:
            w_revenue += amount
            w_profit += gp
        if txn.kind is order_kind:
            orders += 1
            days.add(day)
            if in_window:
                window_orders += 1
            if last_at is None or at > last_at:
                last_at = at
            if first_day is None:
                first_day = day
            elif day < first_day:
                in_time_order = False
        else:
            refunds += 1
            if first_day is None and (early_refund_day is None or day > early_refund_day):
                early_refund_day = day
        if first_day is not None and day > first_day:
            repeat += amount
    if first_day is not None and (
        not in_time_order or (early_refund_day is not None and early_refund_day > first_day)
    ):
        first_day = min(days)
        repeat = _repeat_revenue(transactions, as_of, first_day, conv)
    return _new_facts(
        customer_id,
        conv.base,
        orders,
        len(days),  # order_days
        refunds,
        window_orders,
        first_day,  # first_order_on
        last_at.date() if last_at is not None else None,  # last_order_on
        last_at,  # last_order_at
        revenue,
        profit,  # gross_profit
        w_revenue,  # window_revenue
        w_profit,  # window_gross_profit
        repeat,  # repeat_revenue
    )


# ``CustomerFacts(...)`` with every field in field order, its slots set directly: the record
# has no converters or validators, so this only skips attrs' per-field setup and the
# keywords (one record per customer of the book; ~4.4 → ~2.4 µs). A test checks it equals
# the constructor.
_new_facts: Callable[..., CustomerFacts] = slot_builder(CustomerFacts)


def _repeat_revenue(
    transactions: Sequence[Transaction], as_of: datetime, first_day: date, conv: _Converter
) -> Decimal:
    """Net revenue of the transactions up to ``as_of`` after ``first_day``, in their order."""
    total = _ZERO
    for txn in transactions:
        at = txn.occurred_at
        if at <= as_of and at.date() > first_day:
            money = txn.amount
            if money.currency == conv.base:
                total += money.amount
            else:
                total += money.amount * conv.factor(money.currency)
    return total


def collect_facts(
    grouped: Mapping[CustomerId, Sequence[Transaction]],
    *,
    as_of: datetime,
    rates: ExchangeRates,
    window_days: int = DEFAULT_WINDOW_DAYS,
    customer_ids: Iterable[CustomerId] = (),
) -> BookFacts:
    """Facts for every customer in ``grouped`` plus ``customer_ids`` (those without orders).

    This is the entry point for callers that already grouped the transactions (the portfolio
    review does so once for all its analyses); use :func:`group_transactions` to build it.
    """
    as_of = ensure_utc("as_of", as_of)
    _check_window(window_days)
    conv = _Converter(rates)
    window_start = as_of - timedelta(days=window_days)
    ids = set(grouped)
    ids.update(customer_ids)
    out = []
    for cid in sorted(ids):
        out.append(_summarise(cid, grouped.get(cid, ()), as_of, window_start, conv))
    return BookFacts(as_of=as_of, currency=conv.base, window_days=window_days, customers=tuple(out))


def facts_from_store(
    store: Store,
    clock: Clock,
    rates: ExchangeRates,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> BookFacts:
    """Read every customer and transaction once and summarise the book at ``clock.now()``."""
    as_of = clock.now()
    customer_ids = [c.id for c in store.query(Customer)]
    grouped = group_transactions(store.query(Transaction))
    return collect_facts(
        grouped, as_of=as_of, rates=rates, window_days=window_days, customer_ids=customer_ids
    )


def _check_window(window_days: int) -> None:
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise ValidationError("window_days", window_days, "must be a positive whole number of days")
