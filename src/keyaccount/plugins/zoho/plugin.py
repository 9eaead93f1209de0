"""Registers the Zoho provider with keyaccount's plugin host under the name ``zoho``."""

from __future__ import annotations

from collections.abc import Mapping

from keyaccount.crm import CrmProvider, RegisterCrmProvider
from keyaccount.hookspecs import hookimpl
from keyaccount.plugins.zoho.provider import ZohoProvider


def open_zoho(config: Mapping[str, str]) -> CrmProvider:
    return ZohoProvider.from_config(config)


@hookimpl
def register_crm_providers(register: RegisterCrmProvider) -> None:
    register("zoho", open_zoho, description="Zoho CRM (Records API v8, every data centre)")
