"""Every Redis key is spelled in ``store/keys.py`` and nowhere else, and every Lua script
touches only keys it was given in ``KEYS`` (never one built from ``ARGV``): what Redis
Cluster will require, and what keeps the generation check honest (``store.keys``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from streams.rebuild_pass import _GIVE_BACK

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "store").glob("*.lua"))
PACKAGES = ("aggregates", "store", "streams", "dashboard", "cli", "consumers", "sharing", "gateway")
"""Where safer's code lives (``bench/yardsticks.py`` writes toy keys of its own)."""
SPELLER = ROOT / "store" / "keys.py"
SINGLE_KEY = frozenset(
    {
        *("GET", "SET", "TYPE", "EXPIREAT", "EXPIRETIME"),
        *("HGET", "HSET", "HDEL", "HINCRBY", "HGETALL", "HKEYS", "HMGET"),
        *("ZADD", "ZREM", "ZCARD", "ZRANGE", "ZRANGEBYSCORE", "ZREMRANGEBYRANK"),
    }
)
"""Commands the scripts use, each with exactly one key, its first argument (another command
must be added here with its key positions checked)."""
CALL = re.compile(r"redis\.p?call\(\s*'([A-Za-z]+)'\s*(,?)")

KEY_WORDS = re.compile(r"(?:^|[:}])(?:meta|stats|offsets|fresh|rec|rd|r|a|x|latest):|latest:data")
"""A key's words after its prefix or generation (``store.keys``'s table: ``meta:``,
``stats:``, ``rec:``, ``a:`` …), anywhere in a string."""
JOINED = re.compile(r"\{\}:\{\}|g\{\}:|:\{\}:")
"""An f-string joining parts with ``:`` (formatted values shown as ``{}``)."""


def _calls(source: str) -> list[tuple[str, str | None]]:
    """(command, its first argument's expression or None) of each ``redis.call``."""
    found = []
    for match in CALL.finditer(source):
        key = _argument(source, match.end()) if match.group(2) else None
        found.append((match.group(1), key))
    return found


def _argument(source: str, start: int) -> str:
    """The expression from ``start`` up to the next comma or closing parenthesis outside
    brackets and parentheses."""
    depth = 0
    for at in range(start, len(source)):
        char = source[at]
        if char in "([{":
            depth += 1
        elif char in ")]}" and depth:
            depth -= 1
        elif char in ",)" and not depth:
            return source[start:at].strip()
    return source[start:].strip()


def _given(expression: str | None) -> bool:
    """Whether an expression is one ``KEYS[...]`` index and nothing else."""
    if expression is None or not expression.startswith("KEYS["):
        return False
    depth = 0
    for at, char in enumerate(expression):
        depth += char == "["
        depth -= char == "]"
        if char == "]" and not depth:
            return at == len(expression) - 1
    return False


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_key_a_script_touches_is_one_it_was_given(script: Path) -> None:
    """Each ``redis.call`` names a known single-key command and its key as ``KEYS[i]``: no
    key is concatenated, read from ``ARGV`` or from a reply inside a script."""
    source = "\n".join(line.split("--", 1)[0] for line in script.read_text().splitlines())
    calls = _calls(source)
    assert calls, "a script under store/ that calls nothing?"
    assert source.count("redis.call(") + source.count("redis.pcall(") == len(calls)
    for command, key in calls:
        assert command.upper() in SINGLE_KEY, f"{script.name}: {command} (add its key positions)"
        assert _given(key), f"{script.name}: {command} {key}"


def test_the_rebuild_counter_script_uses_its_key_too() -> None:
    """The one inline script (``streams.rebuild_pass``: the counter given back) obeys the same."""
    for command, key in _calls(_GIVE_BACK):
        assert command in SINGLE_KEY
        assert _given(key)


def test_the_checker_catches_a_key_built_inside_a_script() -> None:
    """The rule above fails a script that builds a key from ARGV or a concatenation."""
    built = "redis.call('HGETALL', ARGV[2] .. 'g' .. g .. ':' .. ARGV[i])"
    local = "local key = KEYS[1]; redis.call('GET', key)"
    joined = "redis.call('GET', KEYS[1] .. ':' .. ARGV[1])"
    for source in (built, local, joined):
        ((_, key),) = _calls(source)
        assert not _given(key), key
    assert _given(_calls("redis.call('GET', KEYS[1 + (k - 1) * n], 'x')")[0][1])


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal and f-string (formatted values as ``{}``) but docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[tuple[int, str]] = []
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside.add(id(value))
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    parts.append(value.value)
                elif isinstance(value, ast.FormattedValue) and value.format_spec is None:
                    parts.append("{}")
                else:  # a formatted number ({h:02d}): not a key part
                    parts.append("#")
            found.append((node.lineno, "".join(parts)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in inside
        ):
            found.append((node.lineno, node.value))
    return found


def _spelled(text: str) -> bool:
    return bool(KEY_WORDS.search(text) or JOINED.search(text) or text == "latest")


def test_keys_are_spelled_only_in_store_keys() -> None:
    """No string outside ``store/keys.py`` looks like a Redis key or joins key parts with
    ``:`` (aggregation returns parts; ``store.keys`` spells and parses them)."""
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == SPELLER:
                continue
            for line, text in _strings(ast.parse(path.read_text())):
                if _spelled(text):
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        'key = f"a:{bucket}:{level}"',
        'key = f"{self.prefix}g{generation}:"',
        'key = f"{name}:{authority}"',
        'key = "rd:" + kind',
        'key = "safer:stats:outcomes"',
        'key = "latest"',
    ],
)
def test_the_spelling_check_catches_a_key(source: str) -> None:
    """The check above would fail each of these, were it outside ``store/keys.py``."""
    assert any(_spelled(text) for _, text in _strings(ast.parse(source)))


def test_store_keys_spells_every_key_of_its_table() -> None:
    """The speller itself spells what its docstring's table says (a layout change is a change
    of that table)."""
    from aggregates.buckets import Bucket
    from aggregates.hashes import detail, totals
    from store.keys import Keys

    k = Keys("p:")
    assert k.record("police:1", 3) == "p:g3:rec:police:1"
    total = totals(Bucket("h", "498669"), "ward", "cat", "E08000015")
    assert k.aggregate(total, 3) == "p:g3:a:h:498669:ward:cat:E08000015"
    assert k.hash_of(k.aggregate(total, 3)) == total
    part = detail(Bucket("d", "20261120"), "lsoa", "youth", "E08000015")
    assert k.aggregate(part, 0) == "p:g0:x:d:20261120:lsoa:youth:E08000015"
    assert k.reference("caller", "ab", 3) == "p:g3:r:caller:ab"
    assert k.reference("caller", b"ab", 3) == b"p:g3:r:caller:ab"
    assert k.day_index("caller", "20261120", 3) == "p:g3:rd:caller:20261120"
    assert k.generation_of(k.day_index("caller", "20261120", 12)) == 12
    assert k.generation_of(k.latest) is None
    assert [k.kind_of(key) for key in (k.record("x", 1), k.latest, k.outcomes)] == [
        "rec",
        "latest",
        "stats",
    ]
    assert (k.latest, k.latest_data, k.outcomes, k.deadletters) == (
        "p:latest",
        "p:latest:data",
        "p:stats:outcomes",
        "p:stats:deadletter",
    )
    assert (k.offsets("count"), k.freshness("fire")) == ("p:offsets:count", "p:fresh:fire")
    assert (k.broker_stamp, k.generation_pointer) == ("p:meta:broker", "p:meta:generation")
    with pytest.raises(ValueError, match="sharded"):
        k.aggregate(totals(Bucket("h", "1"), "ward", "cat"), 0)
