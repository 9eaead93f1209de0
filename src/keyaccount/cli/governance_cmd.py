"""``keyaccount handover | duplicates | merge | merge-undo | points``: the governance actions.

Each command previews before it changes anything where the change is large (``--preview``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import attrs

from keyaccount.access import SecuredStore, StoreAuditLog, default_access_policy
from keyaccount.clock import SystemClock
from keyaccount.dedupe import MergeService, Survivorship, duplicate_groups, find_duplicates
from keyaccount.errors import ValidationError
from keyaccount.handover import HandoverService
from keyaccount.host import get_host
from keyaccount.loyalty import LoyaltyService
from keyaccount.models import User
from keyaccount.storage import Store


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValidationError(option, item, "must be KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _store(args: argparse.Namespace) -> Store:
    return get_host().open_store(args.store)


def _as(args: argparse.Namespace, store: Store) -> Store:
    """The store seen by ``--as USER`` under the default policy, audited; else as it is."""
    if not getattr(args, "as_user", None):
        return store
    actor = store.get(User, args.as_user)
    return SecuredStore(store, actor, default_access_policy(), StoreAuditLog(store), SystemClock())


def _add_as(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="act as this user: their role's scopes and masks apply and the access is audited",
    )


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "handover", help="move a departing manager's accounts and open work (客户交接)"
    )
    p.add_argument("departing", help="user id of the departing manager")
    p.add_argument("--to", dest="successor", help="successor for everything not mapped")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="CUSTOMER=USER",
        help="successor for one customer (repeatable)",
    )
    p.add_argument("--preview", action="store_true", help="show what would move; change nothing")
    p.add_argument("--keep-active", action="store_true", help="do not deactivate the user")
    p.add_argument("--by", help="user id recorded as doing the handover")
    p.add_argument("--note", help="note kept on the handover record")
    _add_as(p)
    p.set_defaults(handler=run_handover)

    p = sub.add_parser("duplicates", help="list likely duplicate customers (查重)")
    p.add_argument("--threshold", type=float, default=0.6, help="minimum score (default 0.6)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--groups", action="store_true", help="list groups joined by chains of pairs instead"
    )
    _add_as(p)
    p.set_defaults(handler=run_duplicates)

    p = sub.add_parser("merge", help="merge duplicate customers into one (客户合并)")
    p.add_argument("survivor", help="customer id that stays")
    p.add_argument("losers", nargs="+", help="customer ids merged into the survivor")
    p.add_argument("--preview", action="store_true", help="show the result; change nothing")
    p.add_argument(
        "--prefer-source",
        default="",
        metavar="A,B",
        help="source ranking for source_priority fields, e.g. zoho,fxiaoke,local",
    )
    p.add_argument(
        "--rule", action="append", default=[], metavar="FIELD=RULE", help="survivorship rule"
    )
    p.add_argument(
        "--pick", action="append", default=[], metavar="FIELD=CUSTOMER", help="manual pick"
    )
    p.add_argument("--by", help="user id recorded as doing the merge")
    _add_as(p)
    p.set_defaults(handler=run_merge)

    p = sub.add_parser("merge-undo", help="undo a merge exactly")
    p.add_argument("merge_id")
    p.add_argument("--force", action="store_true", help="undo even if merged records changed since")
    _add_as(p)
    p.set_defaults(handler=run_merge_undo)

    p = sub.add_parser("points", help="a customer's points balance and lots (积分)")
    p.add_argument("customer")
    p.add_argument("--ledger", action="store_true", help="list every ledger entry too")
    _add_as(p)
    p.set_defaults(handler=run_points)

    p = sub.add_parser(
        "points-award", help="earn points for new orders and on-time payments, expire due lots"
    )
    p.set_defaults(handler=run_points_award)


def run_handover(args: argparse.Namespace) -> int:
    host = get_host()
    store = _store(args)
    try:
        svc = HandoverService(_as(args, store), SystemClock(), host)
        plan = svc.preview(
            args.departing,
            successor_id=args.successor,
            by_customer=_pairs(args.map, "--map"),
        )
        for line in plan.lines():
            print(line)
        for who, counts in plan.counts().items():
            print(f"{who}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        if args.preview:
            print(f"preview only: {len(plan.moves)} records would move")
            return 0
        done = svc.execute(plan, by_id=args.by, deactivate=not args.keep_active, note=args.note)
        print(f"handover {done.id}: {len(done.moves)} records moved")
        return 0
    finally:
        store.close()


def run_duplicates(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        pairs = find_duplicates(_as(args, store), threshold=args.threshold)
        if args.groups:
            for group in duplicate_groups(pairs):
                print(" ".join(group))
            return 0
        if args.json:
            print(json.dumps([attrs.asdict(p) for p in pairs], ensure_ascii=False, indent=2))
            return 0
        for p in pairs:
            print(f"{p.score:.2f}  {p.left_id}  {p.right_id}  {p.explain()}")
        if not pairs:
            print("no likely duplicates")
        return 0
    finally:
        store.close()


def run_merge(args: argparse.Namespace) -> int:
    host = get_host()
    store = _store(args)
    try:
        rules = Survivorship(
            rules=_pairs(args.rule, "--rule"),
            source_priority=tuple(s for s in args.prefer_source.split(",") if s),
            manual=_pairs(args.pick, "--pick"),
        )
        svc = MergeService(_as(args, store), SystemClock(), host)
        plan = svc.preview(args.survivor, args.losers, rules)
        for line in plan.lines():
            print(line)
        if args.preview:
            print("preview only: nothing changed")
            return 0
        merge = svc.merge(args.survivor, args.losers, rules, by_id=args.by)
        print(f"merge {merge.id} done; undo with: keyaccount merge-undo {merge.id}")
        return 0
    finally:
        store.close()


def run_merge_undo(args: argparse.Namespace) -> int:
    host = get_host()
    store = _store(args)
    try:
        undone = MergeService(_as(args, store), SystemClock(), host).undo(
            args.merge_id, force=args.force
        )
        print(f"merge {undone.id} undone: {len(undone.prior)} records restored")
        return 0
    finally:
        store.close()


def run_points(args: argparse.Namespace) -> int:
    host = get_host()
    store = _store(args)
    try:
        svc = LoyaltyService(_as(args, store), SystemClock(), host)
        if args.ledger:
            for e in svc.ledger(args.customer):
                print(f"{e.at:%Y-%m-%d %H:%M}  {e.kind.value:<7} {e.points:>8}  {e.reason}")
        for lot in svc.lots(args.customer):
            if lot.remaining:
                until = lot.expires_on.isoformat() if lot.expires_on else "never"
                print(f"lot {lot.lot_id}: {lot.remaining} of {lot.points} (expires {until})")
        print(f"balance {svc.balance(args.customer)}")
        return 0
    finally:
        store.close()


def run_points_award(args: argparse.Namespace) -> int:
    host = get_host()
    store = _store(args)
    try:
        svc = LoyaltyService(store, SystemClock(), host)
        earned = svc.award_pending()
        expired = svc.expire_due()
        print(
            f"earned {sum(e.points for e in earned)} points in {len(earned)} entries; "
            f"expired {-sum(e.points for e in expired)} points in {len(expired)} lots"
        )
        return 0
    finally:
        store.close()
