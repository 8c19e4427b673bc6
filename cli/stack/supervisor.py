"""``safer up``: the whole live stack on one machine, supervised.

Order: broker (embedded Tansu, or an external Kafka) -> Redis (external, or our own
redis-server under the state folder) -> topics and Redis paired with the log -> stream
worker -> feed simulator -> dashboard. The stack file lets other ``safer`` commands find
it. SIGINT/SIGTERM stop everything, newest first, and leave no process behind.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Table

from cli.stack import embedded
from cli.stack.procs import Component, free_port, port_free, wait_until
from safer.errors import StackError
from safer.settings import Settings, child_env
from schemas.categories import Source
from store.reader import StoreReader

log = logging.getLogger(__name__)
# the server (Streamlit's st.App with the sign-in cookie routes), which runs dashboard/app.py
DASHBOARD_APP = Path(__file__).resolve().parents[2] / "dashboard" / "serve.py"
THEME = (
    "--theme.base",
    "light",
    # Streamlit draws captions in its text colour at 60 %: the default text colour gives
    # 3.9:1 on white, below WCAG AA's 4.5:1; this one gives 4.9:1.
    "--theme.textColor",
    "#111111",
    # selected filter chips carry white text: this blue gives 8:1 (the default red 3.3:1)
    "--theme.primaryColor",
    "#1d4f91",
)
POLICE_REPLAY = "police-replay"
RESTARTABLE = {"worker", "simulator", POLICE_REPLAY}
ONE_SHOT = {POLICE_REPLAY}  # done when it exits 0 (a restart after a failure is safe: the
# feed ledger publishes only what is not yet published)


def dashboard_command(port: int) -> list[str]:
    """The dashboard server's command line (its settings come from the environment)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "false",
        *THEME,
    ]


@dataclass(frozen=True, slots=True)
class StackOptions:
    simulator: bool = True
    dashboard: bool = True
    rate: float | None = None
    police_data: Path | None = None
    """Replay these data.police.uk street-crime files beside the simulated traffic."""
    replay_speed: float = 86_400.0


@dataclass
class Stack:
    settings: Settings
    options: StackOptions
    console: Console = field(default_factory=lambda: Console(stderr=False))
    components: list[Component] = field(default_factory=list)
    endpoints: dict[str, str] = field(default_factory=dict)
    stopping: bool = False

    @property
    def logs(self) -> Path:
        return self.settings.state_dir / "logs"

    def run(self) -> int:
        """Start everything, supervise until a signal, then stop everything."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            self._start_all()
            self._print_health()
            self._supervise()
        except StackError as exc:
            self.console.print(f"[red]safer up: {exc}[/red] (logs in {self.logs})")
            return 1
        finally:
            self._stop_all()
        return 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    # -- start -------------------------------------------------------------------------
    def _start_all(self) -> None:
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        settings = self._start_infrastructure()
        from streams.worker import prepare

        prepare(settings)
        self.settings = settings
        web_port = free_port()
        self._spawn("worker", ["worker"], extra={"SAFER_WORKER_WEB_PORT": str(web_port)})
        metrics = f"http://127.0.0.1:{web_port}/metrics"
        self.endpoints["worker"] = f"metrics: {metrics}, log: {self.logs / 'worker.log'}"
        self.endpoints["worker_metrics"] = metrics
        if self.options.simulator:
            rate = str(self.options.rate or settings.simulator_rate)
            real_police = self.options.police_data is not None  # replayed, not simulated
            sources = ["--sources", "council", "fire"] if real_police else []
            self._spawn("simulator", ["simulate", "--rate", rate, *sources])
        if self.options.police_data is not None:
            speed = str(self.options.replay_speed)
            self._spawn(
                POLICE_REPLAY,
                ["feed", "police", str(self.options.police_data), "--replay-speed", speed],
            )
        if self.options.dashboard:
            self._start_dashboard()
        self._write_stack_file()

    def _start_infrastructure(self) -> Settings:
        s = self.settings
        updates: dict[str, str] = {}
        if not s.kafka_bootstrap:
            broker = embedded.broker(free_port(), self.logs)
            self._launch(broker.component)
            embedded.wait_broker_ready(broker.bootstrap)
            updates["kafka_bootstrap"] = broker.bootstrap
            self.endpoints["broker"] = f"kafka://{broker.bootstrap} (embedded, {broker.cluster_id})"
        else:
            embedded.wait_broker_ready(s.kafka_bootstrap, timeout_s=15)
            self.endpoints["broker"] = f"kafka://{s.kafka_bootstrap} (external)"
        if not s.redis_url:
            component, url = embedded.redis(free_port(), s.state_dir / "redis", self.logs)
            self._launch(component)
            embedded.wait_redis_ready(url)
            updates["redis_url"] = url
            self.endpoints["redis"] = f"{url} (own redis-server, data in {s.state_dir / 'redis'})"
        else:
            embedded.wait_redis_ready(s.redis_url)
            self.endpoints["redis"] = f"{s.redis_url} (external)"
        return s.model_copy(update=updates)

    def _spawn(self, name: str, args: list[str], extra: dict[str, str] | None = None) -> Component:
        env = child_env(self.settings) | (extra or {})
        component = Component(
            name, [sys.executable, "-m", "cli", *args], self.logs / f"{name}.log", env
        )
        self._launch(component)
        self.endpoints.setdefault(name, f"log: {component.log_path}")
        return component

    def _launch(self, component: Component) -> None:
        component.start()
        self.components.append(component)

    def _start_dashboard(self) -> None:
        port = self.settings.dashboard_port
        if port == 0 or not port_free(port):
            port = free_port()
        component = Component(
            "dashboard",
            dashboard_command(port),
            self.logs / "dashboard.log",
            child_env(self.settings),
        )
        self._launch(component)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _http_ok(f"{url}/_stcore/health"), 60, "dashboard")
        self.endpoints["dashboard"] = url

    def _write_stack_file(self) -> None:
        data = {
            "pid": os.getpid(),
            "kafka_bootstrap": self.settings.kafka_bootstrap,
            "redis_url": self.settings.redis_url,
            "dashboard_url": self.endpoints.get("dashboard"),
            "worker_metrics_url": self.endpoints.get("worker_metrics"),
            "started_at": datetime.now(UTC).isoformat(),
            "components": {c.name: c.pid for c in self.components},
        }
        self.settings.stack_file.write_text(json.dumps(data, indent=2))

    # -- run ---------------------------------------------------------------------------
    def _print_health(self) -> None:
        table = Table(title="safer-tracker local stack")
        for column in ("component", "pid", "state", "where"):
            table.add_column(column)
        for c in self.components:
            state = "[green]running[/green]" if c.alive() else f"[red]exited {c.exit_code()}[/red]"
            table.add_row(c.name, str(c.pid), state, self.endpoints.get(c.name, ""))
        self.console.print(table)
        if "dashboard" in self.endpoints:
            self.console.print(f"Dashboard: [bold]{self.endpoints['dashboard']}[/bold]")
        self.console.print("Press Ctrl-C to stop.", highlight=False)
        sys.stdout.flush()

    def _supervise(self) -> None:
        """Restart the worker and simulator when they exit (backing off); infrastructure
        or dashboard failure stops the stack."""
        backoff = {name: Backoff() for name in RESTARTABLE}
        flow = FlowReport(self.settings, self.console, expect=self.options.simulator)
        finished: set[str] = set()
        while not self.stopping:
            time.sleep(0.5)
            flow.check()
            for c in self.components:
                if self.stopping or c.alive() or c.name in finished:
                    continue
                if c.name in ONE_SHOT and c.exit_code() == 0:
                    finished.add(c.name)
                    self.console.print(f"{c.name} finished (log: {c.log_path})")
                    continue
                if c.name not in RESTARTABLE:
                    raise StackError(c.name, f"exited with code {c.exit_code()}")
                delay = backoff[c.name].next_delay()
                if delay is None:
                    continue
                self.console.print(
                    f"[yellow]{c.name} exited ({c.exit_code()}); restarting "
                    f"(log: {c.log_path})[/yellow]"
                )
                c.start()

    def _stop_all(self) -> None:
        for c in reversed(self.components):
            c.stop(self.settings.shutdown_grace_s)
        self.settings.stack_file.unlink(missing_ok=True)
        if self.components:
            self.console.print("safer-tracker stopped; no component left running.")


@dataclass
class Backoff:
    """Restart pacing: 1 s, 2 s, 4 s … up to 30 s between restarts; reset after 60 s up."""

    clock: Callable[[], float] = time.monotonic
    delay_s: float = 0.0
    due_at: float | None = None
    last_start: float | None = None

    def next_delay(self) -> float | None:
        """The delay just waited when a restart is due now; None while still waiting."""
        now = self.clock()
        if self.last_start is None:
            self.last_start = now
        if self.due_at is None:
            ran_for = now - self.last_start
            self.delay_s = 1.0 if ran_for > 60 else min(max(self.delay_s * 2, 1.0), 30.0)
            self.due_at = now + self.delay_s
        if now < self.due_at:
            return None
        self.due_at = None
        self.last_start = now
        return self.delay_s


class FlowReport:
    """Says once when every source's counts are in Redis (the stack's end-to-end health)."""

    def __init__(self, settings: Settings, console: Console, expect: bool) -> None:
        self._reader = StoreReader.of(Redis.from_url(settings.require_redis()), settings)
        self._console = console
        self._started = time.monotonic()
        self._done = not expect

    def check(self) -> None:
        if self._done:
            return
        try:
            by_source = self._reader.live_snapshot(latest=1).total_by("source")
        except RedisError:
            return
        if {s.value for s in Source} <= set(by_source):
            elapsed = time.monotonic() - self._started
            counts = ", ".join(f"{s}={n}" for s, n in sorted(by_source.items()))
            self._console.print(
                f"[green]healthy[/green]: counts in Redis after {elapsed:.0f} s ({counts})"
            )
            self._done = True


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own localhost URL
        return bool(response.status == 200)
