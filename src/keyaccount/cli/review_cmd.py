"""``keyaccount review``: run the portfolio review over the store and print it as tables."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from keyaccount.clock import Clock, FixedClock, SystemClock
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.host import get_host
from keyaccount.review import ReviewConfig, render_review, run_review, write_csv, write_json
from keyaccount.tiering import READY_MADE


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "review",
        help="portfolio review: tiers, churn warnings, value, credit risk and KPIs (组合评审)",
        description="Review the whole customer book. By default tier and lifecycle history "
        "is stored and domain events are sent to plugins; --dry-run only reports.",
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="label language")
    p.add_argument("--currency", default="CNY", help="reporting currency (default CNY)")
    p.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="CUR=RATE",
        help="exchange rate into the reporting currency, e.g. USD=7.10 (repeatable)",
    )
    p.add_argument("--as-of", metavar="ISO", help="review as of this UTC time (default: now)")
    p.add_argument(
        "--tier-set", choices=sorted(READY_MADE), default="abc", help="tier names to use"
    )
    p.add_argument("--top", type=int, default=10, help="how many top accounts to list")
    p.add_argument("--rows", type=int, default=15, help="longest list to print per table")
    p.add_argument("--json", metavar="PATH", help="also write the review as JSON")
    p.add_argument("--csv", metavar="DIR", help="also write one CSV per table into DIR")
    p.add_argument("--dry-run", action="store_true", help="write no history and send no events")
    p.add_argument("--quiet", action="store_true", help="do not print the tables")
    p.set_defaults(handler=run)


def parse_rates(currency: str, pairs: list[str]) -> ExchangeRates:
    rates: dict[str, str] = {}
    for pair in pairs:
        cur, sep, rate = pair.partition("=")
        if not sep or not cur.strip() or not rate.strip():
            raise ValidationError("--rate", pair, "must look like USD=7.10")
        rates[cur.strip().upper()] = rate.strip()
    return ExchangeRates(currency, rates)


def parse_clock(as_of: str | None) -> Clock:
    if as_of is None:
        return SystemClock()
    try:
        when = datetime.fromisoformat(as_of)
    except ValueError:
        raise ValidationError("--as-of", as_of, "is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        raise ValidationError("--as-of", as_of, "needs a time zone, e.g. 2026-06-30T09:00Z")
    return FixedClock(when)


def run(args: argparse.Namespace) -> int:
    rates = parse_rates(args.currency, args.rate)
    clock = parse_clock(args.as_of)
    host = get_host()
    store = host.open_store(args.store)
    try:
        result = run_review(
            store,
            clock=clock,
            rates=rates,
            events=host,
            config=ReviewConfig(tier_set=READY_MADE[args.tier_set], dry_run=args.dry_run),
        )
    finally:
        store.close()
    if not args.quiet:
        sys.stdout.write(render_review(result, args.lang, top=args.top, max_rows=args.rows))
    if args.json:
        print(f"JSON: {write_json(result, args.json)}", file=sys.stderr)
    if args.csv:
        files = write_csv(result, args.csv)
        print(f"CSV: {len(files)} files in {args.csv}", file=sys.stderr)
    return 0
