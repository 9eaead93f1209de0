"""Display labels of the review in Chinese (zh) and English (en)."""

from __future__ import annotations

from collections.abc import Mapping

from keyaccount.errors import ValidationError

LANGS = ("zh", "en")

_LABELS: Mapping[str, tuple[str, str]] = {
    "title": ("大客户组合评审", "Key-account portfolio review"),
    "as_of": ("评审时间", "As of"),
    "currency": ("币种", "Currency"),
    "customers": ("客户数", "Customers"),
    "period": ("考核期", "KPI period"),
    "events": ("已发送事件", "Events sent"),
    "dry_run": ("试运行：未写入数据，未发送事件", "Dry run: nothing written, no events sent"),
    "notes": ("说明", "Notes"),
    "none": ("无", "none"),
    # sections
    "top_accounts": ("重点客户", "Top accounts"),
    "tiers": ("客户分级", "Tier distribution"),
    "tier_changes": ("分级变动", "Tier changes"),
    "lifecycle": ("生命周期阶段", "Lifecycle stages"),
    "stage_changes": ("阶段变动", "Stage changes"),
    "churn": ("流失预警", "Churn warnings"),
    "pyramid": ("客户金字塔", "Customer pyramid"),
    "concentration": ("收入集中度", "Revenue concentration"),
    "clv": ("生命周期价值预测", "Predicted lifetime value"),
    "credit": ("应收账款账龄", "Receivables ageing"),
    "risk": ("信用风险预警", "Credit risk alerts"),
    "kpis": ("绩效考核", "KPIs"),
    "kpi_by_manager": ("按客户经理", "By account manager"),
    "kpi_by_team": ("按团队", "By team"),
    "kpi_by_tier": ("按级别", "By tier"),
    # columns
    "rank": ("排名", "#"),
    "customer": ("客户", "Customer"),
    "owner": ("客户经理", "Manager"),
    "team": ("团队", "Team"),
    "tier": ("级别", "Tier"),
    "score": ("评分", "Score"),
    "stage": ("阶段", "Stage"),
    "health": ("健康度", "Health"),
    "revenue": ("收入", "Revenue"),
    "gross_profit": ("毛利", "Gross profit"),
    "share": ("占比", "Share"),
    "layer": ("层级", "Layer"),
    "outstanding": ("未收款", "Outstanding"),
    "overdue": ("逾期", "Overdue"),
    "days_overdue": ("最长逾期天数", "Max days late"),
    "alert": ("预警", "Alert"),
    "count": ("数量", "Count"),
    "from": ("原", "From"),
    "to": ("新", "To"),
    "direction": ("方向", "Move"),
    "reason": ("原因", "Reason"),
    "signals": ("信号", "Signals"),
    "action": ("建议行动", "Recommended action"),
    "strategy": ("策略", "Strategy"),
    "top_n": ("前N名", "Top N"),
    "hhi": ("赫芬达尔指数", "HHI"),
    "method": ("方法", "Method"),
    "clv_value": ("预测价值", "CLV"),
    "p_alive": ("存活概率", "P(alive)"),
    "bucket": ("账龄", "Age"),
    "amount": ("金额", "Amount"),
    "value": ("数值", "Value"),
    "kpi": ("指标", "KPI"),
    "window": ("收入与毛利为近 {n} 天", "revenue and profit over the last {n} days"),
    "severity": ("严重度", "Severity"),
    "response": ("建议措施", "Response"),
    "detail": ("详情", "Detail"),
    "dso": ("应收账款周转天数 DSO", "DSO (days)"),
    "timeliness": ("收款及时率", "Collection timeliness"),
    "by_count": ("按笔数", "by count"),
    "by_amount": ("按金额", "by amount"),
    "group": ("分组", "Group"),
    "up": ("升级", "up"),
    "down": ("降级", "down"),
    "new": ("首次定级", "first"),
    "low": ("低", "low"),
    "medium": ("中", "medium"),
    "high": ("高", "high"),
    "critical": ("严重", "critical"),
    "current": ("未到期", "current"),
    "more": ("另有 {n} 条", "{n} more"),
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValidationError("lang", lang, "must be 'zh' or 'en'")
    return lang


def label(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def has_label(key: str) -> bool:
    return key in _LABELS
