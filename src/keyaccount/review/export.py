"""The review as JSON (one document) and CSV (one file per table), written atomically."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import attrs

from keyaccount.credit import RiskAlert
from keyaccount.kpi import Scorecard
from keyaccount.money import Money
from keyaccount.review.result import (
    AccountRow,
    ChurnWarningRow,
    ReviewResult,
    StageChange,
    TierChange,
)


def write_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``, so a
    reader never sees half a file and a failed write leaves the old one in place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def plain(value: Any) -> Any:
    """JSON-friendly form: Money and Decimal as exact strings, dates ISO, enums by value,
    non-finite floats as None, attrs records as dicts."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [plain(v) for v in value]
    raise TypeError(f"cannot export {type(value).__name__}")


def _scorecard(s: Scorecard) -> dict[str, Any]:
    return {
        "dimension": s.dimension.value,
        "key": s.key,
        "customers": s.facts.customers,
        "kpis": {
            code: {"value": plain(v.value), "numerator": v.numerator, "denominator": v.denominator}
            for code, v in s.values.items()
        },
    }


def review_document(result: ReviewResult) -> dict[str, Any]:
    """The review as one JSON-ready dict (sections, not internal objects)."""
    doc: dict[str, Any] = {
        "as_of": plain(result.as_of),
        "currency": result.currency,
        "period": {"start": plain(result.period.start), "end": plain(result.period.end)},
        "customers": result.customer_count,
        "dry_run": result.dry_run,
        "events": dict(result.events),
        "notes": list(result.notes),
        "accounts": [plain(a) for a in result.accounts],
    }
    t = result.tiering
    doc["tiering"] = {
        "tier_set": t.tier_set.name,
        "rule": t.rule,
        "counts": dict(t.counts),
        "changes": [plain(c) for c in t.changes],
        "applied": t.applied,
    }
    life = result.lifecycle
    doc["lifecycle"] = {
        "stage_counts": dict(life.stage_counts),
        "changes": [plain(c) for c in life.changes],
        "warnings": [plain(w) for w in life.warnings],
        "applied": life.applied,
    }
    v = result.value
    doc["value"] = {
        "window_days": v.facts.window_days,
        "pyramid": [
            {
                "layer": s.layer.value,
                "label_zh": s.label_zh,
                "customers": s.customers,
                "gross_profit": plain(s.gross_profit),
                "strategy": s.strategy,
                "strategy_zh": s.strategy_zh,
            }
            for s in v.pyramid.layers
        ],
        "concentration": {
            "total_revenue": plain(v.concentration.total_revenue),
            "hhi": plain(v.concentration.hhi),
            "top": [
                {"n": x.n, "revenue": plain(x.revenue), "share": plain(x.share)}
                for x in v.concentration.top
            ],
        },
        "lifetime": {
            "method": v.lifetime.method.value,
            "reason": v.lifetime.reason,
            "total_clv": plain(v.lifetime.total_clv),
        },
    }
    c = result.credit
    doc["credit"] = {
        "ageing": [
            {"bucket": line.bucket.label, "count": line.count, "amount": plain(line.amount)}
            for line in c.ageing.lines
        ],
        "outstanding": plain(c.outstanding),
        "overdue": plain(c.overdue),
        "dso": plain(c.dso.value),
        "timeliness": {
            "by_count": plain(c.timeliness.by_count),
            "by_amount": plain(c.timeliness.by_amount),
            "due_count": c.timeliness.due_count,
            "on_time_count": c.timeliness.on_time_count,
        },
        "alerts": [plain(a) for a in c.alerts],
    }
    k = result.kpis
    doc["kpis"] = {
        "period": {"start": plain(k.period.start), "end": plain(k.period.end)},
        "portfolio": _scorecard(k.portfolio),
        "by_manager": [_scorecard(s) for s in k.by_manager],
        "by_team": [_scorecard(s) for s in k.by_team],
        "by_tier": [_scorecard(s) for s in k.by_tier],
    }
    return doc


def write_json(result: ReviewResult, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    text = json.dumps(review_document(result), ensure_ascii=False, indent=2)
    write_atomic(target, text + "\n")
    return target


def _csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if x is None else plain(x) for x in row])
    return buf.getvalue()


def _records(items: Sequence[Any], cls: type[Any]) -> tuple[list[str], list[list[Any]]]:
    names = [f.name for f in attrs.fields(cls)]
    names = [n for n in names if n != "result"]
    return names, [[_cell(getattr(i, n)) for n in names] for i in items]


def _cell(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return "; ".join(str(plain(v)) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(plain(value), ensure_ascii=False)
    return value


def write_csv(result: ReviewResult, directory: str | os.PathLike[str]) -> list[Path]:
    """One CSV per table in ``directory`` (created if needed); UTF-8 with a byte-order mark
    so spreadsheet programs show Chinese names correctly. Returns the files written."""

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "accounts.csv": _records(result.accounts, AccountRow),
        "tier_changes.csv": _records(result.tiering.changes if result.tiering else (), TierChange),
        "stage_changes.csv": _records(
            result.lifecycle.changes if result.lifecycle else (), StageChange
        ),
        "churn_warnings.csv": _records(
            result.lifecycle.warnings if result.lifecycle else (), ChurnWarningRow
        ),
        "risk_alerts.csv": _records(result.credit.alerts, RiskAlert),
        "ageing.csv": (
            ["bucket", "count", "amount", "currency"],
            [
                [line.bucket.label, line.count, line.amount, result.currency]
                for line in result.credit.ageing.lines
            ],
        ),
    }
    kpi_rows: list[list[Any]] = []
    k = result.kpis
    for card in (k.portfolio, *k.by_manager, *k.by_team, *k.by_tier):
        for code, v in card.values.items():
            kpi_rows.append(
                [
                    k.period.start,
                    k.period.end,
                    card.dimension.value,
                    card.key,
                    code,
                    v.value,
                    v.numerator,
                    v.denominator,
                ]
            )
    tables["kpis.csv"] = (
        [
            "period_start",
            "period_end",
            "dimension",
            "group",
            "kpi",
            "value",
            "numerator",
            "denominator",
        ],
        kpi_rows,
    )
    written = []
    for name, (headers, rows) in tables.items():
        target = folder / name
        write_atomic(target, _csv_text(headers, rows), encoding="utf-8-sig")
        written.append(target)
    return written
