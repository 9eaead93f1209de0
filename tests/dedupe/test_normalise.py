from __future__ import annotations

import pytest

from keyaccount.dedupe import email_domain, normalise_company_name, normalise_phone


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华为技术有限公司", "华为技术股份有限公司"),
        ("华为技术有限公司", "华为技术有限责任公司"),
        ("华为技术有限公司", "华为技术"),
        ("西门子（中国）有限公司", "西门子有限公司"),
        ("西门子(中国)有限公司", "西门子"),
        ("万科企业股份有限公司", "万科企业集团"),
        ("ＡＢＣ科技有限公司", "abc科技公司"),
        ("ACME Co., Ltd.", "Acme Corporation"),
        ("ACME Co., Ltd.", "acme inc"),
        ("Acme Company Limited", "ACME LTD"),
        ("Siemens (China) Co., Ltd.", "Siemens GmbH"),
        ("Bosch Group", "BOSCH AG"),
        ("Li & Fung Ltd", "Li-Fung Limited"),
        ("  Foo   Bar  Inc. ", "foo bar"),
    ],
)
def test_variants_meet_on_one_key(a: str, b: str) -> None:
    assert normalise_company_name(a) == normalise_company_name(b)
    assert normalise_company_name(a) != ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华为技术有限公司", "华为终端有限公司"),
        ("上海分公司", "上海公司"),
        ("ACME Co., Ltd.", "ACMEX Co., Ltd."),
    ],
)
def test_different_companies_stay_apart(a: str, b: str) -> None:
    assert normalise_company_name(a) != normalise_company_name(b)


def test_suffix_alone_is_kept_rather_than_emptied() -> None:
    assert normalise_company_name("有限公司") == "有限公司"
    assert normalise_company_name("Inc.") == "inc"
    assert normalise_company_name("!!!") == ""


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("138-1234-1234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("0086 13812341234", "13812341234"),
        ("（021）6123 4567", "02161234567"),
        ("123", None),
    ],
)
def test_phone_keys(raw: str, key: str | None) -> None:
    assert normalise_phone(raw) == key


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("Li.Wei@Huawei.COM", "huawei.com"),
        ("buyer@qq.com", None),
        ("someone@163.com", None),
        ("x@gmail.com", None),
        ("no-at-sign", None),
    ],
)
def test_email_domains(email: str, domain: str | None) -> None:
    assert email_domain(email) == domain
