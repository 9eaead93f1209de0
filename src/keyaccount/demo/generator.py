"""A realistic, seeded sample portfolio: customers, contacts, managers, three years of orders,
receivables, interactions, complaints and survey answers.

The same seed and ``as_of`` date always give the same records (ids included), so the demo
and the benchmarks are reproducible and re-running the demo overwrites rather than duplicates.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs

from keyaccount import credit_code
from keyaccount.demo import names
from keyaccount.fx import ExchangeRates
from keyaccount.models import (
    Channel,
    Complaint,
    ComplaintId,
    ComplaintStatus,
    Contact,
    ContactId,
    CreditProfile,
    CreditProfileId,
    Customer,
    CustomerId,
    CustomerStatus,
    Interaction,
    InteractionId,
    Receivable,
    ReceivableId,
    Role,
    Severity,
    SurveyId,
    SurveyResponse,
    SurveyResponseId,
    Transaction,
    TransactionId,
    TransactionKind,
    User,
    UserId,
)
from keyaccount.money import Money

CENT = Decimal("0.01")
# Rough units of each currency per CNY, so foreign accounts get plausible figures.
PER_CNY = {
    "CNY": 1.0,
    "USD": 0.14,
    "EUR": 0.13,
    "GBP": 0.11,
    "JPY": 21.0,
    "CHF": 0.12,
    "AUD": 0.21,
    "CAD": 0.19,
}


def demo_rates() -> ExchangeRates:
    """Reporting rates into CNY matching the unit scale the generator used."""
    return ExchangeRates(
        "CNY",
        {
            cur: (Decimal(1) / Decimal(str(per))).quantize(Decimal("0.0001"))
            for cur, per in PER_CNY.items()
            if cur != "CNY"
        },
    )


@attrs.frozen
class DemoConfig:
    """What to generate. ``orders_per_customer`` is the average over the whole period."""

    seed: int = 7
    customers: int = 300
    as_of: datetime = datetime(2026, 10, 31, 18, 0, tzinfo=UTC)
    years: int = 3
    orders_per_customer: float = 20.0
    international_share: float = 0.15
    with_activity: bool = True


@attrs.define
class Portfolio:
    users: list[User] = attrs.Factory(list)
    customers: list[Customer] = attrs.Factory(list)
    contacts: list[Contact] = attrs.Factory(list)
    credit_profiles: list[CreditProfile] = attrs.Factory(list)
    transactions: list[Transaction] = attrs.Factory(list)
    receivables: list[Receivable] = attrs.Factory(list)
    interactions: list[Interaction] = attrs.Factory(list)
    complaints: list[Complaint] = attrs.Factory(list)
    surveys: list[SurveyResponse] = attrs.Factory(list)

    def records(self) -> Iterator[object]:
        """Every record, parents before children."""
        for group in attrs.astuple(self, recurse=False):
            yield from group

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in attrs.fields(Portfolio)}


def _money(cents: int, currency: str) -> Money:
    return Money(Decimal(cents) * CENT, currency)


def _users(rng: random.Random) -> list[User]:
    users = [
        User(id=UserId("usr_admin"), name="系统管理员", role=Role.ADMIN),
        User(id=UserId("usr_dir"), name="周总监", role=Role.DIRECTOR, email="zhou@example.com"),
        User(id=UserId("usr_analyst"), name="林分析", role=Role.ANALYST, team="运营"),
    ]
    teams = ("华东大客户部", "华南大客户部", "国际业务部")
    for t, team in enumerate(teams):
        lead = UserId(f"usr_lead{t + 1}")
        users.append(
            User(
                id=lead,
                name=f"{names.CN_SURNAMES[t]}经理",
                role=Role.DIRECTOR,
                team=team,
                manager_id=UserId("usr_dir"),
            )
        )
        for k in range(3):
            i = t * 3 + k + 1
            surname = names.CN_SURNAMES[(i * 3) % len(names.CN_SURNAMES)]
            given = rng.choice(names.CN_GIVEN)
            users.append(
                User(
                    id=UserId(f"usr_am{i:02d}"),
                    name=surname + given,
                    team=team,
                    manager_id=lead,
                    email=f"am{i:02d}@example.com",
                )
            )
    users.append(
        User(id=UserId("usr_svc1"), name="客服一组", role=Role.SERVICE_AGENT, team="客服中心")
    )
    users.append(
        User(id=UserId("usr_svc2"), name="客服二组", role=Role.SERVICE_AGENT, team="客服中心")
    )
    return users


def generate_portfolio(config: DemoConfig | None = None) -> Portfolio:
    cfg = config or DemoConfig()
    rng = random.Random(cfg.seed)
    out = Portfolio(users=_users(rng))
    managers = [u for u in out.users if u.role is Role.ACCOUNT_MANAGER]
    start = cfg.as_of - timedelta(days=365 * cfg.years)
    period_days = (cfg.as_of - start).days
    # Customer sizes follow a Pareto law: a few accounts carry most of the revenue (二八定律).
    sizes = [rng.paretovariate(1.3) for _ in range(cfg.customers)]
    mean_size = sum(sizes) / len(sizes) if sizes else 1.0
    for n in range(cfg.customers):
        _customer(rng, cfg, out, n, sizes[n] / mean_size, managers, start, period_days)
    return out


def _customer(
    rng: random.Random,
    cfg: DemoConfig,
    out: Portfolio,
    n: int,
    size: float,
    managers: list[User],
    start: datetime,
    period_days: int,
) -> None:
    cid = CustomerId(f"cus_{n + 1:05d}")
    created = start + timedelta(
        days=rng.randrange(0, max(1, period_days // 2)), hours=rng.randrange(8, 18)
    )
    international = rng.random() < cfg.international_share
    manager = managers[n % len(managers)] if not international else rng.choice(managers[-3:])
    if international:
        stem, trade, form, city, currency, region, industry = rng.choice(names.INTL)
        name = f"{stem} {trade}"
        legal = f"{stem} {trade} {form}"
        code = None
        first, last = rng.choice(names.INTL_FIRST), rng.choice(names.INTL_LAST)
        contact_name, title = f"{first} {last}", rng.choice(names.INTL_TITLES)
        email_domain = stem.lower().replace(" ", "") + ".example"
        region_label = f"{region} / {city}"
    else:
        city, division, region_label = rng.choice(names.CN_CITIES)
        trade, industry = rng.choice(names.CN_INDUSTRIES)
        core = rng.choice(names.CN_CORES)
        name = f"{city}{core}{trade}"
        legal = name + rng.choice(names.CN_FORMS)
        body = (
            rng.choice("9159")
            + "1"
            + division
            + "".join(rng.choice(credit_code.ALPHABET) for _ in range(9))
        )
        code = credit_code.make(body)
        currency = "CNY"
        contact_name = rng.choice(names.CN_SURNAMES) + rng.choice(names.CN_GIVEN)
        title = rng.choice(names.CN_TITLES)
        email_domain = f"c{n + 1:05d}.example.cn"
    employees = max(5, int(size * rng.uniform(80, 400)))
    scale = size * PER_CNY[currency]
    annual_cents = int(scale * rng.uniform(2e9, 8e9))
    churned = rng.random() < 0.12
    out.customers.append(
        Customer(
            id=cid,
            name=name,
            legal_name=legal,
            created_at=created,
            credit_code=code,
            industry=industry,
            region=region_label,
            employees=employees,
            annual_revenue=_money(annual_cents, currency),
            owner_id=manager.id,
            team=manager.team,
            tags=("international",) if international else (),
            status=CustomerStatus.ACTIVE,
        )
    )
    contacts = []
    for k in range(1 + (size > 1.5) + (size > 4)):
        pid = ContactId(f"con_{n + 1:05d}_{k + 1}")
        phone = (
            f"+86 13{rng.randrange(0, 10)}{rng.randrange(10**7, 10**8)}"
            if not international
            else f"+1 {rng.randrange(200, 999)} {rng.randrange(1000000, 9999999)}"
        )
        contacts.append(
            Contact(
                id=pid,
                customer_id=cid,
                name=contact_name if k == 0 else f"{contact_name}{k}",
                title=title,
                decision_maker=k == 0,
                phone=phone,
                email=f"p{k + 1}@{email_domain}",
                preferred_channel=rng.choice(
                    (Channel.PHONE, Channel.IM, Channel.EMAIL, Channel.VISIT)
                ),
                birthday=date(
                    rng.randrange(1965, 1995), rng.randrange(1, 13), rng.randrange(1, 29)
                ),
            )
        )
    out.contacts.extend(contacts)
    terms = rng.choice((30, 45, 60, 90))
    limit_cents = int(scale * rng.uniform(5e7, 2e8))
    out.credit_profiles.append(
        CreditProfile(
            id=CreditProfileId(f"crp_{n + 1:05d}"),
            customer_id=cid,
            credit_limit=_money(limit_cents, currency),
            payment_terms_days=terms,
            rating=rng.choice(("AAA", "AA", "A", "BBB", "BB")),
            updated_at=created,
        )
    )
    _orders(rng, cfg, out, cid, size, currency, terms, manager.id, created, churned)
    if cfg.with_activity:
        _activity(rng, cfg, out, cid, size, contacts, manager.id, created, churned)


def _orders(
    rng: random.Random,
    cfg: DemoConfig,
    out: Portfolio,
    cid: CustomerId,
    size: float,
    currency: str,
    terms: int,
    owner: UserId,
    created: datetime,
    churned: bool,
) -> None:
    active_days = (cfg.as_of - created).days
    horizon = active_days - (rng.randrange(200, 500) if churned else 0)
    if horizon <= 0:
        return
    # Customers join during the first half and some churn, so scale the rate to keep the
    # book-wide average near orders_per_customer.
    rate = 1.6 * cfg.orders_per_customer * min(3.0, 0.4 + 0.6 * math.sqrt(size)) / (365 * cfg.years)
    expected = rate * horizon
    count = _poisson(rng, expected)
    base_cents = size * PER_CNY[currency] * rng.uniform(3e6, 1.2e7)
    times = sorted(created + timedelta(days=rng.uniform(0, horizon)) for _ in range(count))
    for k, at in enumerate(times):
        at = at.replace(microsecond=0)
        amount = max(1000, int(base_cents * rng.lognormvariate(0, 0.5)))
        margin = rng.uniform(0.08, 0.35) if rng.random() > 0.03 else rng.uniform(-0.1, 0.0)
        tid = TransactionId(f"trx_{cid[4:]}_{k + 1:03d}")
        out.transactions.append(
            Transaction(
                id=tid,
                customer_id=cid,
                occurred_at=at,
                amount=_money(amount, currency),
                gross_profit=_money(int(amount * margin), currency),
                owner_id=owner,
            )
        )
        issued = at.date()
        due = issued + timedelta(days=terms)
        delay = int(rng.expovariate(1 / 12)) - 8
        paid_on = due + timedelta(days=delay)
        if paid_on < issued:
            paid_on = issued
        paid: date | None = paid_on if paid_on <= cfg.as_of.date() and rng.random() > 0.02 else None
        out.receivables.append(
            Receivable(
                id=ReceivableId(f"rcv_{cid[4:]}_{k + 1:03d}"),
                customer_id=cid,
                amount=_money(amount, currency),
                issued_on=issued,
                due_on=due,
                paid_on=paid,
                transaction_id=tid,
            )
        )
        if rng.random() < 0.02:
            refund = -int(amount * rng.uniform(0.1, 0.5))
            out.transactions.append(
                Transaction(
                    id=TransactionId(f"{tid}_r"),
                    customer_id=cid,
                    occurred_at=min(cfg.as_of, at + timedelta(days=rng.randrange(5, 40))),
                    amount=_money(refund, currency),
                    gross_profit=_money(int(refund * 1.1), currency),
                    kind=TransactionKind.REFUND,
                    owner_id=owner,
                    description="退货退款",
                )
            )


def _activity(
    rng: random.Random,
    cfg: DemoConfig,
    out: Portfolio,
    cid: CustomerId,
    size: float,
    contacts: list[Contact],
    owner: UserId,
    created: datetime,
    churned: bool,
) -> None:
    days = (cfg.as_of - created).days
    gap = max(20, int(120 / math.sqrt(max(size, 0.2))))
    quiet_from = days - (rng.randrange(150, 400) if churned else 0)
    day, k = rng.randrange(0, gap), 0
    while day < max(0, quiet_from):
        k += 1
        at = (created + timedelta(days=day, hours=rng.randrange(1, 9))).replace(microsecond=0)
        channel = rng.choice(
            (Channel.VISIT, Channel.PHONE, Channel.MEETING, Channel.IM, Channel.EMAIL)
        )
        is_visit = channel is Channel.VISIT
        out.interactions.append(
            Interaction(
                id=InteractionId(f"int_{cid[4:]}_{k:03d}"),
                customer_id=cid,
                channel=channel,
                occurred_at=at,
                owner_id=owner,
                contact_ids=(contacts[0].id,),
                summary=rng.choice(names.VISIT_SUMMARIES),
                report=(
                    "拜访反馈：需求明确，下一步报价" if is_visit and rng.random() > 0.2 else None
                ),
            )
        )
        day += max(3, int(rng.gauss(gap, gap / 3)))
    for j in range(_poisson(rng, 0.4 + 0.2 * min(size, 5) + (0.8 if churned else 0))):
        at = (created + timedelta(days=rng.uniform(0, days))).replace(microsecond=0)
        topic, category = rng.choice(names.COMPLAINT_TOPICS)
        age = (cfg.as_of - at).days
        closed = age > 20 and rng.random() > 0.1
        out.complaints.append(
            Complaint(
                id=ComplaintId(f"cmp_{cid[4:]}_{j + 1:02d}"),
                customer_id=cid,
                received_at=at,
                subject=topic,
                category=category,
                contact_id=contacts[0].id,
                severity=rng.choice(
                    (Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH)
                ),
                status=ComplaintStatus.CLOSED
                if closed
                else rng.choice((ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING)),
                assignee_id=owner,
                closed_at=at + timedelta(days=rng.randrange(1, 20)) if closed else None,
                satisfaction=rng.randrange(2, 6) if closed else None,
            )
        )
    for year in range(cfg.years):
        at = (cfg.as_of - timedelta(days=365 * year + rng.randrange(20, 200))).replace(
            microsecond=0
        )
        if at < created or rng.random() < 0.3:
            continue
        mood = rng.gauss(7.8 - (2.5 if churned else 0) + 0.3 * min(size, 3), 1.6)
        nps = max(0, min(10, round(mood)))
        out.surveys.append(
            SurveyResponse(
                id=SurveyResponseId(f"srv_{cid[4:]}_{year + 1}"),
                survey_id=SurveyId(f"annual-{at.year}"),
                customer_id=cid,
                contact_id=contacts[0].id,
                answered_at=at,
                nps=nps,
                csat=max(1, min(5, round(nps / 2))),
            )
        )


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
