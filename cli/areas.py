"""``safer areas``: load a partnership and print (or write) what was derived."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli.common import Subparsers
from safer.errors import ConfigError
from safer.settings import load_settings


def _areas(args: argparse.Namespace) -> int:
    from geography.areas import DEFAULT_PARTNERSHIP
    from geography.comparison import COMPARISON_COLUMNS
    from geography.derivation import load
    from geography.partnership import LSOA21_COLUMNS, TABLE_COLUMNS, PartnershipConfig, write_csv

    path = args.partnership or load_settings().partnership or DEFAULT_PARTNERSHIP
    config = PartnershipConfig.load(path)
    if args.out_comparison and config.comparison is None:
        raise ConfigError(f"partnership file {path} has no [comparison] to write")
    found = load(config)
    if args.out:
        write_csv(args.out, TABLE_COLUMNS, [row.values() for row in found.rows])
    if args.out_2021:
        rows = [(new, old, how) for new, (old, how) in sorted(found.lsoa21.items())]
        write_csv(args.out_2021, LSOA21_COLUMNS, rows)
    if args.out_comparison:
        write_csv(args.out_comparison, COMPARISON_COLUMNS, [r.values() for r in found.comparison])
    print(json.dumps({"partnership": str(path), **found.summary()}, indent=2))
    return 0


def register_areas(sub: Subparsers) -> None:
    p = sub.add_parser(
        "areas",
        help="check a partnership's geography and write its areas table",
        description="Loads a partnership file (SAFER_PARTNERSHIP, default Wirral): derives "
        "each LSOA's ward (ONS best fit, else the ward containing its interior point), local "
        "authority and population, maps 2021 LSOA codes and reads (or derives) its comparison "
        "area; prints a summary. A problem "
        "(an LSOA with no ward or population, a ward of another authority) is an error.",
    )
    p.add_argument("--partnership", type=Path, help="partnership TOML file to load")
    p.add_argument("--out", type=Path, help="write the areas table (CSV) here")
    p.add_argument("--out-2021", type=Path, help="write the 2021 -> 2011 LSOA table (CSV) here")
    p.add_argument(
        "--out-comparison",
        type=Path,
        help="write the comparison area's table (CSV: each LSOA's authority and population, "
        "from the file's [comparison]) here",
    )
    p.set_defaults(handler=_areas)
