"""Typed ids: plain strings at run time, distinct types for the checker."""

from __future__ import annotations

import secrets
from typing import NewType

CustomerId = NewType("CustomerId", str)
ContactId = NewType("ContactId", str)
UserId = NewType("UserId", str)
TransactionId = NewType("TransactionId", str)
ReceivableId = NewType("ReceivableId", str)
InteractionId = NewType("InteractionId", str)
ComplaintId = NewType("ComplaintId", str)
SurveyId = NewType("SurveyId", str)
SurveyResponseId = NewType("SurveyResponseId", str)
CreditProfileId = NewType("CreditProfileId", str)


def new_id(prefix: str) -> str:
    """A fresh random id such as ``cus_5f2c9a0d1e7b``; prefixes make logs readable."""
    return f"{prefix}_{secrets.token_hex(6)}"
