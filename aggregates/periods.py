"""Named time windows and the comparisons between them (pure): the one place that says
which windows there are and where they lie.

Every window is half-open, [start, end): it holds the instants t with start <= t < end.
Resolved, its bounds are whole UTC hours (epoch hours, ``aggregates.buckets.epoch_hour``);
how a window's counts are summed from bucket totals is ``aggregates.windows``.

- **Rolling** windows (``ROLLING``) end at the end of the current clock hour (the current
  hour counts as it fills): ``1h``, ``24h``, ``7d``, ``28d`` are that many whole hours
  (``7d`` is 168 hours, also across a clock change); ``ytd`` starts at 1 January and
  ``fytd`` at 1 April (the UK financial year), local midnight. ``safer query --window``
  offers all of them; the dashboard's analyst the first four (``LIVE``).
- **Fixed** windows (``FIXED_WINDOWS``) are whole local days up to the last local
  midnight — yesterday, 7, 28 and 365 days — so a refresh changes their figures only when
  a day closes or late records arrive (the dashboard's partner and public windows).
- **Whole months** (``MONTH_WINDOWS``): the last 3 or 12 complete local months, and for
  who may see it the current month so far (hot-spot times).
- **Comparisons**: a week earlier (``WEEK_HOURS``) and a year earlier, 364 days
  (``YEAR_EARLIER``: 52 weeks, so weekdays align). A series of whole months compares each
  month with the same month a year before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from aggregates.buckets import epoch_hour, hour_start
from schemas.calendar import LONDON

WEEK_HOURS = 7 * 24
YEAR_EARLIER_DAYS = 364
"""A year earlier is 52 weeks, so that a Tuesday compares with a Tuesday."""
YEAR_EARLIER = timedelta(days=YEAR_EARLIER_DAYS)
YEAR_EARLIER_HOURS = YEAR_EARLIER_DAYS * 24


def year_earlier(day: date) -> date:
    """The same weekday 52 weeks earlier."""
    return day - YEAR_EARLIER


def local_midnight(day: date) -> datetime:
    """The start of a local (Europe/London) day."""
    return datetime(day.year, day.month, day.day, tzinfo=LONDON)


def end_of_this_hour(now: datetime) -> int:
    """The epoch hour after ``now``'s: windows up to now include the current hour."""
    return epoch_hour(now) + 1


@dataclass(frozen=True, slots=True)
class Window:
    """A window [start, end) in epoch hours, with its name (``slug``) and label."""

    slug: str
    label: str
    start: int
    end: int

    @classmethod
    def between(cls, slug: str, label: str, start: datetime, end: datetime) -> Window:
        """The window from ``start``'s hour to ``end``'s (both on whole hours)."""
        return cls(slug, label, epoch_hour(start), epoch_hour(end))

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def start_time(self) -> datetime:
        return hour_start(self.start)

    @property
    def end_time(self) -> datetime:
        """The first instant after the window."""
        return hour_start(self.end)

    def contains(self, moment: datetime) -> bool:
        """Whether an instant lies in the window: the start is in it, the end is not."""
        return self.start_time <= moment < self.end_time

    def shifted(self, hours: int) -> Window:
        """The same window ``hours`` earlier."""
        return Window(self.slug, self.label, self.start - hours, self.end - hours)

    def week_earlier(self) -> Window:
        return self.shifted(WEEK_HOURS)

    def year_earlier(self) -> Window:
        """The same window 364 days earlier (weekdays align)."""
        return self.shifted(YEAR_EARLIER_HOURS)

    def relabelled(self, label: str) -> Window:
        return replace(self, label=label)


# --- rolling windows --------------------------------------------------------------------

ROLLING_LABELS = {
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "28d": "Last 28 days",
    "365d": "Last 365 days",
    "ytd": "Year to date",
    "fytd": "Financial year to date",
}
ROLLING = tuple(ROLLING_LABELS)
LIVE = ("1h", "24h", "7d", "28d", "365d")
"""The rolling windows of the dashboard's analyst (beside years to date and dates)."""


def rolling_window(name: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a named rolling window; every one ends at the end of now's hour.

    ``Nh`` / ``Nd``: the N hours (N×24 hours) ending there; ``ytd``: from 1 January local
    midnight; ``fytd``: from 1 April local midnight (UK financial year, Europe/London).
    ``ValueError`` for any other name.
    """
    end = hour_start(end_of_this_hour(now))
    today = now.astimezone(LONDON).date()
    if name == "ytd":
        return local_midnight(date(today.year, 1, 1)), end
    if name == "fytd":
        year = today.year if today.month >= 4 else today.year - 1
        return local_midnight(date(year, 4, 1)), end
    if name.endswith("h"):
        return end - timedelta(hours=int(name[:-1])), end
    if name.endswith("d"):
        return end - timedelta(hours=24 * int(name[:-1])), end
    raise ValueError(f"unknown window {name!r} (one of {', '.join(ROLLING)})")


def rolling_windows(now: datetime, names: Sequence[str] = LIVE) -> list[Window]:
    """The named rolling windows (default ``LIVE``) as of ``now``."""
    return [Window.between(n, ROLLING_LABELS[n], *rolling_window(n, now)) for n in names]


def since(start: datetime, now: datetime) -> tuple[int, int]:
    """From ``start``'s hour to the end of now's hour, and at least that one hour."""
    first = epoch_hour(start)
    return first, max(end_of_this_hour(now), first + 1)


# --- fixed windows ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FixedWindow:
    """A preset window ending at the last local midnight (``days`` whole local days)."""

    slug: str
    label: str
    days: int

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) as UTC-aware datetimes: whole local days up to today's midnight."""
        today = now.astimezone(LONDON).date()
        return local_midnight(today - timedelta(days=self.days)), local_midnight(today)

    def window(self, now: datetime) -> Window:
        return Window.between(self.slug, self.label, *self.bounds(now))


FIXED_WINDOWS: tuple[FixedWindow, ...] = (
    FixedWindow("yesterday", "Yesterday", 1),
    FixedWindow("7d", "Last 7 days", 7),
    FixedWindow("28d", "Last 28 days", 28),
    FixedWindow("365d", "Last 365 days", 365),
)
FIXED_BY_SLUG = {w.slug: w for w in FIXED_WINDOWS}


def fixed_windows(now: datetime) -> list[Window]:
    """Every fixed window as of ``now``."""
    return [w.window(now) for w in FIXED_WINDOWS]


# --- whole months -----------------------------------------------------------------------

MONTH_WINDOWS = {"3m": ("Last 3 months", 3), "12m": ("Last 12 months", 12)}


def month_window(slug: str, now: datetime, so_far: bool) -> Window:
    """The last N complete local months, plus (``so_far``) the current month up to the end
    of now's hour."""
    label, months = MONTH_WINDOWS[slug]
    today = now.astimezone(LONDON).date()
    index = today.year * 12 + today.month - 1
    year, month = divmod(index - months, 12)
    start = epoch_hour(local_midnight(date(year, month + 1, 1)))
    if so_far:
        return Window(slug, f"{label} and this month so far", start, end_of_this_hour(now))
    this_month = epoch_hour(local_midnight(today.replace(day=1)))
    return Window(slug, f"{label} (whole months)", start, this_month)


# --- periods a viewer chooses -----------------------------------------------------------

YEAR_TO_DATE = {"ytd": "Year to date", "fytd": "Financial year to date"}
CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Period:
    """What a viewer chose: a named window (``slug``: a rolling or fixed window's, ``ytd``,
    ``fytd``) or ``custom`` dates (``first`` to ``last``, whole local days, both included);
    with ``last_year``, the same period a year earlier."""

    slug: str
    first: date | None = None
    last: date | None = None
    last_year: bool = False

    def window(self, now: datetime, whole_days: bool) -> Window:
        """The period as of ``now``: up to the end of now's hour, or (``whole_days``, as
        partner and public see every window) up to the last local midnight."""
        window = self._this_year(now, whole_days)
        return _year_before(window, self) if self.last_year else window

    def _this_year(self, now: datetime, whole_days: bool) -> Window:
        if self.slug == CUSTOM:
            if self.first is None or self.last is None:
                raise ValueError("custom dates need a first and a last day")
            return custom_window(self.first, self.last)
        if self.slug in YEAR_TO_DATE:
            return year_to_date(self.slug, now, whole_days)
        if whole_days:
            return FIXED_BY_SLUG[self.slug].window(now)
        return rolling_windows(now, (self.slug,))[0]


def custom_window(first: date, last: date) -> Window:
    """Whole local days from ``first`` to ``last`` (both included; reversed dates are put
    in order)."""
    first, last = min(first, last), max(first, last)
    label = f"{first:%-d %b %Y} to {last:%-d %b %Y}" if first != last else f"{first:%-d %b %Y}"
    return Window.between(
        CUSTOM, label, local_midnight(first), local_midnight(last + timedelta(days=1))
    )


def year_to_date(slug: str, now: datetime, whole_days: bool) -> Window:
    """From 1 January (``ytd``) or 1 April (``fytd``) local midnight to the end of now's
    hour, or (``whole_days``) to the last local midnight (at least the year's first day)."""
    start, end = rolling_window(slug, now)
    if whole_days:
        today = local_midnight(now.astimezone(LONDON).date())
        end = max(today, start + timedelta(days=1))
    return Window.between(slug, YEAR_TO_DATE[slug], start, end)


def _year_before(window: Window, period: Period) -> Window:
    """The same period a year earlier: the same dates for dates and years to date, 364 days
    (weekdays aligned, as every year-earlier comparison) for the hour and day windows."""
    label = f"{window.label} — same period last year"
    if period.slug != CUSTOM and period.slug not in YEAR_TO_DATE:
        return window.year_earlier().relabelled(label)
    start, end = (_a_year_before(t) for t in (window.start_time, window.end_time))
    return Window.between(window.slug, label, start, end)


def _a_year_before(moment: datetime) -> datetime:
    """The same local date and time a year earlier (29 February: the 28th)."""
    local = moment.astimezone(LONDON)
    day = local.date()
    try:
        earlier = day.replace(year=day.year - 1)
    except ValueError:
        earlier = day.replace(year=day.year - 1, day=28)
    return datetime.combine(earlier, local.time(), tzinfo=LONDON)
