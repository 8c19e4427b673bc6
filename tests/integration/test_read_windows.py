"""Window reads summed inside Redis (``store/read_windows.lua``) on a real redis-server: the
same figures as the pure arithmetic (``aggregates.windows.summarize``), over hashes sharded
by local authority, read only for the reader's authorities."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis

from aggregates.buckets import decompose, epoch_hour
from aggregates.hashes import DETAIL, HashName
from aggregates.windows import detail_hashes, summarize, total_hashes
from store.keys import Keys
from store.reader import StoreReader

T0 = epoch_hour(datetime(2026, 3, 20, tzinfo=UTC))  # windows reach over the March DST change
AUTHORITIES = ("E08000015", "E08000011")
FIELDS = ("E05000956|burglary", "E05000960|drugs", "cell-1|burglary", "E05000956|drugs|youth")


def _hashes_for(start: int, end: int) -> list[HashName]:
    dec = decompose(start, end)
    return total_hashes(dec, "ward", "cat") + detail_hashes(dec, "ward", "cat")


@st.composite
def stores(draw: st.DrawFn) -> tuple[dict[tuple[HashName, str], dict[str, int]], int, int]:
    """Random contents of the hashes a window reads, per authority, and the window."""
    start = draw(st.integers(T0, T0 + 24 * 40))
    end = start + draw(st.integers(1, 24 * 45))
    contents: dict[tuple[HashName, str], dict[str, int]] = {}
    for name in _hashes_for(start, end):
        for authority in AUTHORITIES:
            fields: dict[str, int] = {}
            for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
                if name.kind == DETAIL:
                    s = draw(st.integers(start - 48, end + 48))
                    field = f"{field}|{s}-{s + draw(st.integers(1, 24 * 31))}"
                fields[field] = draw(st.integers(1, 9))
            if fields:
                contents[name, authority] = fields
    return contents, start, end


def _write(redis: Redis, keys: Keys, contents: dict[tuple[HashName, str], dict[str, int]]) -> None:
    for (name, authority), fields in contents.items():
        redis.hset(keys.aggregate(name.of(authority), 0), mapping=fields)


def _expected(
    contents: dict[tuple[HashName, str], dict[str, int]],
    authorities: tuple[str, ...],
    start: int,
    end: int,
) -> dict[str, tuple[int, int]]:
    dec = decompose(start, end)

    def merged(name: HashName) -> Counter[str]:
        out: Counter[str] = Counter()
        for authority in authorities:
            out.update(contents.get((name, authority), {}))
        return out

    tallies = summarize(
        [merged(n) for n in total_hashes(dec, "ward", "cat")],
        [merged(n) for n in detail_hashes(dec, "ward", "cat")],
        start,
        end,
    )
    return {k: (t.count, t.unplaced) for k, t in tallies.items() if t.count or t.unplaced}


def _got(reader: StoreReader, start: int, end: int, unplaced: bool) -> dict[str, tuple[int, int]]:
    (rows,) = reader.windows("ward", [(start, end)], unplaced=unplaced)
    return {
        "|".join(p for p in (r.area, r.category, r.value) if p): (r.count, r.unplaced) for r in rows
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # a fresh prefix per input
)
@given(case=stores())
def test_lua_window_sums_equal_the_pure_arithmetic(redis_client: Redis, case) -> None:  # type: ignore[no-untyped-def]
    """Any window over any contents: each authority alone and both together (a field in
    both, like a grid cell on a boundary, is added up) give exactly ``summarize``'s figures;
    placed-only reads drop the unplaced and keep every count."""
    contents, start, end = case
    keys = Keys(f"w{uuid.uuid4().hex[:10]}:")
    _write(redis_client, keys, contents)
    for scope in ((AUTHORITIES[0],), (AUTHORITIES[1],), AUTHORITIES):
        reader = StoreReader(redis_client, keys, scope)
        expected = _expected(contents, scope, start, end)
        assert _got(reader, start, end, unplaced=True) == expected
        placed = {k: (c, 0) for k, (c, _) in expected.items() if c}
        assert _got(reader, start, end, unplaced=False) == placed


def test_a_reader_reads_only_its_authorities(redis_client: Redis) -> None:
    """Another authority's events, in the same buckets, never reach this reader's figures;
    the same window asked twice is read once and answered twice."""
    keys = Keys(f"w{uuid.uuid4().hex[:10]}:")
    start, end = T0 + 8, T0 + 9
    (name,) = total_hashes(decompose(start, end), "ward", "cat")
    redis_client.hset(keys.aggregate(name.of(AUTHORITIES[0]), 0), FIELDS[0], 3)
    redis_client.hset(keys.aggregate(name.of(AUTHORITIES[1]), 0), FIELDS[1], 5)
    ours = StoreReader(redis_client, keys, AUTHORITIES[:1])
    first, again = ours.windows("ward", [(start, end), (start, end)])
    assert first == again
    assert [(r.area, r.category, r.count) for r in first] == [("E05000956", "burglary", 3)]
    both = StoreReader(redis_client, keys, AUTHORITIES).windows("ward", [(start, end)])[0]
    assert sorted(r.count for r in both) == [3, 5]
