"""What each harness runs on one input, and the real samples its corpus starts from.

A file target writes the input as one export file (named as its partner names it) and
imports it the way ``feeds.publish.importer.import_files`` does (fresh in-memory ledger, a publisher
that serialises what it is given): the reader, the csv/json parsing under it, the row ->
event step with the importer's own error handling, the ledger and the dead letters. It
raises ``BrokenContractError`` where the contract of issue 13 is broken (every record read
is an event or a ``FILE:LINE: reason`` rejection); any other exception escaping is a
finding too.

The decoder target reads an input as ``[expected source][key length][key][value]``
(expected: byte % (sources + 1), the last meaning None; key length 255: no key) and calls
``streams.validation.classify(key, value, expected)``, which must return an event or a
``Rejection``; a ``processing-error`` rejection (an exception ``classify`` caught) is a
finding too (``CaughtError``).

This module imports the project; the runner imports it under atheris' instrumentation.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from redis.asyncio import Redis

from aggregates.config import AggregationConfig
from aggregates.inputs import canonical_doc
from bench.fuzz import mutators
from feeds.adapters.registry import adapters
from feeds.adapters.rows import Adapter, Row
from geography.areas import load_areas
from schemas.categories import Source
from schemas.codec import encode_incident
from store.keys import Keys
from store.plan import Stored, latest_versions
from store.writer import AggregateWriter
from streams.validation import Rejection, classify
from tests.importing import import_file

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "feeds" / "samples"
KEY = b"fuzz-harness-key"
SOURCES = tuple(Source)
NO_KEY = 255
PROCESSING_ERROR = "processing-error"
"""``RejectReason.PROCESSING_ERROR``, by value (so this runs against older decoders too)."""
SEED_ROWS = 60
"""Rows of each sample the seeds are cut from (a few rows per seed)."""


class BrokenContractError(Exception):
    """An input broke the contract without raising (a malformed rejection, a lost row)."""


class CaughtError(BrokenContractError):
    """``classify`` caught an exception of its own (a ``processing-error`` rejection): it
    kept its promise, but the exception is a bug. Its ``signature`` is the exception type."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.signature = f"processing-error: {detail.partition(':')[0]}"


def settle(adapter: Adapter, path: Path) -> None:
    """Import one file as the importer does; raise ``BrokenContractError`` if a record read
    is neither an event nor a ``FILE:LINE: reason`` rejection (exceptions propagate: they
    are findings too)."""
    outcome = import_file(adapter, path)
    read, events, rejected = outcome.read, outcome.events, outcome.rejected
    shape = re.compile(rf"{re.escape(str(path))}:[1-9][0-9]*: \S.*", re.DOTALL)
    for error in rejected:
        if error.file != str(path) or not shape.fullmatch(str(error)):
            raise BrokenContractError(f"not FILE:LINE: reason: {str(error)!r}")
    rows = sum(1 for item in read if isinstance(item, Row))
    refused = len(rejected) - (len(read) - rows)
    if len(events) + refused != rows or len(outcome.publisher.messages) != len(events):
        raise BrokenContractError(f"{rows} rows, {len(events)} events, {refused} refused")




@dataclass(frozen=True)
class Target:
    """A harness: the inputs its corpus starts from, (given a scratch folder for the files it
    writes) what one input runs, and its structure-aware mutator if it has one
    (``bench.fuzz.mutators``; else libFuzzer's byte mutations)."""

    seeds: Callable[[], list[bytes]]
    prepare: Callable[[Path], Callable[[bytes], None]]
    mutator: Mutator | None = None


Mutator = Callable[[bytes, int, int, mutators.ByteMutator], bytes]
"""(data, max size, seed, libFuzzer's byte mutation) -> a mutated input."""


def _file_target(
    name: str, seeds: Callable[[], list[bytes]], mutator: Mutator | None = None
) -> Target:
    adapter = ADAPTERS[ADAPTER_OF[name]]

    def prepare(folder: Path) -> Callable[[bytes], None]:
        path = folder / FILE_NAMES[name]

        def run(data: bytes) -> None:
            path.write_bytes(data)
            settle(adapter, path)

        return run

    return Target(seeds, prepare, mutator)


def _lines(path: Path) -> list[bytes]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.splitlines()[: SEED_ROWS + 1]


def _csv_seeds(*paths: Path) -> Callable[[], list[bytes]]:
    """The header plus 1-3 consecutive rows of each sample, as the partner wrote them."""

    def seeds() -> list[bytes]:
        out = []
        for path in paths:
            header, *rows = _lines(path)
            for start in range(0, len(rows), 3):
                out.append(b"\n".join([header, *rows[start : start + 1 + start % 3]]) + b"\n")
        return out

    return seeds


def _json_seeds() -> list[bytes]:
    """1-3 records of the crimes-street sample as a response array."""
    records = json.loads((SAMPLES / "2018-03-merseyside-street.json").read_bytes())[:SEED_ROWS]
    return [
        json.dumps(records[start : start + 1 + start % 3], ensure_ascii=False).encode()
        for start in range(0, len(records), 3)
    ]


def _decoder_seeds() -> list[bytes]:
    """The events the file targets' seeds make, encoded, each with its key and source, and
    once with neither."""
    out = []
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        for name, file_name in FILE_NAMES.items():
            adapter, path = ADAPTERS[ADAPTER_OF[name]], Path(folder) / file_name
            for seed in _SEEDS[name]()[:6]:
                path.write_bytes(seed)
                for row in adapter.read(path):
                    if isinstance(row, Row):
                        value = encode_incident(adapter.to_event(row, 1, now, False))
                        key = row.record_key.encode()[:254]
                        head = bytes([SOURCES.index(adapter.source), len(key)])
                        out += [head + key + value, bytes([len(SOURCES), NO_KEY]) + value]
    return out


def decode(data: bytes) -> None:
    """One raw message through ``classify``: an event or a ``Rejection``, never a raise."""
    if len(data) < 2:
        return
    choice = data[0] % (len(SOURCES) + 1)
    expected = SOURCES[choice] if choice < len(SOURCES) else None
    key = None if data[1] == NO_KEY else data[2 : 2 + data[1]]
    value = data[2 if key is None else 2 + len(key) :]
    result = classify(key, value, expected)
    if not isinstance(result, Rejection | BaseModel):
        raise BrokenContractError(f"classify returned {type(result).__name__}")
    if isinstance(result, Rejection) and result.reason.value == PROCESSING_ERROR:
        raise CaughtError(result.detail)
    if not isinstance(result, Rejection):
        _aggregate(result)


_WRITER = AggregateWriter(Redis(), Keys("fuzz:"), AggregationConfig(), load_areas(), 200)
"""Never connects: its planner and its Lua arguments only."""


def _aggregate(event: Any) -> None:
    """Whatever validation accepts, the engine can plan, with every expiry and ticker row the
    Lua call would carry, and its stored state reads back (issue 13's table passed
    validation, then failed here)."""
    doc = canonical_doc(event)
    latest, _ = latest_versions([doc])
    plan = _WRITER._planner.plan(latest, {}, "0")
    _WRITER._arguments(plan, live=True)
    stored = Stored.parse(plan.records[0][2])
    if stored is None or stored.version != doc["version"]:
        raise BrokenContractError("the stored state does not read back")


ADAPTERS = adapters(KEY)
FILE_NAMES = {
    "police-csv": "2018-03-merseyside-street.csv",
    "police-json": "2018-03-merseyside-street.json",
    "stop-search": "2018-03-merseyside-stop-and-search.csv",
    "council": "council-export.csv",
    "fire": "fire-incidents.csv",
}
"""Each file target's file name, as its partner names its exports."""
ADAPTER_OF = {
    "police-csv": "police",
    "police-json": "police",
    "stop-search": "stop-search",
    "council": "council",
    "fire": "fire",
}
_SEEDS = {
    "police-csv": _csv_seeds(DATA / "2018-03-merseyside-street.csv.gz"),
    "police-json": _json_seeds,
    "stop-search": _csv_seeds(DATA / "2018-03-merseyside-stop-and-search.csv.gz"),
    "council": _csv_seeds(SAMPLES / "council_export_sample.csv"),
    "fire": _csv_seeds(
        DATA / "lfb_incident_records_sample.csv", DATA / "lfb_animal_rescues_2009_2021.csv.gz"
    ),
}
_MUTATORS: dict[str, Mutator] = {
    "police-csv": mutators.csv_file,
    "police-json": mutators.json_file,
    "stop-search": mutators.csv_file,
    "council": mutators.csv_file,
    "fire": mutators.csv_file,
}
TARGETS: dict[str, Target] = {
    "decoder": Target(_decoder_seeds, lambda folder: decode, mutators.raw_message),
    **{name: _file_target(name, seeds, _MUTATORS.get(name)) for name, seeds in _SEEDS.items()},
}
"""Every harness, by the runner's target name."""
