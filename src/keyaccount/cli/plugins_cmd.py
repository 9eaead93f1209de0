"""``keyaccount plugins``: what is loaded, from where, and what each plugin registers."""

from __future__ import annotations

import argparse
import json
from typing import Any

import attrs

from keyaccount.host import get_host


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "plugins", help="list plugins and what they register"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    infos = get_host().plugins()
    if args.json:
        print(json.dumps([attrs.asdict(i) for i in infos], ensure_ascii=False, indent=2))
        return 0
    width = max((len(info.name) for info in infos), default=0)
    for info in infos:
        print(f"{info.name:<{width}}  {info.status:<7}  {info.source}")
        for item in info.registers:
            print(f"    {item}")
        if info.error:
            print(f"    error: {info.error}")
    return 0
