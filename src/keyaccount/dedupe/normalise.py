"""Match keys: company names, phones and e-mail domains reduced to what identifies a company.

``normalise_company_name`` folds full-width to half-width (NFKC), case, punctuation and
spacing, drops a ``(中国)`` / ``(China)`` marker, and strips legal-form suffixes in Chinese
(有限公司, 股份有限公司, 有限责任公司, 集团, 公司) and English (Co., Ltd., Limited, Inc., Corp.,
GmbH, LLC, PLC, AG, Group), so ``华为技术有限公司`` and ``华为技术股份有限公司``, or
``ACME Co., Ltd.`` and ``Acme Corporation``, meet on the same key. A branch (分公司) keeps its
suffix: a branch and its head office are not the same customer.
"""

from __future__ import annotations

import re
import unicodedata

# Longest first, so 股份有限公司 goes before 有限公司 can leave 股份 behind.
ZH_SUFFIXES: tuple[str, ...] = (
    "集团股份有限公司",
    "集团有限责任公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "集团",
    "公司",
)
EN_SUFFIX_TOKENS = frozenset(
    {
        "co",
        "company",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "gmbh",
        "llc",
        "plc",
        "ag",
        "group",
    }
)
_REGION_MARKER = re.compile(r"\(\s*(中国|中國|china|prc|p\.r\.c\.?)\s*\)")
_TOKEN = re.compile(r"[^\W_]+")

FREE_MAIL_DOMAINS = frozenset(
    {
        "qq.com",
        "vip.qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "188.com",
        "vip.163.com",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "139.com",
        "189.cn",
        "aliyun.com",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
    }
)


def _strip_zh(token: str) -> str:
    if token.endswith("分公司") or token in ZH_SUFFIXES:
        return token
    for suffix in ZH_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            return token[: -len(suffix)]
    return token


def normalise_company_name(name: str) -> str:
    """The match key of a company name; ``""`` when nothing distinctive is left."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _REGION_MARKER.sub(" ", text)
    tokens = _TOKEN.findall(text)
    changed = True
    while tokens and changed:
        changed = False
        if len(tokens) > 1 and (tokens[-1] in EN_SUFFIX_TOKENS or tokens[-1] in ZH_SUFFIXES):
            tokens.pop()
            changed = True
            continue
        stripped = _strip_zh(tokens[-1])
        if stripped != tokens[-1]:
            tokens[-1] = stripped
            changed = True
    return "".join(tokens)


def normalise_phone(phone: str) -> str | None:
    """Digits only, without the +86 / 0086 country code; ``None`` if too short to identify."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


def email_domain(email: str) -> str | None:
    """The company domain of an address; ``None`` for free-mail providers, which prove nothing."""
    _, at, domain = unicodedata.normalize("NFKC", email).strip().rpartition("@")
    domain = domain.casefold().rstrip(".")
    if not at or not domain or domain in FREE_MAIL_DOMAINS:
        return None
    return domain
