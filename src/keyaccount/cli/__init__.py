"""The ``keyaccount`` command. Each sub-command lives in its own module under ``cli/`` and
exposes ``add_parser(subparsers)``; this module only wires them together."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from keyaccount import __version__
from keyaccount.errors import KeyaccountError

COMMAND_MODULES: tuple[str, ...] = (
    "keyaccount.cli.plugins_cmd",
    "keyaccount.cli.demo_cmd",
    "keyaccount.cli.ops_cmd",
    "keyaccount.cli.governance_cmd",
    "keyaccount.cli.review_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keyaccount", description="Key-account (大客户) relationship management."
    )
    parser.add_argument("--version", action="version", version=f"keyaccount {__version__}")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="store URL (memory://, csv:///dir, sqlite:///file.db); default $KEYACCOUNT_STORE "
        "or sqlite:///keyaccount.db",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except KeyaccountError as err:
        print(f"keyaccount: error: {err}", file=sys.stderr)
        return 1
    return code
