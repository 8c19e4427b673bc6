"""Runs a real ``safer up`` in a test and inspects every process it started."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from redis import Redis

from safer.settings import Settings, child_env
from store.reader import LiveSnapshot, StoreReader


@dataclass
class LiveStack:
    """``safer up`` as a child process with its own state folder and namespaces."""

    state_dir: Path
    namespace: str
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # more settings of the stack

    @property
    def settings(self) -> Settings:
        return Settings(
            state_dir=self.state_dir,
            topic_prefix=f"{self.namespace}.",
            redis_prefix=f"{self.namespace}:",
            consumer_group=f"{self.namespace}-worker",
            session_timeout_s=6.0,
            shutdown_grace_s=10.0,
            **self.overrides,
        )

    @property
    def output(self) -> Path:
        return self.state_dir / "up.out"

    def start(self, timeout_s: float = 90.0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "cli", "up", "--dashboard-port", "0", *self.args]
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=child_env(self.settings)
            )
        self._wait(self._own_stack_file, timeout_s, "stack file")  # not one a kill -9 left
        self.info = json.loads(self.settings.stack_file.read_text())

    def cli(self, *args: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
        """A `safer` command from another terminal: it finds this stack by its state file."""
        update = {"kafka_bootstrap": None, "redis_url": None}
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=child_env(self.settings.model_copy(update=update)),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def _own_stack_file(self) -> bool:
        try:
            written = json.loads(self.settings.stack_file.read_text())
        except (FileNotFoundError, ValueError):
            return False
        return self.process is not None and written.get("pid") == self.process.pid

    def snapshot(self) -> LiveSnapshot:
        redis = Redis.from_url(self.info["redis_url"])
        try:
            return StoreReader.of(redis, self.settings).live_snapshot()
        finally:
            redis.close()

    def processes(self) -> list[psutil.Process]:
        """The supervisor and every process below it."""
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def command_lines(self) -> dict[int, str]:
        """pid -> command line of every live (non-zombie) process of the stack."""
        lines = {}
        for proc in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
                lines[proc.pid] = " ".join(proc.cmdline())
        return lines

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 60.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        return self.process.wait(timeout=timeout_s)

    def kill_all(self) -> None:
        """Last-resort cleanup so a failed test cannot leak processes."""
        if self.process is None or self.process.poll() is not None:
            return
        for proc in reversed(self.processes()):
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        self.process.wait(timeout=10)

    def _wait(self, check: Any, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if check():
                return
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.25)
        raise AssertionError(f"safer up: no {what} after {timeout_s} s\n{self.tail()}")

    def wait_until(self, check: Any, timeout_s: float, what: str) -> None:
        self._wait(check, timeout_s, what)

    def tail(self) -> str:
        parts = [self.output.read_text()[-2000:] if self.output.exists() else ""]
        for log in sorted((self.state_dir / "logs").glob("*.log")):
            parts.append(f"--- {log.name}\n{log.read_text()[-1500:]}")
        return "\n".join(parts)
