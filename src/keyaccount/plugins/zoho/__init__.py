"""Zoho CRM provider: OAuth for every data centre, Records API v8 reads and batch writes with
retries and rate limits, and the mapping to keyaccount's models. See docs/zoho.md."""

from keyaccount.plugins.zoho.auth import FileTokenStore, MemoryTokenStore, TokenSet, ZohoAuth
from keyaccount.plugins.zoho.client import ZohoClient
from keyaccount.plugins.zoho.datacenters import DATACENTER_NAMES, DataCenter, datacenter
from keyaccount.plugins.zoho.mapping import FieldMap
from keyaccount.plugins.zoho.plugin import register_crm_providers
from keyaccount.plugins.zoho.provider import ZohoProvider

__all__ = [
    "DATACENTER_NAMES",
    "DataCenter",
    "FieldMap",
    "FileTokenStore",
    "MemoryTokenStore",
    "TokenSet",
    "ZohoAuth",
    "ZohoClient",
    "ZohoProvider",
    "datacenter",
    "register_crm_providers",
]
