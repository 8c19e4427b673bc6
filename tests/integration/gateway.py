"""Helpers for gateway tests: the real ``safer gateway`` process and a Server-Sent Events
reader (the wire format, parsed by hand so that the test does not trust a client library)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.stack.procs import Component, free_port
from safer.settings import Settings, child_env


@contextmanager
def running_gateway(settings: Settings, log_dir: Path) -> Iterator[str]:
    """A real gateway process on a free loopback port; yields its base URL."""
    port = free_port()
    env = child_env(settings) | {"SAFER_GATEWAY_PORT": str(port)}
    gateway = Component(
        "gateway", [sys.executable, "-m", "cli", "gateway"], log_dir / "gateway.log", env
    )
    gateway.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not gateway.alive():
                raise AssertionError(f"gateway did not start: {gateway.log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        gateway.stop(10)


@dataclass(frozen=True, slots=True)
class Event:
    id: str | None
    event: str
    data: str


def read_events(
    base: str, key: str, count: int, timeout_s: float = 60.0, **params: str
) -> list[Event]:
    """The first ``count`` non-ping events of ``GET /v1/stream`` (``params``: query; a
    ``last_event_id`` param is sent as the ``Last-Event-ID`` header)."""
    headers = {"Authorization": f"Bearer {key}"}
    if "last_event_id" in params:
        headers["Last-Event-ID"] = params.pop("last_event_id")
    events: list[Event] = []
    with httpx.stream(
        "GET", f"{base}/v1/stream", headers=headers, params=params, timeout=timeout_s
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line == "":
                if "data" in fields:
                    events.append(
                        Event(fields.get("id"), fields.get("event", "message"), fields["data"])
                    )
                    if len(events) >= count:
                        return events
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
    return events
