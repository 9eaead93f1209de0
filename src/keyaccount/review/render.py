"""``render_review``: the review as text tables a sales director can read (中文 or English)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from keyaccount.credit import RESPONSE_LABELS
from keyaccount.kpi import KPI_CATALOGUE, Scorecard
from keyaccount.lifecycle import STAGE_LABELS, Stage
from keyaccount.money import Money
from keyaccount.review.labels import check_lang, label
from keyaccount.review.result import ReviewResult
from keyaccount.review.table import format_table
from keyaccount.value import LAYER_LABELS_ZH, LAYER_STRATEGY, LAYER_STRATEGY_ZH, PyramidLayer

DASH = "—"
KPI_COLUMNS = (
    "retention_rate",
    "churn_rate",
    "revenue_growth",
    "collection_timeliness",
    "csat",
    "nps",
)


def split_label(text: str, lang: str) -> str:
    """Pick one language from the project's bilingual labels (Chinese words first, then the
    English): ``"忠诚 loyal"``, ``"NPS 贬损者 detractor"``, ``"关怀计划 (care plan ...)"``."""
    words = text.split(" ")
    last_zh = max((i for i, w in enumerate(words) if not w.isascii()), default=-1)
    if last_zh < 0 or last_zh == len(words) - 1:
        return text
    if lang == "zh":
        return " ".join(words[: last_zh + 1])
    english = " ".join(words[last_zh + 1 :])
    if english.startswith("(") and english.endswith(")"):
        english = english[1:-1]
    return english


def stage_text(stage: str | None, lang: str) -> str:
    if stage is None:
        return DASH
    try:
        return split_label(STAGE_LABELS[Stage(stage)], lang)
    except ValueError:
        return stage


def money(m: Money | Decimal | None) -> str:
    if m is None:
        return DASH
    amount = m.amount if isinstance(m, Money) else m
    return f"{amount:,.0f}"


def pct(x: float | None) -> str:
    if x is None:
        return DASH
    if x == float("inf"):
        return "∞"
    return f"{x:.1%}"


def kpi_text(code: str, value: float | None) -> str:
    if value is None:
        return DASH
    unit = KPI_CATALOGUE[code].unit
    if unit == "%":
        return pct(value)
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _heading(key: str, lang: str, extra: str = "") -> str:
    title = label(key, lang)
    return f"\n== {title}{(' · ' + extra) if extra else ''}"


def _limited(
    rows: Sequence[Sequence[str]], limit: int, lang: str
) -> tuple[list[Sequence[str]], str]:
    shown = list(rows[:limit])
    rest = len(rows) - len(shown)
    return shown, (label("more", lang).format(n=rest) if rest > 0 else "")


def render_review(
    result: ReviewResult, lang: str = "zh", *, top: int = 10, max_rows: int = 15
) -> str:
    """The whole review as text. ``top`` accounts are listed; longer lists stop after
    ``max_rows`` with a count of the rest (the JSON/CSV outputs carry everything)."""
    check_lang(lang)
    names: dict[str, str] = {a.customer_id: a.name for a in result.accounts}
    out: list[str] = []
    add = out.append
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731

    add(f"{L('title')}")
    add(
        f"{L('as_of')}: {result.as_of:%Y-%m-%d %H:%M} UTC · {L('currency')}: {result.currency} · "
        f"{L('customers')}: {result.customer_count:,} · {L('period')}: {result.period.label}"
    )
    if result.dry_run:
        add(L("dry_run"))
    elif result.events:
        add(f"{L('events')}: " + ", ".join(f"{k} {v}" for k, v in sorted(result.events.items())))
    for note in result.notes:
        add(f"{L('notes')}: {note}")

    _top_accounts(result, top, lang, add)
    _tiers(result, names, max_rows, lang, add)
    _lifecycle(result, max_rows, lang, add)
    _value(result, names, lang, add)
    _credit(result, names, max_rows, lang, add)
    _kpis(result, lang, add)
    return "\n".join(out) + "\n"


def _top_accounts(result: ReviewResult, top: int, lang: str, add: Callable[[str], None]) -> None:
    accounts = result.accounts
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731
    add(_heading("top_accounts", lang, L("window").format(n=result.value.facts.window_days)))
    if not accounts:
        add(L("none"))
        return
    rows = [
        (
            str(i),
            a.name,
            result.manager_name(a.owner_id) or DASH,
            a.tier or DASH,
            money(a.revenue),
            pct(a.revenue_share),
            money(a.gross_profit),
            _layer(a.pyramid_layer, lang),
            stage_text(a.stage, lang),
            f"{a.health:.0f}" if a.health is not None else DASH,
            money(a.outstanding),
            money(a.overdue),
            label(a.worst_alert.value, lang) if a.worst_alert is not None else DASH,
        )
        for i, a in enumerate(accounts[:top], 1)
    ]
    heads = [
        L(k)
        for k in (
            "rank",
            "customer",
            "owner",
            "tier",
            "revenue",
            "share",
            "gross_profit",
            "layer",
            "stage",
            "health",
            "outstanding",
            "overdue",
            "alert",
        )
    ]
    add(format_table(heads, rows, right=(0, 4, 5, 6, 9, 10, 11)))


def _layer(layer: str | None, lang: str) -> str:
    if layer is None:
        return DASH
    return LAYER_LABELS_ZH[PyramidLayer(layer)] if lang == "zh" else layer


def _tiers(
    result: ReviewResult,
    names: dict[str, str],
    max_rows: int,
    lang: str,
    add: Callable[[str], None],
) -> None:
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731
    section = result.tiering
    add(_heading("tiers", lang, f"{section.tier_set.name} · {section.rule}"))
    total = sum(section.counts.values())
    rows = [
        (
            _tier_name(section.tier_set.display_name(code), code, lang),
            f"{n:,}",
            pct(n / total if total else None),
        )
        for code, n in section.counts.items()
    ]
    add(format_table([L("tier"), L("customers"), L("share")], rows, right=(1, 2)))
    add(_heading("tier_changes", lang))
    moves = [c for c in section.changes if c.direction != "new"]
    first = len(section.changes) - len(moves)
    if first:
        add(f"{L('new')}: {first:,}")
    if not moves:
        if not first:
            add(L("none"))
        return
    change_rows = [
        (c.name, c.previous or DASH, c.tier, L(c.direction), f"{c.score:.1f}", c.reason)
        for c in moves
    ]
    shown, more = _limited(change_rows, max_rows, lang)
    add(
        format_table(
            [L(k) for k in ("customer", "from", "to", "direction", "score", "reason")],
            shown,
            right=(4,),
            max_width=60,
        )
    )
    if more:
        add(more)


def _tier_name(display: str, code: str, lang: str) -> str:
    if lang == "zh":
        return split_label(display, "zh")
    english = split_label(display, "en")
    return code if english == display else f"{code} ({english})"


def _lifecycle(result: ReviewResult, max_rows: int, lang: str, add: Callable[[str], None]) -> None:
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731
    section = result.lifecycle
    add(_heading("lifecycle", lang))
    total = sum(section.stage_counts.values())
    add(
        format_table(
            [L("stage"), L("customers"), L("share")],
            [
                (stage_text(s, lang), f"{n:,}", pct(n / total if total else None))
                for s, n in section.stage_counts.items()
            ],
            right=(1, 2),
        )
    )
    add(_heading("stage_changes", lang))
    if section.changes:
        rows = [
            (c.name, stage_text(c.previous, lang), stage_text(c.stage, lang), c.reason)
            for c in section.changes
        ]
        shown, more = _limited(rows, max_rows, lang)
        add(format_table([L(k) for k in ("customer", "from", "to", "reason")], shown, max_width=60))
        if more:
            add(more)
    else:
        add(L("none"))
    add(_heading("churn", lang))
    if not section.warnings:
        add(L("none"))
        return
    warn_rows = [
        (
            w.name,
            result.manager_name(w.owner_id) or DASH,
            w.tier or DASH,
            f"{w.health:.0f}",
            "; ".join(split_label(x, lang) for x in w.signals),
            split_label(w.action, lang),
        )
        for w in section.warnings
    ]
    shown, more = _limited(warn_rows, max_rows, lang)
    add(
        format_table(
            [L(k) for k in ("customer", "owner", "tier", "health", "signals", "action")],
            shown,
            right=(3,),
            max_width=70,
        )
    )
    if more:
        add(more)


def _value(
    result: ReviewResult, names: dict[str, str], lang: str, add: Callable[[str], None]
) -> None:
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731
    value = result.value
    add(_heading("pyramid", lang))
    rows = [
        (
            _layer(s.layer.value, lang),
            f"{s.customers:,}",
            money(s.gross_profit),
            LAYER_STRATEGY_ZH[s.layer] if lang == "zh" else LAYER_STRATEGY[s.layer],
        )
        for s in value.pyramid.layers
    ]
    add(
        format_table(
            [L("layer"), L("customers"), L("gross_profit"), L("strategy")],
            rows,
            right=(1, 2),
            max_width=80,
        )
    )
    conc = value.concentration
    add(
        _heading(
            "concentration", lang, f"{L('revenue')} {money(conc.total_revenue)} {conc.currency}"
        )
    )
    add(
        format_table(
            [L("top_n"), L("revenue"), L("share")],
            [(f"{t.n}", money(t.revenue), pct(t.share)) for t in conc.top],
            right=(0, 1, 2),
        )
    )
    add(f"{L('hhi')}: {conc.hhi:.4f}")
    life = value.lifetime
    add(_heading("clv", lang, f"{L('method')}: {life.method.value} · {life.reason}"))
    best = heapq.nsmallest(5, life.predictions, key=lambda p: (-p.clv_amount, p.customer_id))
    if best:
        add(
            format_table(
                [L("customer"), L("clv_value"), L("p_alive")],
                [
                    (names.get(p.customer_id, p.customer_id), money(p.clv), pct(p.p_alive))
                    for p in best
                ],
                right=(1, 2),
            )
        )
    else:
        add(L("none"))


def _credit(
    result: ReviewResult,
    names: dict[str, str],
    max_rows: int,
    lang: str,
    add: Callable[[str], None],
) -> None:
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731
    credit = result.credit
    add(_heading("credit", lang))
    total = credit.ageing.total.amount
    rows = [
        (
            L("current") if line.bucket.label == "current" else line.bucket.label,
            f"{line.count:,}",
            money(line.amount),
            pct(float(line.amount.amount / total) if total > 0 else None),
        )
        for line in credit.ageing.lines
    ]
    rows.append(
        (
            L("outstanding"),
            str(sum(line.count for line in credit.ageing.lines)),
            money(credit.ageing.total),
            pct(1.0 if total > 0 else None),
        )
    )
    add(format_table([L("bucket"), L("count"), L("amount"), L("share")], rows, right=(1, 2, 3)))
    dso_value = credit.dso.value
    t = credit.timeliness
    add(f"{L('dso')}: {dso_value:.1f}" if dso_value is not None else f"{L('dso')}: {DASH}")
    add(
        f"{L('timeliness')}: {pct(t.by_amount)} ({L('by_amount')}), "
        f"{pct(t.by_count)} ({L('by_count')}; {t.on_time_count}/{t.due_count})"
    )
    add(_heading("risk", lang))
    if not credit.alerts:
        add(L("none"))
        return
    rows2 = [
        (
            names.get(a.customer_id, a.customer_id),
            label(a.severity.value, lang),
            RESPONSE_LABELS[a.response][0 if lang == "zh" else 1],
            a.message,
        )
        for a in credit.alerts
    ]
    shown, more = _limited(rows2, max_rows, lang)
    add(
        format_table(
            [L("customer"), L("severity"), L("response"), L("detail")], shown, max_width=70
        )
    )
    if more:
        add(more)


def _kpi_name(code: str, lang: str) -> str:
    d = KPI_CATALOGUE[code]
    return d.zh if lang == "zh" else d.en


def _kpis(result: ReviewResult, lang: str, add: Callable[[str], None]) -> None:
    L: Callable[[str], str] = lambda key: label(key, lang)  # noqa: E731
    kpis = result.kpis
    add(_heading("kpis", lang, kpis.period.label))
    p = kpis.portfolio
    rows = [
        (
            _kpi_name(code, lang),
            kpi_text(code, v.value),
            f"{_num(v.numerator)} / {_num(v.denominator)}",
        )
        for code, v in p.values.items()
    ]
    add(format_table([L("kpi"), L("value"), "n / d"], rows, right=(1, 2)))
    for key, cards in (
        ("kpi_by_manager", kpis.by_manager),
        ("kpi_by_team", kpis.by_team),
        ("kpi_by_tier", kpis.by_tier),
    ):
        add(_heading(key, lang))
        names = result.managers if key == "kpi_by_manager" else {}
        add(_kpi_table(cards, lang, names))


def _kpi_table(cards: Sequence[Scorecard], lang: str, names: Mapping[str, str]) -> str:
    if not cards:
        return label("none", lang)
    heads = [
        label("group", lang),
        label("customers", lang),
        *(_kpi_name(c, lang) for c in KPI_COLUMNS),
    ]
    rows = [
        (
            names.get(s.key, s.key),
            f"{s.facts.customers:,}",
            *(kpi_text(c, s.value(c)) for c in KPI_COLUMNS),
        )
        for s in cards
    ]
    return format_table(heads, rows, right=tuple(range(1, len(heads))))


def _num(x: float) -> str:
    d = Decimal(str(x))
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"
