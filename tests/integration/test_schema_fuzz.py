"""Schema-driven fuzzing through the real worker: raw messages drawn from the exported JSON
Schema (valid ones and near misses, ``tests.schema_fuzz``) and raw garbage, published through
the real broker to a real worker and Redis. The worker never exits; every message ends either
counted (on the canonical topic) or dead-lettered with a reason; ``safer query`` and the read
API keep working; and the counts equal a brute-force recount of the accepted events."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from redis import Redis

from geography.areas import Areas, load_areas
from geography.bng import on_grid
from safer.settings import Settings
from schemas.categories import ACTIVITY_KINDS, RecordStatus, Source
from schemas.deadletter import DeadLetter
from schemas.export import SCHEMA_DIR
from schemas.topics import Topics
from store.reader import StoreReader
from tests.builders import count_cell
from tests.integration.worker import produce, read_topic, running_worker, safer_cli, wait_for
from tests.schema_fuzz import SchemaFuzz, rarely

AREAS = load_areas()
_SCHEMA = json.loads((SCHEMA_DIR / "incident-event.v1.schema.json").read_text())
_HINTS = {  # codes of the partnership most of the time, so that valid events are counted
    "lsoa_code": st.one_of(st.sampled_from(sorted(AREAS.lsoa_ward)), st.none()),
    "ward_code": st.one_of(st.sampled_from(sorted(AREAS.ward_names)), st.just("E05999999")),
    "end": st.none(),  # intervals are drawn as near misses of their own (below)
}
_DOCUMENTS = SchemaFuzz(_SCHEMA, _HINTS).documents()  # once: its time bounds are fixed now
_GARBAGE = st.one_of(
    st.binary(max_size=200),
    st.just(b""),
    st.just(b"null"),
    st.just(b"\xef\xbb\xbf{}"),
    st.builds(lambda depth: b"[" * depth + b"]" * depth, st.integers(1, 5000)),
)
Message = tuple[str, bytes | None, bytes]


@st.composite
def messages(draw: st.DrawFn) -> Message:
    """(raw topic, key, value): mostly a schema-drawn document keyed by its record_key (now
    and then keyless or another key, or on another source's topic), sometimes garbage."""
    topics = Topics("")
    garbage = draw(rarely(0.1, _GARBAGE.map(lambda b: [b]), st.just([])))
    if garbage:
        return topics.raw(draw(st.sampled_from(list(Source)))).name, b"k", garbage[0]
    doc = draw(_DOCUMENTS)
    fields = doc if isinstance(doc, dict) else {}
    named = {s.value: s for s in Source}.get(str(fields.get("source")))
    source = named or draw(st.sampled_from(list(Source)))
    record_key = fields.get("record_key")
    key = record_key.encode() if isinstance(record_key, str) else None
    key = draw(rarely(0.1, st.sampled_from([None, b"another-key"]), st.just(key)))
    return topics.raw(source).name, key, json.dumps(doc).encode()


def recount(accepted: list[dict[str, Any]], areas: Areas) -> Counter[str]:
    """Brute force: per record its highest version; cancelled and police activity count
    nowhere; a record lies in its LSOA's ward, else its own ward code (the partnership's)."""
    latest: dict[str, dict[str, Any]] = {}
    for doc in accepted:
        known = latest.get(doc["record_key"])
        if known is None or doc["version"] > known["version"]:
            latest[doc["record_key"]] = doc
    cells: Counter[str] = Counter()
    for doc in latest.values():
        if doc.get("status") == RecordStatus.CANCELLED.value or doc["type"] in ACTIVITY_KINDS:
            continue
        loc = doc["data"].get("location", {})
        lsoa = areas.lsoa(loc["lsoa_code"]) if loc.get("lsoa_code") else None
        lat, lon = loc.get("lat"), loc.get("lon")
        if lsoa is None and lat is not None and lon is not None and on_grid(lat, lon):
            lsoa = areas.locate(lat, lon)  # (a point off the grid places nothing)
        ward = areas.lsoa_ward.get(lsoa or "") or loc.get("ward_code")
        if ward in areas.ward_names:
            cells[count_cell(doc["source"], ward, doc["data"]["category"])] += 1
    return cells


def _handled(reader: StoreReader) -> tuple[int, int]:
    """(validated, dead-lettered) messages so far."""
    outcomes = reader.live_snapshot(latest=1).outcomes
    return tuple(  # type: ignore[return-value]
        sum(n for k, n in outcomes.items() if k.startswith(f"{what}|"))
        for what in ("validated", "dead-lettered")
    )


FUZZ = hypothesis_settings(
    max_examples=300,
    deadline=None,
    database=None,
    phases=[Phase.generate],  # a generator here: the checks run on the worker afterwards
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
CHUNK = 30  # messages published between two checks


def _drawn() -> list[Message]:
    """300 messages as Hypothesis explores the strategy (one example each: a list of
    hundreds of documents would overrun its buffer). The worker is checked after each chunk,
    outside Hypothesis: a replay would publish again to the same, stateful worker."""
    drawn: list[Message] = []

    @FUZZ
    @given(messages())
    def collect(message: Message) -> None:
        drawn.append(message)

    collect()
    return drawn


def test_schema_drawn_messages_are_counted_or_dead_lettered_exactly(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """Hundreds of schema-drawn messages and near misses through one real worker, 30 at a
    time: it never exits, each message is on the canonical topic or dead-lettered with a
    reason, the counts equal a brute-force recount and `safer query` works."""
    topics = Topics(settings.topic_prefix)
    reader = StoreReader.of(redis_client, settings)
    drawn = _drawn()
    sent: list[Message] = []
    with running_worker(settings, tmp_path) as worker:
        wait_for(worker.alive, 10, "worker start")
        pid = worker.pid
        for first in range(0, len(drawn), CHUNK):
            chunk = drawn[first : first + CHUNK]
            for topic in {t for t, _, _ in chunk}:
                mine = [(k, v) for t, k, v in chunk if t == topic]
                produce(settings, settings.topic_prefix + topic, mine)
            sent.extend(chunk)
            wait_for(lambda: sum(_handled(reader)) == len(sent), 90, "all", worker.log_path)
            assert worker.alive(), "the worker exited"
            assert worker.pid == pid, "the worker restarted"
            dead = _check(settings, topics, reader, sent)
    reasons = Counter(d.reason.value for d in dead)
    assert sum(reasons.values()) < len(sent), "nothing was counted: the fuzz proves little"
    assert len(reasons) >= 5, f"too few kinds of rejection drawn: {reasons}"


def _check(
    settings: Settings, topics: Topics, reader: StoreReader, sent: list[Message]
) -> list[DeadLetter]:
    """Every message accounted for once, counts as recounted, the reads working; returns the
    dead letters."""
    validated, dead_lettered = _handled(reader)
    canonical = [json.loads(v) for v in read_topic(settings, topics.incidents.name, validated)]
    dead_letters = read_topic(settings, topics.deadletter.name, dead_lettered)
    dead = [DeadLetter.model_validate_json(v) for v in dead_letters]
    assert len(canonical) + len(dead) == len(sent), "a message neither counted nor dead-lettered"
    assert all(d.reason and d.detail for d in dead)
    assert Counter(d.original_value for d in dead) <= Counter(v for _, _, v in sent)
    counted = {count_cell(r.source, r.area, r.category): r.count for r in reader.counts()}
    assert counted == recount(canonical, AREAS)
    done = safer_cli(settings, "query", "counts", "--level", "ward", "--window", "24h")
    assert done.returncode == 0, done.stderr
    reader.live_view(10, "ward", [(0, 10**6)])  # the read API works over whatever was stored
    return dead
