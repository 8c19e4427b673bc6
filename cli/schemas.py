"""``safer schemas``: export the JSON Schemas of the contract."""

from __future__ import annotations

import argparse
import sys

from cli.common import Subparsers
from safer.errors import ConfigError


def _schemas(args: argparse.Namespace) -> int:
    from schemas.compat import release, release_problems
    from schemas.export import export, stale

    if args.action == "export":
        for path in export():
            print(f"wrote {path}")
        return 0
    if args.action == "release":
        try:
            written = release()
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        for path in written:
            print(f"released {path}")
        if not written:
            print("every schema is released as it is")
        return 0
    out_of_date = stale()
    for name in out_of_date:
        print(f"stale: schemas/json/{name} (run `safer schemas export`)", file=sys.stderr)
    problems = release_problems()
    for problem in problems:
        print(f"incompatible: {problem}", file=sys.stderr)
    return 1 if out_of_date or problems else 0


def register_schemas(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schemas",
        help="export, check or release the JSON Schemas and the AsyncAPI document",
        description="The JSON Schema files and the AsyncAPI 3.0 document of the topics are "
        "generated from the pydantic models (export). check fails when they are stale or "
        "when a schema changed incompatibly with its released version "
        "(schemas/json/released: backward and forward, closed content models) without a new "
        "major version; release records the current ones as released.",
    )
    p.add_argument(
        "action",
        choices=["export", "check", "release"],
        help="write the files; fail if stale or incompatible; record the release",
    )
    p.set_defaults(handler=_schemas)
