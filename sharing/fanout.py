"""What one batch of canonical records sends to one subscriber (pure; the stream job does
the I/O: ``streams.subscribers``).

The job keeps, per subscriber, the highest version of each record it has sent (``sent``):
positive while the record is shared, negative once it was withdrawn. With it a batch

- shares each record's newer versions that are in scope (older versions and duplicates of
  the at-least-once canonical topic are skipped, so a replay sends nothing twice);
- withdraws a shared record whose newer version falls out of scope (``withdrawal``), and
  never sends an older version after that;
- sends nothing at all for records that were never in scope (none of them is remembered).

With a delay in the agreement, a message is released ``delay_hours`` after the version was
published (``time``): what is due already goes now (e.g. a rebuild over old records), the
rest is held with its release time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from aggregates.inputs import Doc
from sharing.view import Scope, shared_view, withdrawal


@dataclass(slots=True)
class Planned:
    send: list[tuple[bytes, bytes]] = field(default_factory=list)
    """(key, message) to send now, in order."""
    hold: list[tuple[float, bytes]] = field(default_factory=list)
    """(release time, epoch s; message) to send later."""
    sent: dict[str, int] = field(default_factory=dict)
    """The records whose state changed: record_key -> version (negative: withdrawn)."""
    skipped: int = 0
    """Versions already sent (or older than one sent)."""


def plan(docs: Sequence[Doc], scope: Scope, sent: Mapping[str, int], now: float) -> Planned:
    """The messages a batch of canonical docs makes for one subscriber, given what it was
    sent before (``sent``: record_key -> signed version, for the batch's record keys)."""
    out = Planned()
    delay = scope.agreement.delay_s
    for doc in docs:
        key, version = str(doc["record_key"]), int(doc["version"])
        before = out.sent.get(key, sent.get(key))
        if before is not None and version <= abs(before):
            out.skipped += 1
            continue
        view = shared_view(doc, scope)
        if view is None:
            if before is None:
                continue  # never shared: nothing to say, nothing to remember
            out.sent[key] = -version
            if before < 0:
                continue  # already withdrawn
            view = withdrawal(doc, scope)
        else:
            out.sent[key] = version
        message = orjson.dumps(view)
        release = datetime.fromisoformat(str(doc["time"])).timestamp() + delay if delay else now
        if release > now:
            out.hold.append((release, message))
        else:
            out.send.append((key.encode(), message))
    return out
