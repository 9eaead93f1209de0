from __future__ import annotations

import pytest

from keyaccount.access import MaskStrategy, apply_mask, mask_credit_code, mask_email, mask_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("008613812341234", "138****1234"),
        ("021-6123 4567", "021****4567"),
        ("12345", "****"),
    ],
)
def test_phone_keeps_prefix_and_last_four(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_email_keeps_first_letter_and_domain() -> None:
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("not-an-email") == "****"


def test_credit_code_keeps_type_and_last_four() -> None:
    assert mask_credit_code("91310000MA1FL0001X") == "91************001X"
    assert len(mask_credit_code("91310000MA1FL0001X")) == 18


def test_withhold_and_none() -> None:
    assert apply_mask(MaskStrategy.WITHHOLD, "secret") is None
    assert apply_mask(MaskStrategy.PHONE, None) is None
    assert apply_mask(MaskStrategy.TEXT, "wx-id") == "***"
