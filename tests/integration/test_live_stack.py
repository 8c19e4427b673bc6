"""`safer up` for real: all three sources counted within 60 s, found from another terminal,
stopped without leaving a process behind, and a restart never reuses stale aggregates."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from redis import Redis

from bus.admin import cluster_id
from safer.settings import child_env
from tests.conftest import Infra
from tests.data_files import data_file, pandas_counts
from tests.stack import LiveStack


def test_live_stack_counts_all_sources_and_stops_cleanly(tmp_path: Path, namespace: str) -> None:
    """Within 60 s Redis holds counts for police, council and fire; a killed worker is
    restarted; SIGTERM leaves nothing behind."""
    args = ["--rate", "30", "--history", "0", "--no-dashboard"]
    stack = LiveStack(tmp_path / "state", namespace, args)
    started = time.monotonic()
    stack.start()
    try:
        stack.wait_until(
            lambda: set(stack.snapshot().total_by("source")) >= {"police", "council", "fire"},
            60 - (time.monotonic() - started),
            "counts for all three sources",
        )
        status = subprocess.run(
            [sys.executable, "-m", "cli", "status"],
            env=child_env(
                stack.settings.model_copy(update={"kafka_bootstrap": None, "redis_url": None})
            ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert "police=" in status.stdout
        _kill_worker_and_see_it_replaced(stack)
        processes = stack.processes()
        names = " ".join(stack.command_lines().values())
        for part in ("tansu", "redis-server", "-m cli worker", "-m cli simulate"):
            assert part in names
        assert stack.stop(signal.SIGTERM) == 0
        time.sleep(0.5)
        left = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert left == [], f"processes left behind: {[p.cmdline() for p in left]}"
        assert not stack.settings.stack_file.exists()
    finally:
        stack.kill_all()


def _worker_pids(stack: LiveStack) -> set[int]:
    return {pid for pid, line in stack.command_lines().items() if "-m cli worker" in line}


def _kill_worker_and_see_it_replaced(stack: LiveStack) -> None:
    """The supervisor restarts a worker that died (SIGKILL) and counting goes on."""
    (old,) = _worker_pids(stack)
    psutil.Process(old).kill()
    before = stack.snapshot().total
    stack.wait_until(lambda: _worker_pids(stack) - {old}, 30, "a restarted worker")
    stack.wait_until(lambda: stack.snapshot().total > before + 20, 60, "counting after restart")


def test_restart_without_the_archive_resets_aggregates_of_the_previous_log(
    tmp_path: Path, namespace: str
) -> None:
    """With the log archive removed (a new, empty log, same Redis data folder), a restarted
    stack starts from zero counts: aggregates of another log are never reused."""
    args = ["--rate", "40", "--history", "0", "--no-dashboard"]
    first = LiveStack(tmp_path / "state", namespace, args)
    first.start()
    try:
        first.wait_until(lambda: first.snapshot().total > 0, 60, "first counts")
        assert first.stop(signal.SIGINT) == 0
    finally:
        first.kill_all()
    redis_data = tmp_path / "state" / "redis"
    assert (redis_data / "dump.rdb").exists() or (redis_data / "appendonlydir").exists(), (
        "own Redis keeps data in the state folder"
    )
    shutil.rmtree(first.settings.archive_dir)
    second = LiveStack(tmp_path / "state", namespace, ["--no-simulator", "--no-dashboard"])
    second.start()
    try:
        assert second.snapshot().total == 0
    finally:
        second.stop()
        second.kill_all()


def test_external_kafka_and_redis_are_used_and_left_running(
    tmp_path: Path, namespace: str, infra: Infra
) -> None:
    """With --kafka/--redis (the production path) no broker or Redis is started, and
    stopping the stack leaves the external ones running."""
    stack = LiveStack(
        tmp_path / "state",
        namespace,
        [
            *("--kafka", infra.bootstrap, "--redis", infra.redis_url),
            *("--rate", "30", "--history", "0", "--no-dashboard"),
        ],
    )
    stack.start()
    try:
        assert stack.info["kafka_bootstrap"] == infra.bootstrap
        assert stack.info["redis_url"] == infra.redis_url
        names = " ".join(stack.command_lines().values())
        assert "tansu" not in names
        assert "redis-server" not in names
        stack.wait_until(lambda: stack.snapshot().total > 0, 60, "counts in the external Redis")
        assert stack.stop() == 0
    finally:
        stack.kill_all()
    assert Redis.from_url(infra.redis_url).ping()
    assert cluster_id(infra.bootstrap) == infra.cluster_id


def test_live_stack_replays_real_police_data(tmp_path: Path, namespace: str) -> None:
    """`safer up --police-data DIR` replays a real police month beside simulated council and
    fire traffic (no simulated police); once done, Redis counts every Wirral record of that
    month and nothing else from the police, the replay is not restarted and the stack keeps
    running."""
    month = data_file("2018-03-merseyside-street.csv")
    folder = tmp_path / "police"
    folder.mkdir()
    shutil.copy(month, folder / month.name)
    wirral_rows = sum(pandas_counts(month).values())
    stack = LiveStack(
        tmp_path / "state",
        namespace,
        ["--rate", "20", "--no-dashboard", "--police-data", str(folder)],
    )
    stack.start()
    try:
        stack.wait_until(
            lambda: stack.snapshot().total_by("source").get("police") == wirral_rows,
            120,
            f"all {wirral_rows} Wirral records of 2018-03 counted",
        )
        stack.wait_until(
            lambda: {"council", "fire"} <= set(stack.snapshot().total_by("source")),
            60,
            "simulated council and fire traffic",
        )
        replay_log = stack.settings.state_dir / "logs" / "police-replay.log"
        assert replay_log.exists()
        time.sleep(2)  # the supervisor sees the replay's clean exit and leaves it be
        assert stack.snapshot().total_by("source")["police"] == wirral_rows, "none simulated"
        names = " ".join(stack.command_lines().values())
        assert "-m cli feed police" not in names
        assert "--sources council fire" in names
        assert "-m cli worker" in names
        assert stack.stop(signal.SIGTERM) == 0
    finally:
        stack.kill_all()
