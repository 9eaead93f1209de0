from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyaccount.credit_code import check_character
from keyaccount.dedupe import Weights, find_duplicates
from keyaccount.models import Contact, Customer, CustomerStatus
from keyaccount.storage import Store

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def code(org: str) -> str:
    first17 = "91440300" + org
    return first17 + check_character(first17)


def customer(cid: str, name: str, **kw: object) -> Customer:
    return Customer(id=cid, name=name, created_at=T0, **kw)  # type: ignore[arg-type]


@pytest.fixture
def book(store: Store) -> Store:
    store.put_many(
        [
            customer(
                "c1",
                "华为技术有限公司",
                credit_code=code("192203821"),
                external_refs={"zoho": "z1"},
            ),
            customer("c2", "华为技术股份有限公司", external_refs={"fxiaoke": "f1"}),
            customer("c3", "Acme Co., Ltd."),
            customer("c4", "ACME Trading"),
            customer("c5", "Beta"),
            customer("c6", "Gamma"),
            customer("c7", "华为技术", credit_code=code("MA5D12345")),
            customer("c8", "华为技术公司", status=CustomerStatus.MERGED, merged_into="c1"),
            customer("c9", "Delta", credit_code=code("192203821")),
        ]
    )
    store.put_many(
        [
            Contact(
                id="p3", customer_id="c3", name="A", phone="+86 138 1234 1234", email="a@acme.com"
            ),
            Contact(id="p4", customer_id="c4", name="B", phone="13812341234", email="b@ACME.com"),
            Contact(id="p5", customer_id="c5", name="C", email="x@qq.com"),
            Contact(id="p6", customer_id="c6", name="D", email="y@qq.com"),
        ]
    )
    return store


def test_pairs_scores_and_reasons(book: Store) -> None:
    pairs = {(p.left_id, p.right_id): p for p in find_duplicates(book)}
    assert set(pairs) == {("c1", "c9"), ("c1", "c2"), ("c2", "c7"), ("c3", "c4")}
    by_code = pairs[("c1", "c9")]
    assert by_code.score == pytest.approx(0.95)
    assert [r.signal for r in by_code.reasons] == ["credit_code", "sources"]
    by_name = pairs[("c1", "c2")]
    assert by_name.score == pytest.approx(0.8)
    assert by_name.explain() == "same normalised name '华为技术'; from zoho and fxiaoke"
    by_contacts = pairs[("c3", "c4")]
    assert by_contacts.score == pytest.approx(1 - 0.5 * 0.6)
    assert [r.signal for r in by_contacts.reasons] == ["phone", "email_domain"]
    assert "shared e-mail domain acme.com" in by_contacts.explain()


def test_order_is_highest_score_first(book: Store) -> None:
    scores = [p.score for p in find_duplicates(book)]
    assert scores == sorted(scores, reverse=True)


def test_free_mail_domain_is_no_evidence(book: Store) -> None:
    pairs = find_duplicates(book, threshold=0.0)
    assert all({"c5", "c6"} != {p.left_id, p.right_id} for p in pairs)


def test_different_credit_codes_cut_the_score(book: Store) -> None:
    pairs = {(p.left_id, p.right_id): p for p in find_duplicates(book, threshold=0.0)}
    conflict = pairs[("c1", "c7")]
    assert conflict.score == pytest.approx(0.8 * 0.2)
    assert [r.signal for r in conflict.reasons] == ["name", "credit_code_conflict", "sources"]
    assert ("c2", "c7") in pairs  # no code on c2: the name match stands
    assert pairs[("c2", "c7")].score == pytest.approx(0.8)


def test_merged_customers_are_not_candidates(book: Store) -> None:
    assert all("c8" not in (p.left_id, p.right_id) for p in find_duplicates(book, threshold=0.0))


def test_weights_and_group_cap(book: Store) -> None:
    heavy = Weights(email_domain=0.7)
    pairs = find_duplicates(book, weights=heavy, threshold=0.85)
    assert ("c3", "c4") in {(p.left_id, p.right_id) for p in pairs}
    # with groups capped at one member nothing is compared
    assert find_duplicates(book, max_group=1) == []


def test_groups_join_chains_of_pairs() -> None:
    from keyaccount.dedupe import DuplicatePair, duplicate_groups

    def pair(a: str, b: str) -> DuplicatePair:
        return DuplicatePair(a, b, 0.9, ())

    groups = duplicate_groups(
        [pair("c1", "c2"), pair("c5", "c6"), pair("c2", "c3"), pair("c1", "c3")]
    )
    assert groups == [("c1", "c2", "c3"), ("c5", "c6")]
    assert duplicate_groups([]) == []


def test_groups_from_the_book(book: Store) -> None:
    from keyaccount.dedupe import duplicate_groups

    assert duplicate_groups(find_duplicates(book)) == [("c1", "c2", "c7", "c9"), ("c3", "c4")]
