"""Adapter throughput: rows per second turning a partner's full month file into events.

For each file: (1) in-process, reading and adapting every row to a validated event and
encoding it (no broker); (2) the whole ``safer feed <source> FILE`` command against an
embedded Tansu broker — interpreter start, reading, the ledger, publishing and waiting for
the broker's acknowledgements — timed from launch to exit, on a fresh log (everything is
new), then again (nothing to publish). Target: a police month (~15,000 rows) in under 2 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from feeds.police import PoliceRow, read_street_csv, to_event
from safer import embedded
from safer.settings import Settings, child_env
from schemas.codec import encode_incident

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET_MONTH_S = 2.0
console = Console()


def adapt_only(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    now = datetime.now(UTC)
    rows = 0
    for row in read_street_csv(path):
        rows += 1
        if isinstance(row, PoliceRow):
            encode_incident(to_event(row, 1, now))
    return rows, time.perf_counter() - start


def feed_command(settings: Settings, path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "safer.cli", "feed", "police", str(path)],
        env=child_env(settings),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="month files (default: every *-street.csv in ../shared/data)",
    )
    args = parser.parse_args(argv)
    files = args.files or sorted(DATA.glob("*-street.csv"))
    table = Table(title="police adapter throughput")
    for column in ("file", "rows", "adapt rows/s", "feed (new) s", "rows/s", "again s", "< 2 s"):
        table.add_column(column, justify="right")
    with (
        tempfile.TemporaryDirectory(prefix="adapters-bench-") as tmp,
        embedded.local_infra(Path(tmp)) as local,
    ):
        for path in files:
            rows, adapt_s = adapt_only(path)
            run = uuid.uuid4().hex[:6]
            settings = Settings(
                kafka_bootstrap=local.bootstrap,
                redis_url=local.redis_url,
                topic_prefix=f"fb{run}.",
                state_dir=Path(tmp) / run,
                log_level="WARNING",
            )
            first = feed_command(settings, path)
            again = feed_command(settings, path)
            table.add_row(
                path.name,
                f"{rows:,}",
                f"{rows / adapt_s:,.0f}",
                f"{first:.2f}",
                f"{rows / first:,.0f}",
                f"{again:.2f}",
                "pass" if first < TARGET_MONTH_S else "FAIL",
            )
    console.print(table)
    console.print(
        "feed times are the whole command (interpreter start, ledger, publish, broker acks) "
        "on a fresh log, then the same file again (nothing new to publish)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
