"""Masking functions: how a sensitive value is shown to a role without the right to see it.

Each strategy keeps just enough of the value to recognise it (the last digits of a phone, the
domain of an e-mail) and nothing that would let the reader use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

MASK = "****"


class MaskStrategy(StrEnum):
    """How a field is masked. ``withhold`` replaces the value with ``None``."""

    PHONE = "phone"
    EMAIL = "email"
    CREDIT_CODE = "credit_code"
    TEXT = "text"
    WITHHOLD = "withhold"

    @property
    def needs_text(self) -> bool:
        return self is not MaskStrategy.WITHHOLD


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``; a +86/0086 prefix is dropped first."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 8:
        return MASK
    return f"{digits[:3]}{MASK}{digits[-4:]}"


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``; the domain stays to show the company."""
    local, at, domain = value.partition("@")
    if not at:
        return MASK
    return f"{local[:1]}***@{domain}"


def mask_credit_code(value: str) -> str:
    """Keeps the registration-authority and type characters and the last four, like receipts."""
    if len(value) < 8:
        return MASK
    return value[:2] + "*" * (len(value) - 6) + value[-4:]


def mask_text(value: str) -> str:
    del value
    return "***"


_TEXT_MASKS: dict[MaskStrategy, Callable[[str], str]] = {
    MaskStrategy.PHONE: mask_phone,
    MaskStrategy.EMAIL: mask_email,
    MaskStrategy.CREDIT_CODE: mask_credit_code,
    MaskStrategy.TEXT: mask_text,
}


def apply_mask(strategy: MaskStrategy, value: Any) -> Any:
    """The masked form of ``value``; ``None`` stays ``None`` so absence is still visible."""
    if value is None or strategy is MaskStrategy.WITHHOLD:
        return None
    return _TEXT_MASKS[strategy](str(value))
