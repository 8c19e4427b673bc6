"""Publishing a bulk import: messages collected per period, sent as Kafka record batches.

kafka-python's ``send`` costs about 50 µs a message (a future, a pure-Python record
builder); an import of a month (~15,000 rows) sends whole record batches per partition
with aiokafka instead (``bus.produce.BatchSender``, the worker's own output path) and
waits for the broker's acknowledgement (``acks=all``) before the ledger records anything.
On the embedded broker it also waits until the local log archive holds what was
acknowledged (``bus.archive``), so the ledger never claims what a restart would not restore.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from bus.archive.catalog import Catalog, tp_name
from bus.archive.segments import ArchiveError
from bus.produce import BatchSender
from feeds.raw import RawMessage
from safer.errors import SaferError
from schemas.deadletter import DeadLetter
from schemas.topics import Topics

MAX_BATCH_BYTES = 512 * 1024
T = TypeVar("T")


class PublishError(SaferError):
    """The broker did not acknowledge every message (nothing is recorded as published)."""


async def _started(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        max_batch_size=MAX_BATCH_BYTES,
        client_id=client_id,
    )
    await producer.start()
    return producer


class BulkPublisher:
    """Use as a context manager; ``send`` delivers a group of messages and waits for acks."""

    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        client_id: str,
        archive: Catalog | None = None,
        archive_wait_s: float = 30.0,
    ) -> None:
        """``archive``: the embedded broker's log archive, waited for after each delivery."""
        self._topics = topics
        self._archive = archive
        self._archive_wait_s = archive_wait_s
        self._loop = asyncio.new_event_loop()
        self._producer = self._run(_started(bootstrap, client_id))

    def send(self, messages: Iterable[RawMessage], dead_letters: Iterable[DeadLetter] = ()) -> int:
        """Deliver raw messages (to their source's raw topic) and dead letters; returns how
        many raw messages were sent. Raises ``PublishError`` if the broker refused any."""
        return self._run(self._send(list(messages), list(dead_letters)))

    async def _send(self, messages: list[RawMessage], dead: list[DeadLetter]) -> int:
        out = BatchSender(self._producer)
        try:
            for m in messages:
                await out.add(self._topics.raw(m.source).name, m.key, m.value)
            for letter in dead:
                await out.add(self._topics.deadletter.name, None, letter.model_dump_json().encode())
            ends = await out.flush()
        except KafkaError as exc:
            raise PublishError(f"the broker did not take the messages: {exc!r}") from exc
        if self._archive is not None and ends:
            wanted = {tp_name(topic, partition): end for (topic, partition), end in ends.items()}
            try:
                await asyncio.to_thread(self._archive.wait_for, wanted, self._archive_wait_s)
            except ArchiveError as exc:
                raise PublishError(str(exc)) from exc
        return len(messages)

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(work)

    def close(self) -> None:
        try:
            self._run(self._producer.stop())
        finally:
            self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
