"""Finding likely duplicate customers across sources (客户信息整合).

Customers are grouped by match keys (credit code, normalised name, contact phone, company
e-mail domain); only customers sharing a key are compared, so the work grows with the number
of customers, not its square. Each pair gets a score combined from independent signals,
``1 - Π(1 - weight)``, and the reasons that produced it. Two different credit codes mean two
legal entities: such a pair is kept with its score cut to a fifth, and says so.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping

import attrs

from keyaccount.dedupe.normalise import email_domain, normalise_company_name, normalise_phone
from keyaccount.models import Contact, Customer, CustomerStatus
from keyaccount.storage import Store


@attrs.frozen
class Weights:
    """How much each signal says two customers are one. Tune per data set."""

    credit_code: float = 0.95
    name: float = 0.8
    phone: float = 0.5
    email_domain: float = 0.4
    conflicting_credit_codes: float = 0.2  # multiplier, not a signal


@attrs.frozen
class Reason:
    signal: str
    detail: str
    weight: float


@attrs.frozen
class DuplicatePair:
    """Two customers that look like one, ``left_id < right_id``, with the evidence."""

    left_id: str
    right_id: str
    score: float
    reasons: tuple[Reason, ...]

    def explain(self) -> str:
        return "; ".join(r.detail for r in self.reasons)


@attrs.frozen
class _Keys:
    customer: Customer
    credit_code: str | None
    names: frozenset[str]
    phones: frozenset[str]
    domains: frozenset[str]
    sources: tuple[str, ...]


def _sources(customer: Customer) -> tuple[str, ...]:
    return tuple(sorted(customer.external_refs)) or ("local",)


def match_keys(customer: Customer, contacts: Iterable[Contact]) -> _Keys:
    names = {normalise_company_name(n) for n in (customer.name, customer.legal_name) if n}
    phones = {p for c in contacts if c.phone for p in [normalise_phone(c.phone)] if p}
    domains = {d for c in contacts if c.email for d in [email_domain(c.email)] if d}
    return _Keys(
        customer=customer,
        credit_code=customer.credit_code,
        names=frozenset(n for n in names if n),
        phones=frozenset(phones),
        domains=frozenset(domains),
        sources=_sources(customer),
    )


def score_pair(a: _Keys, b: _Keys, weights: Weights = Weights()) -> DuplicatePair:
    reasons: list[Reason] = []
    if a.credit_code and a.credit_code == b.credit_code:
        reasons.append(
            Reason("credit_code", f"same credit code {a.credit_code}", weights.credit_code)
        )
    if shared := sorted(a.names & b.names):
        reasons.append(Reason("name", f"same normalised name {shared[0]!r}", weights.name))
    if shared := sorted(a.phones & b.phones):
        reasons.append(Reason("phone", f"shared contact phone {shared[0]}", weights.phone))
    if shared := sorted(a.domains & b.domains):
        reasons.append(
            Reason("email_domain", f"shared e-mail domain {shared[0]}", weights.email_domain)
        )
    miss = 1.0
    for r in reasons:
        miss *= 1.0 - r.weight
    score = 1.0 - miss
    if a.credit_code and b.credit_code and a.credit_code != b.credit_code:
        score *= weights.conflicting_credit_codes
        reasons.append(
            Reason(
                "credit_code_conflict",
                f"different credit codes {a.credit_code} / {b.credit_code}",
                weights.conflicting_credit_codes,
            )
        )
    if a.sources != b.sources:
        reasons.append(
            Reason("sources", f"from {'+'.join(a.sources)} and {'+'.join(b.sources)}", 0.0)
        )
    left, right = sorted((a.customer.id, b.customer.id))
    return DuplicatePair(left, right, round(score, 6), tuple(reasons))


def find_duplicates(
    store: Store,
    *,
    threshold: float = 0.6,
    weights: Weights = Weights(),
    max_group: int = 200,
) -> list[DuplicatePair]:
    """Likely duplicate pairs among live customers, highest score first.

    ``max_group`` skips a key shared by more customers than that (a switchboard number on
    every record, a parent company's domain): it would say nothing and cost n² comparisons.
    """
    customers = [c for c in store.query(Customer) if c.status is not CustomerStatus.MERGED]
    contacts: Mapping[str, list[Contact]] = _contacts_by_customer(store)
    keys: dict[str, _Keys] = {c.id: match_keys(c, contacts.get(c.id, ())) for c in customers}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cid, k in keys.items():
        if k.credit_code:
            groups[("credit_code", k.credit_code)].append(cid)
        for name in k.names:
            groups[("name", name)].append(cid)
        for phone in k.phones:
            groups[("phone", phone)].append(cid)
        for domain in k.domains:
            groups[("domain", domain)].append(cid)
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        if 1 < len(members) <= max_group:
            pairs.update(itertools.combinations(sorted(set(members)), 2))
    found = [score_pair(keys[a], keys[b], weights) for a, b in pairs]
    found = [p for p in found if p.score >= threshold]
    return sorted(found, key=lambda p: (-p.score, p.left_id, p.right_id))


def _contacts_by_customer(store: Store) -> dict[str, list[Contact]]:
    out: dict[str, list[Contact]] = defaultdict(list)
    for contact in store.query(Contact):
        out[contact.customer_id].append(contact)
    return out


def duplicate_groups(pairs: Iterable[DuplicatePair]) -> list[tuple[str, ...]]:
    """Customers linked by any chain of pairs, as sorted groups, largest first.

    Three records of one company from three sources give three pairs; merging wants them as
    one group. A chain can join customers no single pair compared, so review a group before
    merging it whole.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        a, b = root(p.left_id), root(p.right_id)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        groups[root(x)].append(x)
    return sorted((tuple(sorted(g)) for g in groups.values()), key=lambda g: (-len(g), g))
