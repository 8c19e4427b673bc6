"""Session fixtures: a real Tansu broker and a real redis-server on free ports.

A missing binary fails the run (no skips). The Redis that may already listen on 6379 is
never touched. Each test gets its own topic prefix, Redis key prefix and consumer group.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from cli.stack import embedded
from cli.stack.procs import free_port
from safer.settings import Settings

Infra = embedded.LocalInfra


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    """One broker and one redis-server for the whole test run."""
    with embedded.local_infra(tmp_path_factory.mktemp("infra-logs")) as running:
        yield running


def new_namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def isolated_settings(infra: Infra, namespace: str, state: Path, partitions: int = 2) -> Settings:
    """Settings of one test namespace: own topics, keys, consumer group and state folder."""
    return Settings(
        kafka_bootstrap=infra.bootstrap,
        redis_url=infra.redis_url,
        topic_prefix=f"{namespace}.",
        redis_prefix=f"{namespace}:",
        consumer_group=f"{namespace}-worker",
        state_dir=state / "state",
        partitions=partitions,
        session_timeout_s=6.0,
        worker_web_port=free_port(),
        log_level="INFO",
    )


@pytest.fixture
def namespace() -> str:
    return new_namespace()


@pytest.fixture
def settings(infra: Infra, namespace: str, tmp_path: Path) -> Settings:
    """Settings isolated to this test: own topics, keys, consumer group and state folder."""
    return isolated_settings(infra, namespace, tmp_path)


@pytest.fixture
def redis_client(infra: Infra) -> Iterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    assert client.connection_pool.connection_kwargs["port"] != 6379
    yield client
    client.close()


def pytest_configure(config: pytest.Config) -> None:
    # Tests never read a developer's running stack or its SAFER_* settings.
    for name in [n for n in os.environ if n.startswith("SAFER_")]:
        del os.environ[name]
