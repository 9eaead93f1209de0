"""The domain records. They know nothing of storage, HTTP or plugins."""

from keyaccount.models.commerce import CreditProfile, Receivable, Transaction
from keyaccount.models.customer import Contact, Customer
from keyaccount.models.enums import (
    Channel,
    ComplaintStatus,
    CustomerStatus,
    Role,
    Severity,
    TransactionKind,
)
from keyaccount.models.ids import (
    ComplaintId,
    ContactId,
    CreditProfileId,
    CustomerId,
    InteractionId,
    ReceivableId,
    SurveyId,
    SurveyResponseId,
    TransactionId,
    UserId,
    new_id,
)
from keyaccount.models.service import Complaint, Interaction, SurveyResponse
from keyaccount.models.user import AccountManager, User

__all__ = [
    "AccountManager",
    "Channel",
    "Complaint",
    "ComplaintId",
    "ComplaintStatus",
    "Contact",
    "ContactId",
    "CreditProfile",
    "CreditProfileId",
    "Customer",
    "CustomerId",
    "CustomerStatus",
    "Interaction",
    "InteractionId",
    "Receivable",
    "ReceivableId",
    "Role",
    "Severity",
    "SurveyId",
    "SurveyResponse",
    "SurveyResponseId",
    "Transaction",
    "TransactionId",
    "TransactionKind",
    "User",
    "UserId",
    "new_id",
]
