"""How soon a spike alert reaches ``safer.alerts.v1`` after the incident that tips it: the
whole local stack (``safer up``, embedded broker, ``--history`` of simulated traffic, then
live traffic at ``--rate``), then surges: council youth ASB reports in one ward, published
one at a time every ``--every`` seconds (more than the alert job's 5 s, so each evaluation
sees at most one new report and the report that tips the count is the last one sent before
the alert was raised) until that ward's alert arrives on the topic. The delay is from that
report's publishing to the alert's arrival at a consumer of the topic. Target (issue 17):
median within 10 s.

    .venv/bin/python bench/alert_delay.py --surges 10
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from operation_lag import probe_event  # bench/, the script's own folder

from geography.areas import load_areas
from safer.settings import Settings, child_env
from schemas.alerts import AlertEvent
from schemas.categories import Source
from schemas.topics import Topics
from streams.alerts import AlertEngine

TARGET_S = 10.0


class Alerts(threading.Thread):
    """Every alert message on the topic, with the time it arrived here."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.seen: list[tuple[float, AlertEvent]] = []
        self.stop = threading.Event()
        self._consumer = KafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", group_id=None
        )

    def run(self) -> None:
        while not self.stop.is_set():
            for records in self._consumer.poll(timeout_ms=100).values():
                now = time.perf_counter()
                for record in records:
                    self.seen.append((now, AlertEvent.model_validate_json(record.value)))
        self._consumer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--surges", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.03, help="simulated events per second")
    parser.add_argument("--history", default="9w", help="simulated history first (9w)")
    parser.add_argument("--every", type=float, default=6.0, help="seconds between reports")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    console = Console()
    areas = load_areas()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        # no broker roll in the run: its clients stop (the probes' producer would too)
        settings = Settings(state_dir=Path(tmp) / "state", dashboard_port=0, broker_roll_mb=16_000)
        out = (Path(tmp) / "up.out").open("wb")
        argv = [sys.executable, "-m", "cli", "up", "--no-dashboard"]
        argv += ["--history", args.history, "--rate", str(args.rate)]
        stack = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=child_env(settings)
        )
        try:
            info = _wait(settings, stack, Path(tmp) / "up.out", console)
            delays = _measure(info, settings, areas, rng, args, console)
        finally:
            stack.send_signal(signal.SIGINT)
            stack.wait(120)
    if not delays:
        console.print("no alert was raised")
        return 1
    median = statistics.median(delays)
    console.print(
        f"{len(delays)} surges: tipping report -> alert on safer.alerts.v1 median "
        f"{median:.1f} s, max {max(delays):.1f} s (target median <= {TARGET_S:g} s: "
        f"{'met' if median <= TARGET_S else 'NOT met'})"
    )
    return 0


def _measure(
    info: dict[str, Any],
    settings: Settings,
    areas: Any,
    rng: random.Random,
    args: argparse.Namespace,
    console: Console,
) -> list[float]:
    topics = Topics(settings.topic_prefix)
    alerts = Alerts(info["kafka_bootstrap"], topics.alerts.name)
    alerts.start()
    producer = KafkaProducer(bootstrap_servers=info["kafka_bootstrap"], acks="all", linger_ms=0)
    raw = topics.raw(Source.COUNCIL).name
    delays: list[float] = []
    wards = rng.sample(sorted(areas.ward_names), args.surges)
    for ward in wards:
        lsoa = rng.choice([x for x in areas.lsoas if x.ward_code == ward])
        sent: list[tuple[float, datetime]] = []
        started = time.perf_counter()
        raised = None
        while raised is None and time.perf_counter() - started < 600:
            event = probe_event(lsoa.lat, lsoa.lon, lsoa.code, ward, people={"youth": True})
            at = datetime.now(UTC)
            value = json.dumps(event).encode()
            producer.send(raw, key=event["record_key"].encode(), value=value).get(timeout=30)
            sent.append((time.perf_counter(), at))
            deadline = time.perf_counter() + args.every
            while raised is None and time.perf_counter() < deadline:
                raised = next(
                    (
                        (seen, e)
                        for seen, e in alerts.seen
                        if e.area == ward and e.state.value == "raised" and seen >= started
                    ),
                    None,
                )
                time.sleep(0.05)
        if raised is None:
            console.print(f"{areas.ward_name(ward)}: no alert after {len(sent)} reports")
            continue
        seen, event = raised
        tipping = max((t for t, at in sent if at <= event.raised_at), default=sent[0][0])
        delays.append(seen - tipping)
        console.print(
            f"{areas.ward_name(ward)}: {event.group}/{event.window} raised after "
            f"{len(sent)} reports, {seen - tipping:.1f} s after the tipping one: {event.sentence}"
        )
        time.sleep(2)
    alerts.stop.set()
    producer.close()
    return delays


def _wait(
    settings: Settings, stack: subprocess.Popen[bytes], log: Path, console: Console
) -> dict[str, Any]:
    """The stack's info once it runs and its alert job evaluates with enough history."""
    deadline = time.monotonic() + 1800
    with console.status("safer up: simulated history, then the alert job") as status:
        while time.monotonic() < deadline:
            if stack.poll() is not None:
                raise SystemExit(f"safer up exited with {stack.returncode}; see {log}")
            try:
                info = dict(json.loads(settings.stack_file.read_text()))
            except (FileNotFoundError, ValueError):
                time.sleep(1)
                continue
            if info.get("pid") == stack.pid and info.get("redis_url"):
                engine = AlertEngine.of(
                    settings.model_copy(update={"redis_url": info["redis_url"]}),
                )
                found = engine.inputs.evaluate(datetime.now(UTC))
                status.update(f"history: {found.covered} of {found.needed} weeks counted")
                text = log.read_text(errors="replace")
                # after its history the stack may roll the embedded broker (clients stop)
                settled = "healthy:" in text and (
                    "rolling the embedded broker" not in text or "rolled in" in text
                )
                if found.enough and settled:
                    time.sleep(15)  # the worker's group join after a roll
                    return dict(json.loads(settings.stack_file.read_text()))
            time.sleep(5)
    raise SystemExit("the alert job did not have enough history within 30 min")


if __name__ == "__main__":
    raise SystemExit(main())
