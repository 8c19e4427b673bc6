"""Structure-aware mutation: a CSV export's fields, a JSON document's values.

libFuzzer's byte mutations mostly break a file's syntax, and the parsers (csv, json,
pydantic-core) are C/Rust that atheris cannot see into, so coverage alone rarely leads to
a well-formed row or event with one value at an edge (a time near year 1 with an offset
that pushes it out of range: a decoder bug these found within a minute, where bytes alone
had not in the same minute). These mutators parse the input, change one value (an edge value,
libFuzzer's own mutation of it, another value of the input, a dropped or added field) and
write it again; one time in five they fall back to byte mutation, which keeps the syntax
errors coming. Pure functions of the input and a seed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

ByteMutator = Callable[[bytes, int], bytes]
"""libFuzzer's own mutation (``atheris.Mutate``): (data, max size) -> mutated data."""

EDGE_VALUES: tuple[Any, ...] = (
    *("0001-01-01T00:00:00+05:00", "0001-01-01T00:00:30+00:00", "9999-12-31T23:59:59-05:00"),
    *("1900-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2026-12-02T00:00:00", "0001-01"),
    *("9999-12", "2018-13", "", " ", "\ud800", "\x00", "\u202e", "NaN", "x" * 3000),
    *("On or near 1 High Street", "On or near L1 8JQ", "07700 900123", "a@b.example"),
    *(float("nan"), float("inf"), -1, 0, 2**63, 2**64, -(2**63) - 1, 1e308, 0.1),
    *(None, True, False, [], {}, [[[[[]]]]]),
)


def _slots(doc: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) of a parsed document, the root's children first."""
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in list(items):
            yield node, key
            if isinstance(child, dict | list):
                stack.append(child)


def mutate_json(value: bytes, max_size: int, rng: random.Random, bytes_: ByteMutator) -> bytes:
    """One value of a JSON document changed, or the bytes mutated if it does not parse."""
    try:
        doc = json.loads(value)
    except (ValueError, RecursionError):
        return bytes_(value, max_size)
    slots = list(_slots(doc)) if isinstance(doc, dict | list) else []
    if not slots or rng.random() < 0.2:
        return bytes_(value, max_size)
    container, key = rng.choice(slots)
    old = container[key]
    draw = rng.random()
    if draw < 0.4:
        container[key] = copy.deepcopy(rng.choice(EDGE_VALUES))
    elif draw < 0.7 and isinstance(old, str):
        raw = old.encode(errors="surrogatepass")
        container[key] = bytes_(raw, max(len(raw) * 2, 16)).decode(errors="replace")
    elif draw < 0.8 and isinstance(container, dict):
        del container[key]
    else:  # another value of the document, often of another type
        other, at = rng.choice(slots)
        container[key] = copy.deepcopy(other[at])
    try:
        text = json.dumps(doc, ensure_ascii=rng.random() < 0.8)
    except (ValueError, RecursionError):
        return bytes_(value, max_size)
    out = text.encode(errors="surrogatepass")
    return out if len(out) <= max_size else bytes_(value, max_size)


def csv_file(data: bytes, max_size: int, seed: int, bytes_: ByteMutator) -> bytes:
    """One field of a CSV export changed (its header too, rarely), dropped or added; bytes
    that are not UTF-8 are kept as they are."""
    rng = random.Random(seed)
    text = data.decode(errors="surrogateescape")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return bytes_(data, max_size)
    if len(records) < 2 or rng.random() < 0.2:
        return bytes_(data, max_size)
    record = records[rng.randrange(1, len(records)) if rng.random() < 0.95 else 0]
    at = rng.randrange(len(record) + 1)
    draw = rng.random()
    if draw < 0.4 or not record:
        value = rng.choice(EDGE_VALUES)
        record.insert(at, value if isinstance(value, str) else json.dumps(value))
        if rng.random() < 0.8 and at < len(record) - 1:
            del record[at + 1]  # a replacement, mostly; else an added field
    elif draw < 0.8 and at < len(record):
        raw = record[at].encode(errors="surrogateescape")
        changed = bytes_(raw, max(len(raw) * 2, 16))
        record[at] = changed.decode(errors="surrogateescape")
    elif at < len(record):
        del record[at]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    mutated = _encoded(out.getvalue())
    return mutated if len(mutated) <= max_size else bytes_(data, max_size)


def _encoded(text: str) -> bytes:
    """Text back to bytes: the bytes that were not UTF-8 as they were, an edge value's lone
    surrogate as its (invalid) UTF-8 encoding."""
    try:
        return text.encode(errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode(errors="surrogatepass")


def json_file(data: bytes, max_size: int, seed: int, bytes_: ByteMutator) -> bytes:
    """A mutation of a whole JSON file (the crimes-street response)."""
    return mutate_json(data, max_size, random.Random(seed), bytes_)


def raw_message(data: bytes, max_size: int, seed: int, bytes_: ByteMutator) -> bytes:
    """A mutation of a decoder input ``[expected][key length][key][value]``: mostly its
    value; now and then its expected source or its key (none, or the value's record_key)."""
    rng = random.Random(seed)
    if len(data) < 2:
        return bytes_(data, max_size)
    head, key_length = data[0], data[1]
    key = b"" if key_length == 255 else data[2 : 2 + key_length]
    value = data[2 + len(key) :] if key_length != 255 else data[2:]
    draw = rng.random()
    if draw < 0.05:
        head = rng.randrange(256)
    elif draw < 0.15:
        key_length, key = _key(value, rng)
    else:
        value = mutate_json(value, max(max_size - 2 - len(key), 2), rng, bytes_)
    out = bytes([head, key_length]) + key + value
    return out[:max_size]


def _key(value: bytes, rng: random.Random) -> tuple[int, bytes]:
    """No key, or the value's record_key, or a key that is one byte off."""
    try:
        record_key = str(json.loads(value).get("record_key", "")).encode()[:254]
    except (ValueError, RecursionError, AttributeError):
        record_key = b""
    if rng.random() < 0.3 or not record_key:
        return 255, b""
    if rng.random() < 0.3:
        record_key = record_key[:-1] + bytes([rng.randrange(256)])
    return len(record_key), record_key
