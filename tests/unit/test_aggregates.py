"""The aggregation arithmetic against brute force: windows, rollups, corrections (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates.buckets import (
    MONTH,
    Span,
    day_bounds,
    decompose,
    epoch_hour,
    home,
    month_bounds,
    placement,
)
from aggregates.config import AggregationConfig
from aggregates.contributions import PROFILE, breakdown_values, contribution, deltas, expanded
from aggregates.hashes import TOTALS, HashName
from aggregates.hour_of_week import PROFILE_SCALE
from aggregates.inputs import AggInput, canonical_doc, from_canonical
from aggregates.windows import detail_hashes, summarize, total_hashes
from geography.areas import load_areas
from schemas.codec import decode_incident
from tests.builders import encode, make_fire_incident

T0 = epoch_hour(datetime(2025, 9, 20, tzinfo=UTC))  # spans the October and March DST changes
T1 = epoch_hour(datetime(2026, 5, 10, tzinfo=UTC))
SHARD = "E08000015"  # the local authority: every record's first area, its keys' shard
CONFIG = AggregationConfig(
    breakdowns={"ward": ("cat", "youth")},
    crosses=("youth+loctype",),
    cross_levels=("ward",),
    profile_levels=("ward",),
)


def month_span(month: str) -> Span:
    return Span(*month_bounds(month))


@st.composite
def spans(draw: st.DrawFn) -> Span:
    kind = draw(st.sampled_from(["instant", "hours", "days", "month", "months"]))
    start = draw(st.integers(T0, T1))
    if kind == "instant":
        return Span(start, start + 1)
    if kind == "hours":
        return Span(start, start + draw(st.integers(2, 30)))
    if kind == "days":
        return Span(start, start + draw(st.integers(24, 24 * 40)))
    if kind == "month":
        return month_span(draw(st.sampled_from(["202510", "202511", "202603", "202604"])))
    return Span(start, start + draw(st.integers(24 * 32, 24 * 90)))


@st.composite
def inputs(draw: st.DrawFn) -> AggInput:
    youth = draw(st.sampled_from([(), ("youth",), ("adult",)]))
    loctype = draw(st.sampled_from([(), ("park-open-space",), ("street",)]))
    dims = tuple((n, v) for n, v in (("youth", youth), ("loctype", loctype)) if v)
    return AggInput(
        source="police",
        category=draw(st.sampled_from(["burglary", "drugs"])),
        span=draw(spans()),
        areas=(
            ("borough", SHARD),
            ("ward", draw(st.sampled_from(["E05000956", "E05000960"]))),
        ),
        dims=dims,
    )


def store(events: list[AggInput]) -> dict[HashName, Counter[str]]:
    hashes: dict[HashName, Counter[str]] = defaultdict(Counter)
    for event in events:
        for (key, name), n in contribution(event, CONFIG).items():
            hashes[key][name] += n
    return hashes


def brute_force(
    events: list[AggInput], start: int, end: int, breakdown: str
) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        where = placement(e.span, start, end)
        for value in breakdown_values(e, breakdown):
            name = f"{dict(e.areas)['ward']}|{e.category}" + (f"|{value}" if value else "")
            if where == "inside":
                out[name][0] += 1
            elif where == "unplaced":
                out[name][1] += 1
    return {k: (c, u) for k, (c, u) in out.items() if c or u}


def read(
    hashes: dict[HashName, Counter[str]], start: int, end: int, breakdown: str
) -> dict[str, tuple[int, int]]:
    dec = decompose(start, end)
    tallies = summarize(
        [hashes.get(k.of(SHARD), Counter()) for k in total_hashes(dec, "ward", breakdown)],
        [hashes.get(k.of(SHARD), Counter()) for k in detail_hashes(dec, "ward", breakdown)],
        start,
        end,
    )
    return {k: (t.count, t.unplaced) for k, t in tallies.items() if t.count or t.unplaced}


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(inputs(), max_size=25),
    start=st.integers(T0, T1),
    length=st.integers(1, 24 * 120),
    breakdown=st.sampled_from(["cat", "youth", "youth+loctype"]),
)
def test_window_reads_equal_brute_force(events, start, length, breakdown):  # type: ignore[no-untyped-def]
    """Any window's counts and unplaced equal a brute-force recount of the events."""
    assert read(store(events), start, start + length, breakdown) == brute_force(
        events, start, start + length, breakdown
    )


def test_month_only_record_counts_in_its_month_and_is_unplaced_in_a_day():
    """A police month-only record counts in a window covering its month, unplaced in 24 h."""
    event = AggInput(
        "police",
        "burglary",
        month_span("202603"),
        (
            ("borough", SHARD),
            ("ward", "W"),
        ),
        (),
    )
    hashes = store([event])
    m0, m1 = month_bounds("202603")
    assert read(hashes, m0, m1, "cat") == {"W|burglary": (1, 0)}
    d0, d1 = day_bounds("20260315")
    assert read(hashes, d0, d1, "cat") == {"W|burglary": (0, 1)}
    assert read(hashes, m1, m1 + 24, "cat") == {}


def test_dst_days_have_23_and_25_hours():
    """UK local days are whole UTC hours: 23 h in March, 25 h in October."""
    assert day_bounds("20260329")[1] - day_bounds("20260329")[0] == 23
    assert day_bounds("20251026")[1] - day_bounds("20251026")[0] == 25


def test_home_is_the_smallest_containing_bucket():
    """An instant's home is its hour; an evening interval its day; a month its month."""
    assert home(Span(T0, T0 + 1)).grain == "h"
    d0, _ = day_bounds("20260110")
    assert home(Span(d0 + 18, d0 + 22)).grain == "d"
    assert home(month_span("202601")).grain == "m"
    assert home(Span(d0, d0 + 24 * 60)).grain == "long"


@given(old=inputs(), new=inputs())
def test_correction_deltas_move_everything(old, new):  # type: ignore[no-untyped-def]
    """Applying old then the old->new deltas leaves exactly new's contribution."""
    state = contribution(old, CONFIG)
    state.update(expanded(deltas(old, new, CONFIG)))
    assert +state == contribution(new, CONFIG)
    assert all(v >= 0 for v in state.values())


def test_cancellation_retracts_everything():
    """Deltas from a version to nothing cancel its whole contribution."""
    event = AggInput(
        "fire",
        "secondary-fire",
        Span(T0, T0 + 1),
        (
            ("borough", SHARD),
            ("ward", "W"),
        ),
        (("youth", ("youth",)),),
    )
    state = contribution(event, CONFIG)
    state.update(expanded(deltas(event, None, CONFIG)))
    assert +state == Counter()


def test_encode_round_trip():
    """The stored record state decodes to the same input."""
    event = AggInput(
        "council",
        "asb-nuisance",
        Span(T0, T0 + 5),
        (("borough", SHARD), ("ward", "W"), ("lsoa", "L")),
        (("flag", ("alcohol-related", "hate-race")),),
    )
    assert AggInput.decode(event.encode()) == event


def _profile(inp: AggInput) -> dict[int, int]:
    """Hour-of-week -> weight over every month of one event's profile cells."""
    out: Counter[int] = Counter()
    for (key, name), weight in contribution(inp, CONFIG).items():
        if (key.kind, key.grain, key.breakdown, key.authority) == (TOTALS, MONTH, PROFILE, SHARD):
            out[int(name.rsplit("|", 1)[1])] += weight
    return dict(out)


def test_instant_puts_its_whole_weight_in_its_local_hour_of_week():
    """Monday 09:30 BST (08:30 UTC) lands wholly in Monday 09:00 local (hour 9)."""
    hour = epoch_hour(datetime(2026, 6, 1, 8, 30, tzinfo=UTC))
    event = AggInput(
        "fire",
        "secondary-fire",
        Span(hour, hour + 1),
        (
            ("borough", SHARD),
            ("ward", "W"),
        ),
        (),
    )
    assert _profile(event) == {9: PROFILE_SCALE}


def test_interval_is_spread_evenly_never_at_the_midpoint():
    """A 4-hour interval gives a quarter to each of its hours (Tuesday 20:00–24:00 local)."""
    hour = epoch_hour(datetime(2026, 6, 2, 19, tzinfo=UTC))
    event = AggInput(
        "council",
        "asb-nuisance",
        Span(hour, hour + 4),
        (
            ("borough", SHARD),
            ("ward", "W"),
        ),
        (),
    )
    assert _profile(event) == {44: 250_000, 45: 250_000, 46: 250_000, 47: 250_000}


@given(inp=inputs())
def test_every_event_weighs_exactly_one(inp):  # type: ignore[no-untyped-def]
    """Fixed-point weights of any event sum to exactly one event (no residue on retraction)."""
    assert sum(_profile(inp).values()) == PROFILE_SCALE
    assert all(0 <= how < 168 for how in _profile(inp))


def test_a_point_off_the_grid_places_nothing_and_has_no_cell() -> None:
    """The contract's lat/lon box reaches off the British National Grid (49 N, 0 E is in the
    Channel): such a point is no grid cell and locates no LSOA; the ward code still counts."""
    areas = load_areas()
    doc = canonical_doc(
        decode_incident(encode(make_fire_incident(data={"location": {"lat": 49.0, "lon": 0.0}})))
    )
    doc["data"]["location"] = {"lat": 49.0, "lon": 0.0, "ward_code": "E05000954"}
    assert from_canonical(doc, areas).areas == (
        ("borough", "E08000015"),
        ("ward", "E05000954"),
        ("wider", "E08000015"),
    )
    doc["data"]["location"] = {"lat": 49.0, "lon": 0.0}
    assert from_canonical(doc, areas).areas == ()


def test_an_lsoa_of_another_area_is_no_level() -> None:
    """A ward of ours with an LSOA code from elsewhere counts in the ward, not in that LSOA."""
    doc = canonical_doc(decode_incident(encode(make_fire_incident())))
    doc["data"]["location"] = {"lsoa_code": "E01006512", "ward_code": "E05000954"}
    levels = dict(from_canonical(doc, load_areas()).areas)
    assert levels == {"borough": "E08000015", "ward": "E05000954", "wider": "E08000015"}
