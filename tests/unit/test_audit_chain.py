"""The tamper-evident audit log (``dashboard.audit``, ``dashboard.audit_chain``) and
``safer audit verify``: each kind of tampering is found at its line."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest

from aggregates.disclosure import Role
from cli.main import main
from dashboard.audit import GENESIS, AuditLog, head_path, line_hash
from dashboard.audit_chain import verify

LINES = 6


def written(tmp_path: Path, count: int = LINES) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(count):
        log.write("ana", Role.ANALYST, "view", page="live", filters={"n": n})
    return log


def lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def rewrite(log: AuditLog, new: list[str]) -> None:
    log.path.write_text("".join(f"{line}\n" for line in new))


def test_each_line_chains_to_the_one_before(tmp_path: Path) -> None:
    """Line 1 carries the genesis value, each later line the hash of the one before; the head
    records the last; verify says intact."""
    log = written(tmp_path)
    raw = lines(log)
    entries = [json.loads(line) for line in raw]
    assert [e["n"] for e in entries] == list(range(1, LINES + 1))
    assert entries[0]["prev"] == GENESIS
    assert [e["prev"] for e in entries[1:]] == [line_hash(line.encode()) for line in raw[:-1]]
    assert json.loads(head_path(log.path).read_text()) == {
        "n": LINES,
        "hash": line_hash(raw[-1].encode()),
    }
    verdict = verify(log.path)
    assert verdict.intact, verdict.message
    assert verdict.message.startswith(f"intact: {LINES} lines, {LINES} chained")


def _edit(raw: list[str], index: int) -> list[str]:
    entry = json.loads(raw[index])
    entry["user"] = "someone-else"
    return [*raw[:index], json.dumps(entry, sort_keys=True), *raw[index + 1 :]]


def _forged(raw: list[str], index: int) -> str:
    """A line chained properly to the line before ``index`` (anyone can compute a hash)."""
    prev = GENESIS if index == 0 else line_hash(raw[index - 1].encode())
    return json.dumps({"action": "view", "user": "forger", "n": index + 1, "prev": prev})


@pytest.mark.parametrize(
    ("tamper", "line", "says"),
    [
        (lambda raw: _edit(raw, 2), 3, "line 3: altered"),
        (lambda raw: _edit(raw, 0), 1, "line 1: altered"),
        (lambda raw: _edit(raw, LINES - 1), LINES, f"line {LINES}: altered"),
        (lambda raw: raw[:2] + raw[3:], 3, "line 3: entry 3 missing before it"),
        (lambda raw: raw[:1] + raw[4:], 2, "line 2: entries 2–4 missing before it"),
        (lambda raw: raw[:-2], LINES - 1, f"entries {LINES - 1}–{LINES} missing after line"),
        (lambda raw: [*raw[:3], '{"action": "view"}', *raw[3:]], 4, "line 4: altered or inserted"),
        (lambda raw: [*raw[:3], _forged(raw, 3), *raw[3:]], 4, "line 4: inserted"),
        (lambda raw: [_forged(raw, 0), *raw], 1, "line 1: inserted"),
        (lambda raw: [*raw[:2], raw[3], raw[2], *raw[4:]], 3, "line 3: out of order"),
        (lambda raw: [*raw, raw[1]], LINES + 1, f"line {LINES + 1}: out of order"),
    ],
    ids=[
        "edited",
        "edited-first",
        "edited-last",
        "deleted",
        "deleted-three",
        "tail-removed",
        "inserted",
        "inserted-forged",
        "inserted-first",
        "reordered",
        "duplicated",
    ],
)
def test_tampering_is_found_at_its_line(
    tmp_path: Path, tamper: Callable[[list[str]], list[str]], line: int, says: str
) -> None:
    """An edited, deleted, inserted or reordered line (or a removed end) is the first fault
    verify reports, by line number."""
    log = written(tmp_path)
    rewrite(log, tamper(lines(log)))
    verdict = verify(log.path)
    assert not verdict.intact
    assert verdict.line == line
    assert verdict.message.startswith(says), verdict.message


def test_a_gap_stays_visible_after_further_writes(tmp_path: Path) -> None:
    """Removing the end and writing on does not hide the removal: the writer continues the
    chain from its head, not from the shortened file."""
    log = written(tmp_path)
    rewrite(log, lines(log)[:-2])
    log.write("pat", Role.PARTNER, "view", page="trends")
    verdict = verify(log.path)
    assert not verdict.intact
    assert verdict.message.startswith(f"line {LINES - 1}: entries {LINES - 1}–{LINES} missing")


def test_a_lost_head_is_reported(tmp_path: Path) -> None:
    """Without its head file a chained log cannot rule out a removed end: not intact."""
    log = written(tmp_path)
    head_path(log.path).unlink()
    verdict = verify(log.path)
    assert not verdict.intact
    assert "no head file" in verdict.message


def test_a_writer_that_died_before_its_head_is_not_tampering(tmp_path: Path) -> None:
    """A line written whose head update never happened verifies, and the next write
    continues after it."""
    log = written(tmp_path)
    head = head_path(log.path).read_text()
    log.write("ana", Role.ANALYST, "view", page="live")
    head_path(log.path).write_text(head)  # as if the process died between line and head
    assert verify(log.path).intact
    log.write("ana", Role.ANALYST, "view", page="trends")
    verdict = verify(log.path)
    assert verdict.intact, verdict.message
    assert [json.loads(line)["n"] for line in lines(log)] == list(range(1, LINES + 3))


def test_legacy_lines_are_held_as_one_block(tmp_path: Path) -> None:
    """Lines from before the chain are reported as unchained legacy lines; once a chained
    line follows them, editing any of them is found."""
    path = tmp_path / "audit.jsonl"
    legacy = [json.dumps({"action": "view", "user": f"old{n}"}) for n in range(3)]
    path.write_text("".join(f"{line}\n" for line in legacy))
    log = AuditLog(path)
    log.write("ana", Role.ANALYST, "view", page="live")
    log.write("ana", Role.ANALYST, "view", page="trends")
    verdict = verify(path)
    assert verdict.intact, verdict.message
    assert "3 unchained legacy lines before line 4" in verdict.message
    assert json.loads(lines(log)[3])["n"] == 4
    rewrite(log, [legacy[0], legacy[1].replace("old1", "new1"), *lines(log)[2:]])
    verdict = verify(path)
    assert not verdict.intact
    assert verdict.message.startswith("lines 1–3 (unchained legacy lines) were altered")


def _append(path: str, writer: int) -> None:
    log = AuditLog(Path(path))
    for n in range(25):
        log.write(f"w{writer}", Role.ANALYST, "view", page="live", filters={"n": n})


def test_concurrent_processes_keep_one_chain(tmp_path: Path) -> None:
    """Four processes appending at once leave one unbroken chain of every line."""
    path = tmp_path / "audit.jsonl"
    workers = [multiprocessing.Process(target=_append, args=(str(path), w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    verdict = verify(path)
    assert verdict.intact, verdict.message
    assert len(AuditLog(path).entries()) == 100


def test_verify_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`safer audit verify --path P`: 0 and 'intact' for an untouched log, 1 and the line for
    an edited one, 2 and a one-line error where there is no log."""
    log = written(tmp_path)
    assert main(["audit", "verify", "--path", str(log.path)]) == 0
    assert "intact: 6 lines" in capsys.readouterr().out
    rewrite(log, _edit(lines(log), 3))
    assert main(["audit", "verify", "--path", str(log.path)]) == 1
    assert "NOT intact: line 4: altered" in capsys.readouterr().out
    assert main(["audit", "verify", "--path", str(tmp_path / "none.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no audit log at" in err
