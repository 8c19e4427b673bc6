"""``safer schemas``: export the JSON Schemas of the contract."""

from __future__ import annotations

import argparse
import sys

from cli.common import Subparsers


def _schemas(args: argparse.Namespace) -> int:
    from schemas.export import export, stale

    if args.action == "export":
        for path in export():
            print(f"wrote {path}")
        return 0
    out_of_date = stale()
    for name in out_of_date:
        print(f"stale: schemas/json/{name} (run `safer schemas export`)", file=sys.stderr)
    return 1 if out_of_date else 0


def register_schemas(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schemas",
        help="export or check the JSON Schema files of the contract",
        description="JSON Schema files are generated from the pydantic models.",
    )
    p.add_argument("action", choices=["export", "check"], help="write the files, or fail if stale")
    p.set_defaults(handler=_schemas)
