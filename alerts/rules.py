"""Near-repeat and cross-agency rules (pure): an incident of one kind near earlier ones of
a kind, soon after — the same category (a burglary within 200 m of an earlier burglary in
14 days: near-repeat victimisation, Johnson et al. 2007; Bowers and Johnson 2004 for
Merseyside) or another agency's (a deliberate secondary fire within 250 m of anti-social
behaviour reported in the previous 72 hours).

A rule's *triggers* are its ``then`` incidents that started in the last ``recent_hours``;
each is matched with the ``first`` incidents (not itself) within ``metres`` that started up
to ``hours`` before it (``store.nearby`` searches the geo index, ``aggregates.nearby``).

**Only an unusual match alerts.** Incidents cluster where people and places are (a busy
street has a burglary within 200 m most fortnights), so a match alone says little: on the
partnership's simulated traffic, 50 wards had one at any time. As a Knox test compares
close-in-space-and-time pairs with what space and time alone would give, each trigger's
count of earlier incidents is compared with what the same circle usually holds: its
count over the ``BASELINE_FACTOR`` times longer period just before (the *baseline*),
scaled to the rule's time, plus half an incident (a circle with none before is not
infinitely unusual). p = P(X >= matched) for X Poisson with that mean; across every
trigger of every rule in one evaluation the p-values are adjusted by Benjamini-Hochberg
(``statsmodels``), and a trigger counts when its adjusted p is at most the FDR level.

A rule needs history: its baseline is cut to the weeks the feeds covered (the spike
model's rule, ``aggregates.unusual.covered_weeks``), and with less than the rule's own time
of it the rule raises nothing (burglary's needs 14 + 14 days and the day of triggers).

Counted triggers are grouped by ward: one alert per rule and ward, raised when a ward
gets its first, updated when the incidents matched change, resolved when none are left —
the triggers aged past ``recent_hours``, the circle became usual, or a correction or
cancellation withdrew an incident (the index follows every version, so a withdrawn match
is simply not found).

Defaults (``DEFAULT_RULES``) follow the literature and the partners' questions; a
partnership can set its own (``SAFER_ALERT_RULES``, JSON: ``[{"slug", "label", "kind",
"first", "then", "metres", "hours"}, ...]``, optionally ``"then_cause"`` and
``"recent_hours"``) and check them against its own history with
``safer calibrate near-repeat`` (a Knox test).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from scipy.stats import poisson
from statsmodels.stats.multitest import multipletests

from aggregates.nearby import RETENTION_DAYS, Nearby
from alerts.groups import ASB
from alerts.states import Alert, alert_id, stamp_of
from safer.errors import ConfigError
from schemas.categories import CATEGORY_NAMES, CrimeType, FireCategory

KINDS = ("near-repeat", "cross-agency")
RECENT_HOURS = 24
BASELINE_FACTOR = 4
"""The baseline is this many times the rule's time, just before it (capped by what the
geo index keeps)."""
PRIOR = 0.5
"""Incidents added to a circle's usual count (a first one is not infinitely unusual)."""


@dataclass(frozen=True, slots=True)
class Rule:
    slug: str
    label: str
    """What a trigger is, as a sentence says it: "burglaries"."""
    kind: str
    first: frozenset[str]
    then: frozenset[str]
    metres: float
    hours: float
    first_label: str = ""
    """What the earlier incidents are: "earlier burglaries"."""
    then_cause: str | None = None
    """Only triggers with this recorded cause (fires: "deliberate")."""
    recent_hours: float = RECENT_HOURS
    covered_hours: float | None = None
    """How far back the feeds covered, when known (``with_history``)."""

    @property
    def baseline_hours(self) -> float:
        """How far before its time a trigger's circle is counted as usual: ``BASELINE_FACTOR``
        times its time, less where the geo index or the feeds' history is shorter."""
        kept = (RETENTION_DAYS - 1) * 24 - self.hours - self.recent_hours
        if self.covered_hours is not None:
            kept = min(kept, self.covered_hours - self.hours - self.recent_hours)
        return min(BASELINE_FACTOR * self.hours, kept)

    @property
    def judged(self) -> bool:
        """Whether there is history enough to say what is usual: a baseline at least as
        long as the rule's time."""
        return self.baseline_hours >= self.hours

    def triggers(self, found: Nearby) -> bool:
        return found.category in self.then and (
            self.then_cause is None or found.cause == self.then_cause
        )

    @property
    def window(self) -> str:
        """The rule's span as the alert's window: "200m-14d", "250m-72h"."""
        span = (
            f"{self.hours / 24:g}d"
            if self.hours % 24 == 0 and self.hours >= 168
            else (f"{self.hours:g}h")
        )
        return f"{self.metres:g}m-{span}"


DEFAULT_RULES = (
    Rule(
        "burglary-near-repeat",
        "burglaries",
        "near-repeat",
        frozenset({CrimeType.BURGLARY.value}),
        frozenset({CrimeType.BURGLARY.value}),
        200,
        14 * 24,
        "earlier burglaries",
    ),
    Rule(
        "asb-then-deliberate-fire",
        "deliberate secondary fires",
        "cross-agency",
        ASB,
        frozenset({FireCategory.SECONDARY_FIRE.value}),
        250,
        72,
        "ASB reports",
        then_cause="deliberate",
    ),
    Rule(
        "damage-then-asb",
        "ASB reports",
        "cross-agency",
        frozenset({CrimeType.CRIMINAL_DAMAGE_ARSON.value}),
        ASB,
        250,
        72,
        "criminal damage reports",
    ),
)


@dataclass(frozen=True, slots=True)
class Match:
    """A trigger, the earlier incidents near it, and the circle's count before them."""

    trigger: Nearby
    earlier: tuple[Nearby, ...]
    before: int = 0
    usual: float = 0.0
    p: float = 1.0
    p_adjusted: float = 1.0
    flagged: bool = False


def with_history(rules: Sequence[Rule], covered_hours: float) -> tuple[Rule, ...]:
    """The rules that can be judged with this much history, their baselines fitted to it."""
    fitted = (replace(rule, covered_hours=covered_hours) for rule in rules)
    return tuple(rule for rule in fitted if rule.judged)


def usual(rule: Rule, before: int) -> float:
    """The earlier incidents a trigger's circle usually holds in the rule's time."""
    return (before + PRIOR) * rule.hours / rule.baseline_hours


def judge(
    rules: Sequence[Rule], matches: Mapping[str, Sequence[Match]], fdr: float
) -> dict[str, list[Match]]:
    """Each trigger's p and adjusted p (Benjamini-Hochberg across every trigger of every
    rule), flagged when the adjusted p is at most ``fdr`` and it matched at least one."""
    scored: list[tuple[str, Match]] = []
    for rule in rules:
        for m in matches.get(rule.slug, ()):
            mean = usual(rule, m.before)
            p = float(poisson.sf(len(m.earlier) - 1, mean)) if m.earlier else 1.0
            scored.append((rule.slug, replace(m, usual=mean, p=p)))
    out: dict[str, list[Match]] = {rule.slug: [] for rule in rules}
    if not scored:
        return out
    _, adjusted, _, _ = multipletests([m.p for _, m in scored], alpha=fdr, method="fdr_bh")
    for (slug, m), p_adj in zip(scored, adjusted, strict=True):
        flagged = bool(m.earlier) and float(p_adj) <= fdr
        out[slug].append(replace(m, p_adjusted=float(p_adj), flagged=flagged))
    return out


def by_ward(rule: Rule, matches: Iterable[Match]) -> dict[str, list[Match]]:
    """A rule's counted triggers by their ward."""
    found: dict[str, list[Match]] = {}
    for match in matches:
        if match.flagged:
            found.setdefault(match.trigger.ward, []).append(match)
    return found


def record_keys(matches: Sequence[Match]) -> tuple[str, ...]:
    """Every incident of a ward's matches, triggers first, each once."""
    keys = [m.trigger.record_key for m in matches]
    keys += [e.record_key for m in matches for e in m.earlier]
    return tuple(dict.fromkeys(keys))


def step(
    rule: Rule, ward: str, current: Alert | None, matches: Sequence[Match], now: datetime
) -> Alert | None:
    """A rule alert of one ward after an evaluation (``current`` itself: no news)."""
    stamp = stamp_of(now)
    keys = record_keys(matches)
    if current is None or not current.active:
        if not matches:
            return current
        key = ("ward", ward, rule.slug, rule.window)
        return Alert(
            id=alert_id(rule.kind, key, stamp),
            kind=rule.kind,
            state="raised",
            level="ward",
            area=ward,
            group=rule.slug,
            window=rule.window,
            **_figures(matches),
            raised_at=stamp,
            updated_at=stamp,
            sequence=1,
            record_keys=keys,
        )
    if not matches:
        return replace(current, state="resolved", updated_at=stamp, sequence=current.sequence + 1)
    if keys == current.record_keys:
        return current
    return replace(
        current,
        state="updated",
        updated_at=stamp,
        sequence=current.sequence + 1,
        record_keys=keys,
        **_figures(matches),
    )


def _figures(matches: Sequence[Match]) -> dict[str, Any]:
    """A ward's alert figures: its triggers, their earlier incidents against the usual
    count of their circles, and the most unusual trigger's p."""
    best = min(matches, key=lambda m: m.p)
    return {
        "observed": len(matches),
        "earlier": sum(len(m.earlier) for m in matches),
        "expected": sum(m.usual for m in matches),
        "spread": 0.0,
        "p": best.p,
        "p_adjusted": best.p_adjusted,
    }


def parse_rules(text: str) -> tuple[Rule, ...]:
    """Rules from JSON (``SAFER_ALERT_RULES``); one-line ``ConfigError`` naming the fault."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"SAFER_ALERT_RULES: not JSON ({exc})") from None
    if not isinstance(raw, list):
        raise ConfigError("SAFER_ALERT_RULES: a list of rules is required")
    rules = tuple(_rule(item, i) for i, item in enumerate(raw))
    slugs = [r.slug for r in rules]
    if len(set(slugs)) != len(slugs):
        raise ConfigError("SAFER_ALERT_RULES: rule slugs must differ")
    return rules


def _rule(item: object, index: int) -> Rule:
    where = f"SAFER_ALERT_RULES[{index}]"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: an object is required")
    text = {name: item.get(name) for name in ("slug", "label", "kind")}
    for name, value in text.items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}.{name}: a name is required")
    if text["kind"] not in KINDS:
        raise ConfigError(f"{where}.kind: one of {', '.join(KINDS)}")
    numbers = {}
    for name in ("metres", "hours"):
        value = item.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{where}.{name}: a positive number is required")
        numbers[name] = float(value)
    recent = item.get("recent_hours", RECENT_HOURS)
    if not isinstance(recent, int | float) or recent <= 0:
        raise ConfigError(f"{where}.recent_hours: a positive number is required")
    cause = item.get("then_cause")
    if cause is not None and not isinstance(cause, str):
        raise ConfigError(f'{where}.then_cause: a cause such as "deliberate"')
    return Rule(
        str(text["slug"]),
        str(text["label"]),
        str(text["kind"]),
        _categories(item.get("first"), f"{where}.first"),
        _categories(item.get("then"), f"{where}.then"),
        numbers["metres"],
        numbers["hours"],
        str(item.get("first_label") or "earlier incidents"),
        cause,
        float(recent),
    )


def _categories(raw: object, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
        raise ConfigError(f"{where}: a list of category slugs")
    unknown = [c for c in raw if c not in CATEGORY_NAMES]
    if unknown:
        raise ConfigError(f"{where}: unknown category {unknown[0]!r}")
    return frozenset(raw)
