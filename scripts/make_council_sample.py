"""Writes feeds/samples/council_export_sample.csv: a realistic council export (synthetic).

Three weeks of the simulator's council ASB reports and control-room calls over Wirral,
written in the export format ``feeds.adapters.council`` reads, with internal caller and address
references (repeat callers and addresses keep theirs). Re-run to regenerate:
``.venv/bin/python scripts/make_council_sample.py``.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds.adapters.council import COLUMNS
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from schemas.calendar import LONDON
from schemas.codec import decode_incident
from schemas.events import ControlRoomCall, ControlRoomCallEvent, CouncilAsb, CouncilAsbEvent

OUT = Path(__file__).resolve().parents[1] / "feeds" / "samples" / "council_export_sample.csv"


def local(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def main() -> None:
    simulator = Simulator(load_areas(), seed=20261123, malformed_share=0.0, duplicate_share=0.0)
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    rows = []
    internal: dict[str, str] = {}

    def ref(prefix: str, pseudonym: str | None) -> str:
        if not pseudonym:
            return ""
        return internal.setdefault(pseudonym, f"{prefix}{100000 + len(internal)}")

    for message in simulator.messages(1200, now, window=timedelta(days=21)):
        event = decode_incident(message.value)
        if not isinstance(event, CouncilAsbEvent | ControlRoomCallEvent) or event.version > 1:
            continue
        d = event.data
        loc = d.location
        asb = d if isinstance(d, CouncilAsb) else None
        call = d if isinstance(d, ControlRoomCall) else None
        row = {
            "reference": event.record_key.rsplit(":", 1)[1],
            "record_type": "asb" if isinstance(event, CouncilAsbEvent) else "call",
            "received": local(d.received_at),
            "occurred_from": local(d.occurred.start),
            "occurred_to": local(d.occurred.end) if d.occurred.end else "",
            "asb_type": asb.asb_type.value.replace("-", " ").capitalize() if asb else "",
            "call_category": call.category.value.removeprefix("call-") if call else "",
            "channel": call.channel.value if call else "",
            "priority": str(call.priority) if call else "",
            "youth": {True: "Y", False: "N", None: ""}[d.people.youth],
            "street": loc.place or "",
            "latitude": f"{loc.lat:.6f}" if loc.lat is not None else "",
            "longitude": f"{loc.lon:.6f}" if loc.lon is not None else "",
            "lsoa_code": loc.lsoa_code or "",
            "ward_code": loc.ward_code or "",
            "location_type": loc.location_type.value if loc.location_type else "",
            "caller_ref": ref("CON-", d.caller_ref),
            "address_ref": ref("ADR-", d.address_ref),
            "status": "closed",
            "partner": "wirral-council",
        }
        rows.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
