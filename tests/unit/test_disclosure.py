"""Disclosure control: suppression and rounding, and an attacker who tries to recover a small
count by differencing every figure a partner can see (``aggregates.disclosure``)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aggregates.disclosure import (
    FEWER,
    SMALL,
    Role,
    Shown,
    disclose,
    disclose_sum,
    protected,
    round_to,
)

SHARED = (Role.PARTNER, Role.PUBLIC)
UPPER = 80  # counts the attacker considers (every generated count is well below)


def test_analyst_sees_exact_counts() -> None:
    for count in (0, 1, 4, 5, 7, 12, 1234):
        assert disclose(count, Role.ANALYST) == Shown(count, f"{count:,}")


@pytest.mark.parametrize("role", SHARED)
@pytest.mark.parametrize(
    ("count", "value", "text"),
    [
        (0, 0, "0"),
        (1, None, FEWER),
        (4, None, FEWER),
        (5, 5, "5"),
        (7, 5, "5"),
        (8, 10, "10"),
        (12, 10, "10"),
        (13, 15, "15"),
        (1237, 1235, "1,235"),
        (1238, 1240, "1,240"),
    ],
)
def test_partner_and_public_see_suppressed_and_rounded_counts(
    role: Role, count: int, value: int | None, text: str
) -> None:
    shown = disclose(count, role)
    assert (shown.value, shown.text, shown.suppressed) == (value, text, value is None)


def test_rounding_is_to_the_nearest_multiple() -> None:
    for count in range(200):
        assert abs(round_to(count) - count) <= 2
        assert round_to(count) % 5 == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        disclose(-1, Role.PARTNER)


# --- the attacker ------------------------------------------------------------------------


def candidates(shown: Shown, role: Role) -> list[int]:
    """Every count the attacker cannot tell apart from the true one by this figure alone
    (found by asking ``disclose`` itself, so the attack does not trust its docstring)."""
    return [v for v in range(UPPER) if disclose(v, role) == shown]


def consistent(
    views: Sequence[frozenset[int]], shown: Sequence[Shown], n: int, role: Role
) -> list[tuple[int, ...]]:
    """Every vector of ``n`` cell counts that yields exactly the figures shown for ``views``
    (sums of cells). Singletons narrow the search; other views filter it."""
    per_cell: list[list[int]] = [list(range(UPPER)) for _ in range(n)]
    for view, figure in zip(views, shown, strict=True):
        if len(view) == 1:
            (cell,) = view
            allowed = set(candidates(figure, role))
            per_cell[cell] = [v for v in per_cell[cell] if v in allowed]
    found = []
    for counts in product(*per_cell):
        if all(
            disclose_sum([counts[i] for i in view], role) == figure
            for view, figure in zip(views, shown, strict=True)
        ):
            found.append(counts)
    return found


cells = st.lists(st.integers(0, 25), min_size=2, max_size=4)


@st.composite
def views_of(draw: st.DrawFn) -> tuple[list[int], list[frozenset[int]]]:
    """Cell counts and the filters a partner could combine: every single cell (each is a
    filter value) and an arbitrary family of unions (multi-value filters, margins, the
    total; adjacent fixed windows overlap the same way)."""
    counts = draw(cells)
    n = len(counts)
    unions = draw(
        st.lists(
            st.frozensets(st.integers(0, n - 1), min_size=2, max_size=n), min_size=1, max_size=6
        )
    )
    return counts, [frozenset({i}) for i in range(n)] + unions


@pytest.mark.parametrize("role", SHARED)
@settings(max_examples=150, deadline=None)
@given(case=views_of())
@example(case=([4, 4], [frozenset({0}), frozenset({1}), frozenset({0, 1})]))  # 8 -> 10
@example(case=([1, 1, 1, 1, 1, 1], [*(frozenset({i}) for i in range(6)), frozenset(range(6))]))
def test_differencing_filters_cannot_pin_a_small_count(
    role: Role, case: tuple[list[int], list[frozenset[int]]]
) -> None:
    counts, views = case
    shown = [disclose_sum([counts[i] for i in view], role) for view in views]
    possible = consistent(views, shown, len(counts), role)
    assert tuple(counts) in possible  # the attacker's model is sound
    for cell, count in enumerate(counts):
        if 1 <= count < 5:
            values = {vector[cell] for vector in possible}
            assert len(values) > 1, f"cell {cell} = {count} recovered from {views} {shown}"


@pytest.mark.parametrize("role", SHARED)
@settings(max_examples=100, deadline=None)
@given(
    before=st.lists(st.integers(0, 20), min_size=2, max_size=3),
    late=st.lists(st.integers(0, 6), min_size=3, max_size=3),
)
@example(before=[1, 18, 2], late=[0, 0, 6])
@example(before=[4, 4], late=[0, 0, 0])
def test_successive_refreshes_cannot_pin_a_small_count(
    role: Role, before: list[int], late: list[int]
) -> None:
    """A fixed window seen twice, late records having arrived in between (the attacker sees
    each cell and the total both times, but not where the late records went)."""
    n = len(before)
    after = [b + d for b, d in zip(before, late[:n], strict=True)]
    views = [frozenset({i}) for i in range(n)] + [frozenset(range(n))]

    def figures(counts: list[int]) -> list[Shown]:
        return [disclose_sum([counts[i] for i in view], role) for view in views]

    earlier = consistent(views, figures(before), n, role)
    later = consistent(views, figures(after), n, role)

    def grew_into(x: tuple[int, ...], y: tuple[int, ...]) -> bool:
        return all(a >= b for a, b in zip(y, x, strict=True))

    possible = [x for x in earlier if any(grew_into(x, y) for y in later)]
    assert tuple(before) in possible
    for cell, count in enumerate(before):
        if 1 <= count < 5:
            assert len({x[cell] for x in possible}) > 1


def test_rounding_each_figure_alone_would_leak() -> None:
    """Why totals use the protected sum: two parts of 4 make 8, rounded to 10, and only
    4 + 4 is consistent with that (the attack found this against plain rounding)."""
    parts = [4, 4]
    figures = [disclose(4, Role.PARTNER), disclose(4, Role.PARTNER), disclose(8, Role.PARTNER)]
    assert figures[2].value == 10
    pairs = {
        (a, b)
        for a in candidates(figures[0], Role.PARTNER)
        for b in candidates(figures[1], Role.PARTNER)
        if disclose(a + b, Role.PARTNER) == figures[2]
    }
    assert pairs == {tuple(parts)}
    assert disclose_sum(parts, Role.PARTNER) == Shown(None, SMALL)  # 2 + 2 imputed
    assert disclose_sum([1, 1], Role.PARTNER) == disclose_sum(parts, Role.PARTNER)
    assert disclose_sum([4, 4, 4], Role.PARTNER).value == 5  # 6: 1 + 1 + 1 looks alike


def test_protected_sums() -> None:
    assert [protected(c) for c in (0, 1, 4, 5, 9)] == [0, 2, 2, 5, 9]
    assert disclose_sum([0, 0], Role.PUBLIC).text == "0"
    assert disclose_sum([3], Role.PUBLIC).text == FEWER
    assert disclose_sum([12, 3, 1], Role.PARTNER).value == 15  # 12 + 2 + 2 = 16
    assert disclose_sum([12, 3, 1], Role.ANALYST).value == 16
    with pytest.raises(ValueError, match="negative"):
        disclose_sum([3, -1], Role.PARTNER)


def test_the_attacker_does_pin_exact_counts() -> None:
    """The attack is real: against exact figures it recovers the small count at once."""
    views = [frozenset({0}), frozenset({1}), frozenset({0, 1})]
    shown = [disclose(v, Role.ANALYST) for v in (3, 40, 43)]
    possible = consistent(views, shown, 2, Role.ANALYST)
    assert {x[0] for x in possible} == {3}
