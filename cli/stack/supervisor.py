"""``safer up``: the whole live stack on one machine, supervised.

Order: broker (embedded Tansu, or an external Kafka) -> Redis (external, or our own
redis-server under the state folder, AOF on) -> on the embedded broker, the log restored
from its archive and the archiver started (``cli.stack.durable``) -> topics and Redis paired
with the log (the worker resumes where Redis matches the restored log) -> stream worker ->
simulated history on an empty log, counted (``cli.stack.history``) -> feed simulator ->
dashboard. The stack file lets other ``safer`` commands find it. SIGINT/SIGTERM stop
everything, newest first, and leave no process behind.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.table import Table

from bus.archive.catalog import Catalog
from bus.archive.restore import RestoreReport
from cli.stack import durable, embedded, roll
from cli.stack.durable import Restored
from cli.stack.health import Backoff, FlowReport
from cli.stack.history import HistoryRequest, history_json, publish_history
from cli.stack.procs import Component, free_port, port_free, wait_until
from safer.errors import SaferError, StackError
from safer.settings import Settings, child_env
from schemas.categories import Source
from store.simulated import SimulatedHistory

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
ARCHIVER = "archiver"
RESTARTABLE = {ARCHIVER, "worker", "simulator", "gateway", POLICE_REPLAY}
PRODUCERS = ("simulator", POLICE_REPLAY)  # the broker's clients besides worker and archiver
ROLL_CHECK_S = 15.0
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
    gateway: bool = True
    rate: float | None = None
    police_data: Path | None = None
    """Replay these data.police.uk street-crime files beside the simulated traffic."""
    replay_speed: float = 86_400.0
    history: timedelta = timedelta(0)
    """Simulated history to publish first on an empty log (``history_span``)."""

    @property
    def simulated_sources(self) -> frozenset[Source]:
        """The partners the simulator plays: beside real police data, council and fire."""
        real_police = self.police_data is not None
        return frozenset(s for s in Source if not (real_police and s is Source.POLICE))


@dataclass
class Stack:
    settings: Settings
    options: StackOptions
    console: Console = field(default_factory=lambda: Console(stderr=False))
    components: list[Component] = field(default_factory=list)
    endpoints: dict[str, str] = field(default_factory=dict)
    stopping: bool = False
    catalog: Catalog | None = None  # the embedded broker's log archive
    broker: embedded.EmbeddedBroker | None = None
    restored: Restored | None = None
    _was_clean: bool = False
    history: SimulatedHistory | None = None
    backoff: dict[str, Backoff] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)  # one-shot components done

    @property
    def logs(self) -> Path:
        return self.settings.state_dir / "logs"

    def run(self) -> int:
        """Start everything, supervise until a signal, then stop everything."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            self._start_all()
            if not self.stopping:  # e.g. Ctrl-C while the history was published
                self._print_health()
            self._supervise()
        except SaferError as exc:  # a component, the archive's restore, a roll
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

        self.settings = settings
        report = self._restore_log()
        prepare(settings)
        if report is not None and self.catalog is not None:
            self.restored = durable.align_worker(
                settings, self.catalog, report, self._was_clean, self.console
            )
        web_port = free_port()
        self._spawn("worker", ["worker"], extra={"SAFER_WORKER_WEB_PORT": str(web_port)})
        metrics = f"http://127.0.0.1:{web_port}/metrics"
        self.endpoints["worker"] = f"metrics: {metrics}, log: {self.logs / 'worker.log'}"
        self.endpoints["worker_metrics"] = metrics
        self.history = self._publish_history()
        if self.stopping:
            return
        if self.options.simulator:
            rate = str(self.options.rate or settings.simulator_rate)
            sources = sorted(s.value for s in self.options.simulated_sources)
            self._spawn("simulator", ["simulate", "--rate", rate, "--sources", *sources])
        if self.options.police_data is not None:
            speed = str(self.options.replay_speed)
            self._spawn(
                POLICE_REPLAY,
                ["feed", "police", str(self.options.police_data), "--replay-speed", speed],
            )
        if self.options.gateway:
            self._start_gateway()
        if self.options.dashboard:
            self._start_dashboard()
        self._write_stack_file()

    def _publish_history(self) -> SimulatedHistory | None:
        """Simulated history on an empty log, counted by the worker (``cli.stack.history``);
        kept apart so that it can be moved, e.g. after a restored log."""
        options = self.options
        request = HistoryRequest(
            options.history,
            options.rate or self.settings.simulator_rate,
            options.simulated_sources,
        )
        history = publish_history(
            self.settings, request, self.console, lambda: self.stopping, self._check_components
        )
        if self.catalog is not None:
            history = durable.remember_history(self.settings, self.catalog, history)
        return history

    def _start_infrastructure(self) -> Settings:
        s = self.settings
        updates: dict[str, object] = {}
        if not s.kafka_bootstrap:
            self.catalog = Catalog(s.archive_dir)
            self._was_clean = self.catalog.clean_ends() is not None
            broker = embedded.broker(free_port(), self.logs, self.catalog.identity())
            self._launch(broker.component)
            self.broker = broker
            embedded.wait_broker_ready(broker.bootstrap)
            updates["kafka_bootstrap"] = broker.bootstrap
            updates["log_archive"] = self.catalog.root
            self.endpoints["broker"] = (
                f"kafka://{broker.bootstrap} (embedded, log {broker.cluster_id} "
                f"archived in {self.catalog.root})"
            )
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

    def _restore_log(self) -> RestoreReport | None:
        """Embedded broker: replay the archive into it, then start the archiver (before any
        producer, so it misses nothing)."""
        if self.catalog is None:
            return None
        report = durable.restore_log(self.settings, self.catalog, self.console)
        self._spawn(ARCHIVER, ["archive", "run"])
        self.endpoints[ARCHIVER] = f"archive: {self.catalog.root}, log: {self.logs}/archiver.log"
        return report

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

    def _start_gateway(self) -> None:
        """The subscriber gateway (``safer gateway``) on its port, or a free one if busy."""
        port = self.settings.gateway_port
        if port == 0 or not port_free(port):
            port = free_port()
        component = self._spawn("gateway", ["gateway"], extra={"SAFER_GATEWAY_PORT": str(port)})
        url = f"http://127.0.0.1:{port}/v1"
        wait_until(lambda: _http_ok(f"{url}/health"), 60, "gateway")
        self.endpoints["gateway"] = (
            f"{url} (OpenAPI: {url}/openapi.json, log: {component.log_path})"
        )
        self.endpoints["gateway_url"] = url

    def _write_stack_file(self) -> None:
        data = {
            "pid": os.getpid(),
            "kafka_bootstrap": self.settings.kafka_bootstrap,
            "redis_url": self.settings.redis_url,
            "log_archive": str(self.catalog.root) if self.catalog else None,
            "dashboard_url": self.endpoints.get("dashboard"),
            "gateway_url": self.endpoints.get("gateway_url"),
            "worker_metrics_url": self.endpoints.get("worker_metrics"),
            "started_at": datetime.now(UTC).isoformat(),
            "components": {c.name: c.pid for c in self.components},
            "simulated_history": history_json(self.history),
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
        if "gateway_url" in self.endpoints:
            self.console.print(
                f"Subscriber gateway: [bold]{self.endpoints['gateway_url']}[/bold] "
                "(keys: safer subscribers add)"
            )
        self.console.print("Press Ctrl-C to stop.", highlight=False)
        sys.stdout.flush()

    def _supervise(self) -> None:
        """Restart the worker and simulator when they exit (backing off); infrastructure
        or dashboard failure stops the stack."""
        flow = FlowReport(self.settings, self.console, expect=self.options.simulator)
        next_roll_check = time.monotonic() + ROLL_CHECK_S
        while not self.stopping:
            time.sleep(0.5)
            flow.check()
            if time.monotonic() >= next_roll_check:
                self._maybe_roll()
                next_roll_check = time.monotonic() + ROLL_CHECK_S
            self._check_components()

    def _check_components(self) -> None:
        """One look at every component: restart what may be restarted (backing off), note
        finished one-shot ones, raise for anything else that exited."""
        for c in self.components:
            if self.stopping or c.alive() or c.name in self.finished:
                continue
            if c.name in ONE_SHOT and c.exit_code() == 0:
                self.finished.add(c.name)
                self.console.print(f"{c.name} finished (log: {c.log_path})")
                continue
            if c.name not in RESTARTABLE:
                raise StackError(c.name, f"exited with code {c.exit_code()}")
            delay = self.backoff.setdefault(c.name, Backoff()).next_delay()
            if delay is None:
                continue
            self.console.print(
                f"[yellow]{c.name} exited ({c.exit_code()}); restarting "
                f"(log: {c.log_path})[/yellow]"
            )
            c.start()

    def _maybe_roll(self) -> None:
        limit = self.settings.broker_roll_mb
        if self.broker is None or self.catalog is None or not limit:
            return
        rss = roll.rss_mb(self.broker.component.pid)
        if rss > limit:
            self._roll(rss)

    def _roll(self, rss: float) -> None:
        """Onto a fresh broker on the same port holding each partition's tail (``roll``)."""
        assert self.broker is not None
        assert self.catalog is not None
        self.console.print(f"rolling the embedded broker (memory {rss:.0f} MB): clients stop")
        by_name = {c.name: c for c in self.components if c.name not in self.finished}
        clients = [by_name[n] for n in (*PRODUCERS, "worker", "gateway") if n in by_name]
        done = roll.roll_broker(
            self.broker,
            self.catalog,
            by_name[ARCHIVER],
            [c for c in clients if c.alive()],
            self.settings,
            self.endpoints["worker_metrics"],
        )
        self._write_stack_file()
        self.console.print(
            f"rolled in {done.seconds:.1f} s: the broker holds {done.kept:,} of "
            f"{done.records:,} records (the rest in {self.catalog.root}); memory "
            f"{rss:.0f} -> {roll.rss_mb(self.broker.component.pid):.0f} MB"
        )

    def _stop_all(self) -> None:
        for c in reversed(self.components):
            c.stop(self.settings.shutdown_grace_s)
        self.settings.stack_file.unlink(missing_ok=True)
        if self.components:
            self.console.print("safer-tracker stopped; no component left running.")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own localhost URL
        return bool(response.status == 200)
