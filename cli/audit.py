"""``safer audit verify``: check the dashboard audit log's hash chain."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Subparsers
from safer.settings import load_settings


def _audit(args: argparse.Namespace) -> int:
    from dashboard.audit_chain import verify

    path: Path = args.path or load_settings().audit_path
    verdict = verify(path)
    if verdict.intact:
        print(f"{path}: {verdict.message}")
        return 0
    print(f"{path}: NOT intact: {verdict.message}")
    return 1


def register_audit(sub: Subparsers) -> None:
    p = sub.add_parser(
        "audit",
        help="check the dashboard audit log (tamper-evident hash chain)",
        description="verify: walk the audit log's hash chain and its head file; print the "
        "first altered, inserted, missing or reordered line. Exit 0 intact, 1 not intact, "
        "2 no log there.",
    )
    p.add_argument("action", choices=["verify"], help="check the chain")
    p.add_argument(
        "--path",
        type=Path,
        default=None,
        help="the log to check (default: SAFER_AUDIT_LOG, else <state_dir>/audit.jsonl)",
    )
    p.set_defaults(handler=_audit)
