"""Single incidents as a role may see them: the Live page's latest incidents and the
briefing's notable ones (pure: no Streamlit, no Redis).

Outside the analyst role, domestic abuse and violence and sexual offences show only their
ward and day: no time, place or location type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from dashboard.data import (
    MISSING,
    UNASSIGNED_WARD,
    category_label,
    local_time,
    source_label,
    ward_label,
)
from dashboard.disclosure import Role

SENSITIVE_CATEGORIES = frozenset({"violent-crime"})
"""police.uk's 'Violence and sexual offences': shown to partner and public like domestic
abuse, by ward and day only."""
WITHHELD = "withheld"
COLUMNS = (
    "Occurred (UK time)",
    "Source",
    "Category",
    "Ward",
    "Place",
    "Location type",
    "Received (UK time)",
)


def sensitive(row: Mapping[str, Any]) -> bool:
    return bool(row.get("domestic_abuse")) or row.get("category") in SENSITIVE_CATEGORIES


def ticker_record(
    row: Mapping[str, Any], ward_names: Mapping[str, str], role: Role
) -> dict[str, str]:
    """A latest-incidents row as ``role`` may see it: for roles other than analyst, domestic
    abuse and violence and sexual offences show only their ward and day."""
    ward = ward_label(row.get("ward") or UNASSIGNED_WARD, ward_names)
    hidden = not role.restricted and sensitive(row)
    occurred = local_time(row["occurred_start"])
    received = local_time(row["received_at"])
    return {
        "Occurred (UK time)": occurred[:10] if hidden else occurred,
        "Source": source_label(str(row["source"])),
        "Category": category_label(str(row["category"])),
        "Ward": ward,
        "Place": WITHHELD if hidden else (row.get("place") or MISSING),
        "Location type": WITHHELD
        if hidden
        else (str(row.get("location_type") or "").replace("-", " ").capitalize() or MISSING),
        "Received (UK time)": received[:10] if hidden else received,
    }


def ticker_frame(
    rows: Sequence[Mapping[str, Any]],
    ward_names: Mapping[str, str],
    sources: Sequence[str],
    role: Role,
    limit: int,
) -> pd.DataFrame:
    """The first ``limit`` rows of the selected sources, as ``role`` may see them."""
    chosen = [r for r in rows if r.get("source") in sources][:limit]
    records = [ticker_record(r, ward_names, role) for r in chosen]
    return pd.DataFrame(records, columns=list(COLUMNS))
