from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyaccount import credit_code
from keyaccount.errors import ValidationError
from keyaccount.models import (
    Channel,
    Complaint,
    ComplaintStatus,
    Contact,
    CreditProfile,
    Customer,
    CustomerStatus,
    Interaction,
    Receivable,
    Role,
    SurveyResponse,
    Transaction,
    TransactionKind,
    User,
)
from keyaccount.money import Money

T0 = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def customer(**kw: object) -> Customer:
    base: dict[str, object] = {"id": "c1", "name": "华为技术有限公司", "created_at": T0}
    base.update(kw)
    return Customer(**base)  # type: ignore[arg-type]


class TestCustomer:
    def test_valid_credit_code_is_normalised(self) -> None:
        c = customer(credit_code=" 91440300-708461136t ")
        assert c.credit_code == "91440300708461136T"

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("91440300708461136X", "check character should be 'T'"),
            ("9144030070846113", "must have 18 characters"),
            ("9144030070846113IT", "'I' is not allowed"),
            ("91ABCDEF708461136T", "administrative division"),
        ],
    )
    def test_bad_credit_code_names_field_and_value(self, code: str, reason: str) -> None:
        with pytest.raises(ValidationError) as info:
            customer(credit_code=code)
        assert info.value.field == "Customer.credit_code"
        assert info.value.value == code
        assert reason in str(info.value)

    def test_empty_credit_code_means_none(self) -> None:
        assert customer(credit_code="").credit_code is None

    def test_naive_datetime_rejected(self) -> None:
        with pytest.raises(ValidationError, match=r"Customer\.created_at.*timezone-aware"):
            customer(created_at=datetime(2026, 1, 1))

    def test_other_zones_are_converted_to_utc(self) -> None:
        beijing = timezone(timedelta(hours=8))
        c = customer(created_at=datetime(2026, 1, 5, 16, 30, tzinfo=beijing))
        assert c.created_at == T0
        assert c.created_at.utcoffset() == timedelta(0)

    def test_status_accepts_value_strings_and_rejects_unknown(self) -> None:
        assert customer(status="archived").status is CustomerStatus.ARCHIVED
        with pytest.raises(ValidationError, match="must be one of active, archived, merged"):
            customer(status="deleted")

    def test_merged_needs_survivor_and_not_itself(self) -> None:
        with pytest.raises(ValidationError, match="merged_into"):
            customer(status=CustomerStatus.MERGED)
        with pytest.raises(ValidationError, match="itself"):
            customer(status=CustomerStatus.MERGED, merged_into="c1")
        assert customer(status="merged", merged_into="c2").merged_into == "c2"

    def test_evolve_revalidates(self) -> None:
        c = customer()
        with pytest.raises(ValidationError, match=r"Customer\.name"):
            attrs.evolve(c, name="  ")

    def test_tags_from_text_and_external_refs(self) -> None:
        c = customer(tags="制造业, 华南；重点".replace("；", ";"))
        assert c.tags == ("制造业", "华南", "重点")
        c2 = c.with_external_ref("zoho", "4876876000000123")
        assert c2.external_refs == {"zoho": "4876876000000123"}
        assert c.external_refs == {}

    def test_frozen(self) -> None:
        c = customer()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            c.name = "x"  # type: ignore[misc]

    @pytest.mark.parametrize("bad_id", ["", "has space", "-lead", "x" * 129])
    def test_ids_are_checked(self, bad_id: str) -> None:
        with pytest.raises(ValidationError, match=r"Customer\.id"):
            customer(id=bad_id)

    def test_negative_employees_rejected(self) -> None:
        with pytest.raises(ValidationError, match=r"Customer\.employees: must be at least 0"):
            customer(employees=-1)


@given(st.text(alphabet=credit_code.ALPHABET, min_size=17, max_size=17))
def test_made_credit_codes_always_validate(body: str) -> None:
    body = body[:2] + "110000"[:6] + body[8:]
    code = credit_code.make(body)
    assert credit_code.is_valid(code)
    # Any single-character change to the check character is caught.
    wrong = credit_code.ALPHABET[(credit_code.ALPHABET.index(code[-1]) + 1) % 31]
    assert not credit_code.is_valid(code[:-1] + wrong)


class TestContactAndUser:
    def test_contact_channels_validated(self) -> None:
        c = Contact(
            id="p1",
            customer_id="c1",
            name="王经理",
            phone="+86 138-0013-8000",
            email="wang@example.cn",
            preferred_channel="im",
            birthday=date(1980, 2, 29),
        )
        assert c.preferred_channel is Channel.IM
        with pytest.raises(ValidationError, match=r"Contact\.email"):
            attrs.evolve(c, email="not-an-email")
        with pytest.raises(ValidationError, match=r"Contact\.phone"):
            attrs.evolve(c, phone="call me")
        with pytest.raises(ValidationError, match=r"Contact\.birthday: must be a date"):
            attrs.evolve(c, birthday=T0)

    def test_user_role(self) -> None:
        assert User(id="u1", name="李娜", role="director").role is Role.DIRECTOR
        with pytest.raises(ValidationError, match=r"User\.role"):
            User(id="u1", name="李娜", role="boss")


class TestTransaction:
    def test_refund_may_make_profit_negative(self) -> None:
        t = Transaction(
            id="t1",
            customer_id="c1",
            occurred_at=T0,
            amount=Money.of("-100", "CNY"),
            gross_profit=Money.of("-130", "CNY"),
            kind=TransactionKind.REFUND,
        )
        assert t.gross_profit.is_negative()

    def test_order_cannot_be_negative_and_currencies_must_agree(self) -> None:
        with pytest.raises(ValidationError, match=r"Transaction\.amount"):
            Transaction(
                id="t1",
                customer_id="c1",
                occurred_at=T0,
                amount=Money.of("-1", "CNY"),
                gross_profit=Money.of(0, "CNY"),
            )
        with pytest.raises(ValidationError, match=r"Transaction\.gross_profit: must be in CNY"):
            Transaction(
                id="t1",
                customer_id="c1",
                occurred_at=T0,
                amount=Money.of("1", "CNY"),
                gross_profit=Money.of(0, "USD"),
            )


class TestReceivable:
    def test_outstanding_and_overdue(self) -> None:
        r = Receivable(
            id="r1",
            customer_id="c1",
            amount=Money.of(1000, "CNY"),
            issued_on=date(2024, 1, 31),
            due_on=date(2024, 2, 29),
        )
        assert r.outstanding == Money.of(1000, "CNY")
        assert r.days_overdue(date(2024, 3, 1)) == 1
        assert r.days_overdue(date(2024, 2, 29)) == 0
        paid = attrs.evolve(r, paid_on=date(2024, 3, 10), paid_amount=Money.of(1000, "CNY"))
        assert paid.settled
        assert paid.days_overdue(date(2024, 4, 1)) == 0

    def test_paid_defaults_to_full_amount(self) -> None:
        r = Receivable(
            id="r1",
            customer_id="c1",
            amount=Money.of(10, "CNY"),
            issued_on=date(2024, 1, 1),
            due_on=date(2024, 1, 31),
            paid_on=date(2024, 1, 20),
        )
        assert r.paid_amount == Money.of(10, "CNY")

    def test_partial_payment_is_still_overdue(self) -> None:
        r = Receivable(
            id="r1",
            customer_id="c1",
            amount=Money.of(10, "CNY"),
            issued_on=date(2024, 1, 1),
            due_on=date(2024, 1, 31),
            paid_on=date(2024, 1, 20),
            paid_amount=Money.of(4, "CNY"),
        )
        assert r.outstanding == Money.of(6, "CNY")
        assert r.days_overdue(date(2024, 2, 10)) == 10

    @pytest.mark.parametrize(
        ("kw", "field"),
        [
            ({"due_on": date(2023, 12, 31)}, "Receivable.due_on"),
            ({"paid_on": date(2023, 12, 1)}, "Receivable.paid_on"),
            (
                {"paid_on": date(2024, 1, 2), "paid_amount": Money.of(11, "CNY")},
                "Receivable.paid_amount",
            ),
            ({"amount": Money.of(-1, "CNY")}, "Receivable.amount"),
        ],
    )
    def test_inconsistent_values_rejected(self, kw: dict[str, object], field: str) -> None:
        base: dict[str, object] = {
            "id": "r1",
            "customer_id": "c1",
            "amount": Money.of(10, "CNY"),
            "issued_on": date(2024, 1, 1),
            "due_on": date(2024, 1, 31),
        }
        base.update(kw)
        with pytest.raises(ValidationError) as info:
            Receivable(**base)  # type: ignore[arg-type]
        assert info.value.field == field


class TestServiceRecords:
    def test_complaint_defaults_and_checks(self) -> None:
        c = Complaint(id="k1", customer_id="c1", received_at=T0, subject="交付延迟")
        assert c.status is ComplaintStatus.RECEIVED and c.is_open
        with pytest.raises(ValidationError, match=r"Complaint\.closed_at"):
            attrs.evolve(c, closed_at=T0 - timedelta(days=1))
        with pytest.raises(ValidationError, match=r"Complaint\.satisfaction: must be at most 5"):
            attrs.evolve(c, satisfaction=6)

    def test_survey_scores_in_range(self) -> None:
        with pytest.raises(ValidationError, match=r"SurveyResponse\.nps: must be at most 10"):
            SurveyResponse(id="s1", survey_id="q1", customer_id="c1", answered_at=T0, nps=11)

    def test_interaction_channel(self) -> None:
        i = Interaction(
            id="i1", customer_id="c1", channel="visit", occurred_at=T0, contact_ids=["p1", "p2"]
        )
        assert i.channel is Channel.VISIT and i.contact_ids == ("p1", "p2")
        with pytest.raises(ValidationError, match=r"Interaction\.channel"):
            attrs.evolve(i, channel="fax")

    def test_credit_profile_limits(self) -> None:
        with pytest.raises(ValidationError, match=r"CreditProfile\.payment_terms_days"):
            CreditProfile(
                id="cp1", customer_id="c1", credit_limit=Money.of(1, "CNY"), payment_terms_days=400
            )
