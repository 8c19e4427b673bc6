"""Adapter throughput: rows per second turning a partner's export file into events.

For each file: (1) in-process, reading and adapting every row to a validated event and
encoding it (no broker); (2) the whole ``safer feed <source> FILE`` command against an
embedded Tansu broker — interpreter start, reading, the ledger, publishing and waiting for
the broker's acknowledgements — timed from launch to exit, on a fresh log (everything is
new), then again (nothing to publish). Target: a police month (~15,000 rows) in under 2 s.
Fire: LFB's incident-records sample and the 7,544 animal rescues (2009-2021). Stop and
search: every shared month; police API JSON: the packaged sample.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cli.stack import embedded
from feeds.adapters.registry import adapters
from feeds.adapters.rows import Adapter, Row
from safer.settings import Settings, child_env
from schemas.codec import encode_incident

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET_MONTH_S = 2.0
API_SAMPLE = (
    Path(__file__).resolve().parents[1] / "feeds" / "samples" / "2018-03-merseyside-street.json"
)
FIRE_FILES = ("lfb_incident_records_sample.csv", "lfb_animal_rescues_2009_2021.csv")
console = Console()


def adapt_only(adapter: Adapter, path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    now = datetime.now(UTC)
    rows = 0
    for row in adapter.read(path):
        rows += 1
        if isinstance(row, Row):
            encode_incident(adapter.to_event(row, 1, now, False))
    return rows, time.perf_counter() - start


def feed_command(settings: Settings, source: str, path: Path) -> tuple[float, float]:
    """(whole command, the import as the command reports it: after interpreter start)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "feed", source, str(path)],
        env=child_env(settings),
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    whole = time.perf_counter() - start
    reported = re.search(r"; ([0-9.]+) s$", done.stdout.strip())
    return whole, float(reported.group(1)) if reported else whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="police month files (default: every *-street.csv in ../shared/data)",
    )
    args = parser.parse_args(argv)
    work = [("police", p) for p in (args.files or sorted(DATA.glob("*-street.csv")))]
    if not args.files:
        work += [("police", API_SAMPLE)]
        work += [("stop-search", p) for p in sorted(DATA.glob("*-stop-and-search.csv"))]
        work += [("fire", DATA / name) for name in FIRE_FILES]
    table = Table(title="adapter throughput")
    columns = (
        "source",
        "file",
        "rows",
        "adapt rows/s",
        "command s",
        "import s",
        "rows/s",
        "again s",
        "< 2 s",
    )
    for column in columns:
        table.add_column(column, justify="right")
    with (
        tempfile.TemporaryDirectory(prefix="adapters-bench-") as tmp,
        embedded.local_infra(Path(tmp)) as local,
    ):
        for source, path in work:
            rows, adapt_s = adapt_only(adapters(b"bench")[source], path)
            run = uuid.uuid4().hex[:6]
            settings = Settings(
                kafka_bootstrap=local.bootstrap,
                redis_url=local.redis_url,
                topic_prefix=f"fb{run}.",
                state_dir=Path(tmp) / run,
                log_level="WARNING",
            )
            whole, first = feed_command(settings, source, path)
            _, again = feed_command(settings, source, path)
            table.add_row(
                source,
                path.name[:16],
                f"{rows:,}",
                f"{rows / adapt_s:,.0f}",
                f"{whole:.2f}",
                f"{first:.2f}",
                f"{rows / first:,.0f}",
                f"{again:.2f}",
                "pass" if first < TARGET_MONTH_S else "FAIL",
            )
    Console(width=max(console.width, 130)).print(table)
    console.print(
        "command: the whole `safer feed SOURCE FILE` (interpreter start and imports, ~0.65 s "
        "here, included); import: what the command reports (topics checked, file read, "
        "ledger, publish, broker acks) on a fresh log; again: the same file once more "
        "(nothing new to publish). Target: import < 2 s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
