"""Human labels for stored columns, in Chinese and English.

People export spreadsheets from other systems with headers such as ``客户名称``,
``统一社会信用代码`` or ``Account Manager``; this table maps them to keyaccount's column names.
It is one table for every place that reads or writes labelled data (the CSV backend, imports,
reports), so a new alias is added once.

Lookup is forgiving about form: labels are compared after Unicode NFKC normalisation (full-width
letters and spaces become ASCII), case folding, and removal of spaces, ``_``, ``-`` and ``.``,
so ``Credit Code``, ``credit_code`` and ``ＣＲＥＤＩＴ　ＣＯＤＥ`` are the same label.

The first alias of a column is its preferred label (Chinese where there is one).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

# Aliases that mean the same column in any record kind that has it.
GENERIC: dict[str, tuple[str, ...]] = {
    "id": ("编号", "记录编号", "ID"),
    "customer_id": ("客户编号", "客户ID", "客户", "customer", "customer id", "account id"),
    "contact_id": ("联系人编号", "联系人ID", "contact id"),
    "owner_id": ("客户经理", "负责人", "所有人", "owner", "account manager", "sales rep"),
    "transaction_id": ("订单编号", "交易编号", "order id", "transaction id"),
    "team": ("团队", "销售团队", "team"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "e-mail", "mail"),
    "phone": ("电话", "手机", "手机号", "联系电话", "mobile", "telephone", "tel"),
    "status": ("状态", "status"),
    "description": ("描述", "说明", "description"),
    "created_at": ("创建时间", "created", "created at"),
    "updated_at": ("更新时间", "updated", "updated at"),
    "occurred_at": ("发生时间", "date", "time"),
    "amount": ("金额", "amount"),
    "amount_currency": ("币种", "金额币种", "货币", "currency"),
    "external_refs": ("外部编号", "external ids", "external references"),
}

# Aliases specific to one record kind; they win over the generic ones.
BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "customer": {
        "name": (
            "客户名称",
            "名称",
            "公司名称",
            "企业名称",
            "company",
            "company name",
            "account name",
        ),
        "legal_name": ("法定名称", "工商注册名称", "legal name"),
        "credit_code": (
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "credit code",
            "uscc",
            "unified social credit code",
        ),
        "industry": ("行业", "所属行业", "industry"),
        "region": ("地区", "区域", "省份", "region"),
        "employees": ("员工人数", "员工数", "人数", "headcount", "employees"),
        "annual_revenue": ("年营业额", "年收入", "营业收入", "annual revenue", "revenue"),
        "annual_revenue_currency": ("年营业额币种", "年收入币种", "revenue currency"),
        "tier": ("客户等级", "等级", "客户分级", "分级", "tier", "level"),
        "tags": ("标签", "tags", "labels"),
        "status": ("客户状态",),
        "merged_into": ("合并至", "合并到", "merged into"),
        "reviewed_at": ("复核时间", "审核时间", "reviewed at"),
    },
    "contact": {
        "name": ("联系人", "姓名", "联系人姓名", "contact", "contact name", "name"),
        "title": ("职务", "职位", "title", "job title", "position"),
        "decision_maker": ("关键决策人", "决策人", "decision maker"),
        "wechat": ("微信", "微信号", "wechat", "weixin"),
        "preferred_channel": ("沟通偏好", "偏好渠道", "preferred channel"),
        "birthday": ("生日", "出生日期", "birthday", "date of birth"),
    },
    "user": {
        "name": ("姓名", "用户名", "name", "user name"),
        "role": ("角色", "role"),
        "manager_id": ("上级", "直属上级", "manager"),
        "active": ("在职", "启用", "是否有效", "active"),
    },
    "transaction": {
        "occurred_at": ("交易时间", "下单时间", "订单日期", "order date", "occurred at"),
        "amount": ("订单金额", "交易金额"),
        "gross_profit": ("毛利", "毛利润", "gross profit"),
        "gross_profit_currency": ("毛利币种", "gross profit currency"),
        "kind": ("交易类型", "类型", "type", "kind"),
    },
    "receivable": {
        "amount": ("应收金额",),
        "issued_on": ("开票日期", "开具日期", "issued on", "issue date"),
        "due_on": ("到期日", "到期日期", "应收日期", "due on", "due date"),
        "paid_on": ("回款日期", "付款日期", "paid on", "paid date"),
        "paid_amount": ("已回款金额", "回款金额", "paid amount"),
        "paid_amount_currency": ("回款币种", "paid amount currency"),
    },
    "credit_profile": {
        "credit_limit": ("信用额度", "授信额度", "credit limit"),
        "credit_limit_currency": ("额度币种", "credit limit currency"),
        "payment_terms_days": ("账期", "账期天数", "付款期限", "payment terms"),
        "rating": ("信用等级", "评级", "rating"),
    },
    "interaction": {
        "channel": ("沟通渠道", "渠道", "方式", "channel"),
        "occurred_at": ("沟通时间", "拜访时间"),
        "contact_ids": ("参与联系人", "联系人", "contacts"),
        "summary": ("摘要", "纪要", "summary"),
        "needs": ("客户需求", "需求", "needs"),
        "issues": ("问题", "issues"),
        "next_step": ("下一步", "下一步计划", "next step"),
        "next_step_due": ("下一步期限", "下一步截止", "next step due"),
        "report": ("拜访反馈报告", "反馈报告", "report"),
    },
    "complaint": {
        "received_at": ("投诉时间", "接收时间", "received at"),
        "subject": ("投诉主题", "主题", "subject"),
        "severity": ("严重程度", "严重级别", "severity"),
        "status": ("处理状态",),
        "category": ("投诉类别", "类别", "category"),
        "department": ("责任部门", "部门", "department"),
        "assignee_id": ("处理人", "负责人", "assignee"),
        "deadline_at": ("截止时间", "处理期限", "deadline"),
        "root_cause": ("根本原因", "原因", "root cause"),
        "resolution": ("解决方案", "处理结果", "resolution"),
        "closed_at": ("关闭时间", "结案时间", "closed at"),
        "satisfaction": ("满意度", "satisfaction"),
    },
    "survey_response": {
        "survey_id": ("问卷编号", "调查编号", "survey", "survey id"),
        "answered_at": ("答卷时间", "回答时间", "answered at"),
        "nps": ("净推荐值", "NPS"),
        "csat": ("满意度评分", "CSAT"),
        "answers": ("答案", "回答", "answers"),
        "comment": ("评论", "备注", "comment", "comments"),
    },
}

_DROP = str.maketrans("", "", " \t_-.")


def normalise(label: str) -> str:
    """The comparable form of a label (see the module docstring)."""
    return unicodedata.normalize("NFKC", label).casefold().translate(_DROP)


def aliases(kind: str, column: str) -> tuple[str, ...]:
    """Every alias of ``column`` in ``kind``, kind-specific first."""
    return BY_KIND.get(kind, {}).get(column, ()) + GENERIC.get(column, ())


def preferred_label(kind: str, column: str, labels: Mapping[str, str] | None = None) -> str:
    """The label to show for ``column``: a registered label, else the first alias, else the
    column name itself."""
    if labels and column in labels:
        return labels[column]
    found = aliases(kind, column)
    return found[0] if found else column


def header_lookup(
    kind: str, columns: Iterable[str], labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Normalised label → column for one record kind.

    Column names always match themselves; then labels registered with the record type, then
    the kind's aliases, then the generic ones, each level unable to override the one before.
    Two columns claiming one label at the same level is a mistake in the table and raises
    ``ValueError``.
    """
    cols = list(columns)
    levels: list[dict[str, tuple[str, ...]]] = [
        {c: (c,) for c in cols},
        {c: (text,) for c, text in (labels or {}).items() if c in cols},
        {c: found for c, found in BY_KIND.get(kind, {}).items() if c in cols},
        {c: found for c, found in GENERIC.items() if c in cols},
    ]
    lookup: dict[str, str] = {}
    for level in levels:
        claimed: dict[str, str] = {}
        for column, texts in level.items():
            for text in texts:
                key = normalise(text)
                if key in lookup:
                    continue
                if claimed.get(key, column) != column:
                    raise ValueError(
                        f"label {text!r} names both {claimed[key]!r} and {column!r} in {kind!r}"
                    )
                claimed[key] = column
        lookup.update(claimed)
    return lookup
