"""On a real redis-server, under ``MONITOR``: every command a script runs touches only keys
the script was given in ``KEYS`` (Redis itself names each command's keys: ``COMMAND
GETKEYS``), over the writer's and the reader's every script; and the generation check those
keys rely on — a batch or a read named in a generation that a rebuild has since swapped out
lands in, or reads, the live one."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from aggregates.buckets import epoch_hour
from aggregates.config import AggregationConfig
from aggregates.inputs import Doc, canonical_doc
from geography.areas import load_areas
from schemas.codec import decode_incident
from store.keys import Keys
from store.reader import StoreReader
from store.writer import AggregateWriter, StageOutcome
from streams.validation import is_unavailable
from tests.builders import (
    NOW,
    count_cell,
    encode,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)
from tests.conftest import Infra
from tests.data_files import WIRRAL

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "store").glob("*.lua"))
LINE = re.compile(r"^\S+ \[\d+ ([^\]]+)\] (.*)$")
ARGUMENT = re.compile(r'"((?:[^"\\]|\\.)*)"')
ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}
END = "monitor-end"


def _unescape(quoted: str) -> bytes:
    """One MONITOR argument (Redis's ``sdscatrepr``: printable ASCII, escapes, ``\\xHH``)."""
    out, at = bytearray(), 0
    while at < len(quoted):
        if quoted[at] != "\\":
            out += quoted[at].encode()
            at += 1
        elif quoted[at + 1] == "x":
            out.append(int(quoted[at + 2 : at + 4], 16))
            at += 4
        else:
            out += ESCAPES[quoted[at + 1]]
            at += 2
    return bytes(out)


def _sha(script: bytes) -> str:
    return hashlib.sha1(script, usedforsecurity=False).hexdigest()


@dataclass
class ScriptCall:
    """One EVALSHA or EVAL: its script, the keys it was given, the commands it ran."""

    sha: str
    given: set[bytes]
    commands: list[list[bytes]] = field(default_factory=list)


@dataclass
class Monitored:
    lines: list[tuple[str, list[bytes]]] = field(default_factory=list)

    def calls(self) -> list[ScriptCall]:
        calls: list[ScriptCall] = []
        for source, argv in self.lines:
            name = argv[0].upper() if argv else b""
            if source == "lua" and calls:
                calls[-1].commands.append(argv)
            elif name == b"SCRIPT" and calls and not calls[-1].commands:
                calls.pop()  # that EVALSHA failed (NOSCRIPT): the client loads it, calls again
            elif name in (b"EVALSHA", b"EVAL"):
                sha = argv[1].decode() if name == b"EVALSHA" else _sha(argv[1])
                calls.append(ScriptCall(sha, set(argv[3 : 3 + int(argv[2])])))
        return calls


@contextmanager
def monitored(url: str) -> Iterator[Monitored]:
    """Every command the server runs meanwhile, as (source, arguments)."""
    seen = Monitored()
    client = Redis.from_url(url)
    ready = threading.Event()

    def listen() -> None:
        with client.monitor() as monitor:
            ready.set()
            while True:
                raw = monitor.connection.read_response()
                text = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
                match = LINE.match(text)
                if not match:
                    continue
                argv = [_unescape(a) for a in ARGUMENT.findall(match.group(2))]
                if argv[:2] == [b"ECHO", END.encode()]:
                    return
                seen.lines.append((match.group(1), argv))

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield seen
    finally:
        client.echo(END)
        thread.join(10)
        client.close()
    assert not thread.is_alive(), "MONITOR never saw its end"


def _docs() -> list[Doc]:
    """Every kind of effect: hour, day and month homes, references, a fire, out of area."""
    month = {"start": "2026-10-01T00:00:00+01:00", "end": "2026-11-01T00:00:00+00:00"}
    days = {"start": (NOW - timedelta(days=2)).isoformat(), "end": NOW.isoformat()}
    refs = {"caller_ref": "a" * 32, "address_ref": "b" * 32}
    events = [
        make_police_incident(record_key="police:k:1"),
        make_police_incident(record_key="police:k:2", data={"occurred": month}),
        make_police_incident(record_key="police:k:3", data={"occurred": days}),
        make_council_asb(record_key="council:k:1", data=refs),
        make_council_asb(record_key="council:k:2", data=refs),
        make_fire_incident(record_key="fire:k:1"),
        make_police_incident(record_key="police:k:4", data={"location": {"lat": 51.5, "lon": 0}}),
    ]
    return [canonical_doc(decode_incident(encode(e))) for e in events]


def _corrections(docs: list[Doc]) -> list[Doc]:
    """A ward move, a cancellation, a reference moved, and a replay."""
    moved = {**docs[0], "version": 2}
    moved["data"] = {**docs[0]["data"], "location": {"ward_code": "E05000960"}}
    cancelled = {**docs[1], "version": 2, "status": "cancelled"}
    other = {**docs[3], "version": 2}
    other["data"] = {**docs[3]["data"], "caller_ref": "c" * 32}
    return [moved, cancelled, other, docs[5]]


async def _write(url: str, keys: Keys, docs: list[Doc]) -> None:
    """The writer's every script: live batches, outcomes, a rebuild's generation written
    ahead and directly, and a live batch after that generation is swapped in."""
    client = AsyncRedis.from_url(url)
    try:
        writer = AggregateWriter(client, keys, AggregationConfig(), load_areas(), 5)
        await writer.apply_canonical(docs)
        await writer.apply_canonical(_corrections(docs))
        outcome = StageOutcome("t", 0, 1, "police", "dead-lettered", "invalid")
        await writer.record_outcomes("count", [outcome])
        ahead = writer.ahead(1, is_unavailable)
        await ahead.add(docs[:4])
        await ahead.add(docs[4:])
        await ahead.flush()
        await writer.apply_canonical(_corrections(docs), generation=1)
        await client.set(keys.generation_pointer, 1)
        await writer.apply_canonical([{**docs[5], "version": 3}])
    finally:
        await client.aclose()


def _read(reader: StoreReader) -> None:
    """The reader's every script (and its every method)."""
    end = epoch_hour(NOW) + 1
    reader.counts()
    reader.live_view(10, "ward", [(end - 24, end), (end - 24 * 28, end)])
    reader.window("ward", end - 24 * 7, end, "youth")
    reader.level_windows([("borough", (end - 24, end)), ("cell", (end - 24, end))])
    reader.bucket_totals("ward", [])
    reader.profile("ward")
    reader.profile("ward", end - 24 * 40, end)
    reader.baseline("ward", end - 1, end, 8)
    assert reader.repeats("ward", end - 24 * 28, end)


def _keys_of(redis: Redis, commands: list[list[bytes]]) -> list[list[bytes]]:
    """The keys of each command, as Redis itself names them."""
    pipe = redis.pipeline(transaction=False)
    for argv in commands:
        pipe.command_getkeys(*argv)
    replies = pipe.execute(raise_on_error=False)
    return [[] if isinstance(r, Exception) else [_bytes(k) for k in r] for r in replies]


def _bytes(key: bytes | str) -> bytes:
    return key if isinstance(key, bytes) else key.encode()


def test_every_script_touches_only_the_keys_it_is_given(infra: Infra, redis_client: Redis) -> None:
    """Under MONITOR, each command run inside each of store/*.lua (all of them exercised, by
    the real writer and reader) touches only keys of its call's KEYS."""
    keys = Keys(f"k{uuid.uuid4().hex[:10]}:")
    reader = StoreReader(redis_client, keys, [WIRRAL])
    with monitored(infra.redis_url) as seen:
        asyncio.run(_write(infra.redis_url, keys, _docs()))
        _read(reader)
    calls = seen.calls()
    shas = {_sha(path.read_bytes()): path.name for path in SCRIPTS}
    assert set(shas) <= {call.sha for call in calls}, "every script under store/ was run"
    for call in calls:
        if call.sha not in shas:
            continue
        assert call.commands, f"{shas[call.sha]} ran no command"
        touched = _keys_of(redis_client, call.commands)
        for argv, keys_touched in zip(call.commands, touched, strict=True):
            outside = set(keys_touched) - call.given
            assert not outside, f"{shas[call.sha]}: {argv[0]!r} touched {outside} not in KEYS"


def test_a_batch_and_a_read_named_before_a_swap_go_to_the_live_generation(
    infra: Infra, redis_client: Redis
) -> None:
    """A batch planned (its keys named) in generation 0, applied after a rebuild swapped
    generation 1 in, writes nothing in 0 and lands wholly in 1; a reader that last saw 0
    reads 1."""
    keys = Keys(f"k{uuid.uuid4().hex[:10]}:")
    first, second = (
        canonical_doc(decode_incident(encode(make_police_incident(record_key=f"police:s:{n}"))))
        for n in (1, 2)
    )
    reader = StoreReader(redis_client, keys, [WIRRAL])

    async def run() -> None:
        client = AsyncRedis.from_url(infra.redis_url)
        try:
            writer = AggregateWriter(client, keys, AggregationConfig(), load_areas(), 5)
            await writer.apply_canonical([first])
            assert [r.count for r in reader.counts()] == [1]  # read in generation 0
            planned = await writer.plan_canonical([second])
            await client.set(keys.generation_pointer, 1)  # a rebuild's swap
            outcomes = await writer.execute(planned)
            assert outcomes["counted", "police"] == 1
        finally:
            await client.aclose()

    asyncio.run(run())
    assert redis_client.exists(keys.record("police:s:2", 1))
    assert not redis_client.exists(keys.record("police:s:2", 0))
    assert {count_cell(r.source, r.area, r.category): r.count for r in reader.counts()} == {
        count_cell("police", "E05000956", "burglary"): 1
    }


def test_monitor_arguments_are_read_back_exactly() -> None:
    """The MONITOR line parser undoes Redis's escaping (quotes, backslashes, bytes)."""
    assert _unescape('a b\\"c\\\\\\x00\\n') == b'a b"c\\\x00\n'
    assert [_unescape(a) for a in ARGUMENT.findall('"GET" "k\\"1" ""')] == [b"GET", b'k"1', b""]
