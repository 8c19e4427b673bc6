"""Running a harness under atheris (libFuzzer) for a given time, and replaying crashes.

libFuzzer stops at the first exception a harness lets out; this runner catches every
exception itself instead, saves the first input of each new crash (its type and the
innermost project line it was raised at) under ``crashes/TARGET/`` with its traceback,
and goes on fuzzing, so one run reports every distinct crash it met. At the deadline it
prints executions, executions/s and the crashes, and exits (1 if there were any).
An input that hangs longer than ``-timeout`` is left to libFuzzer, which stops and saves it
there as ``timeout-*``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CRASHES = HERE / "crashes"
CORPUS = ROOT / ".safer" / "fuzz" / "corpus"
NAMES = ("decoder", "police-csv", "police-json", "stop-search", "council", "fire")
DICTIONARY = HERE / "edges.dict"
"""Edge values (times near year 1 and 9999, non-finite numbers, stray bytes) for every target
unless a ``-dict=`` is passed."""
INSTRUMENTED = ("feeds", "schemas", "streams", "safer", "store", "aggregates")
"""The project's packages, instrumented for coverage (pydantic-core, csv and json are C;
the decoder target plans accepted events with ``store`` and ``aggregates``)."""
HANG_S = 30


@dataclass
class Tally:
    """What a run has done so far, and the first input of each distinct crash."""

    crashes_dir: Path
    started: float = 0.0
    executions: int = 0
    crashes: int = 0
    saved: dict[str, Path] = field(default_factory=dict)

    def record(self, data: bytes, exc: BaseException) -> None:
        self.crashes += 1
        found = signature(exc)
        if found in self.saved:
            return
        self.crashes_dir.mkdir(parents=True, exist_ok=True)
        path = self.crashes_dir / f"crash-{hashlib.sha1(data).hexdigest()}"  # noqa: S324 - a name
        path.write_bytes(data)
        trace = "".join(traceback.format_exception(exc))
        path.with_name(f"{path.name}.txt").write_text(f"{found}\n\n{trace}", encoding="utf-8")
        self.saved[found] = path
        print(f"\nnew crash: {found} -> {path}", file=sys.stderr, flush=True)

    def report(self, target: str) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        lines = [
            f"{target}: {self.executions:,} executions in {elapsed:,.0f} s "
            f"({self.executions / elapsed:,.0f}/s); {self.crashes:,} crashing inputs, "
            f"{len(self.saved)} distinct"
        ]
        lines += [f"  {found}\n    {path}" for found, path in self.saved.items()]
        return "\n".join(lines)


def signature(exc: BaseException) -> str:
    """A crash's identity: its type and the innermost line of the project it came through
    (or the ``signature`` it carries, for an exception the code under test caught itself)."""
    carried = getattr(exc, "signature", None)
    if isinstance(carried, str):
        return carried
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [
        f
        for f in frames
        if f.filename.startswith(str(ROOT))
        and "/.venv/" not in f.filename
        and not f.filename.startswith(str(HERE))
    ]
    where = ours[-1] if ours else frames[-1] if frames else None
    if where is None:
        return type(exc).__name__
    name = Path(where.filename)
    shown = name.relative_to(ROOT) if name.is_relative_to(ROOT) else name
    return f"{type(exc).__name__} at {shown}:{where.lineno}"


def _scratch() -> str | None:
    """Memory-backed scratch space where there is one (a file is written per input)."""
    shm = Path("/dev/shm")  # noqa: S108 - only a parent for a private mkdtemp
    return str(shm) if shm.is_dir() else None


def fuzz(target: str, seconds: float, corpus: Path, crashes: Path, libfuzzer: Sequence[str]) -> int:
    """Fuzz ``target`` for ``seconds``; returns the exit status (1: crashes were found)."""
    import atheris  # type: ignore[import-untyped]  # optional extra "fuzz", no type hints

    # str.startswith/endswith comparisons guide it too. Not atheris' "RegEx" hook: its
    # pattern proxy takes no pos/endpos (schemas.pii calls fullmatch(text, start, end)).
    atheris.enabled_hooks.add("str")
    with atheris.instrument_imports(include=list(INSTRUMENTED)):
        from bench.fuzz.targets import TARGETS
    harness = TARGETS[target]
    corpus.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"safer-fuzz-{target}-", dir=_scratch()))
    seeds = scratch / "seeds"
    seeds.mkdir()
    for seed in harness.seeds():
        (seeds / hashlib.sha1(seed).hexdigest()).write_bytes(seed)  # noqa: S324 - a name
    run = harness.prepare(scratch)
    tally = Tally(crashes)
    deadline = time.monotonic() + seconds

    def one_input(data: bytes) -> None:
        if not tally.executions:
            tally.started = time.monotonic()
        elif time.monotonic() >= deadline:
            _finish(target, tally, scratch)
        tally.executions += 1
        try:
            run(data)
        except Exception as exc:  # noqa: BLE001 - every exception is a finding, kept
            tally.record(data, exc)

    options: dict[str, Any] = {}
    if harness.mutator is not None:
        # looked up per call: atheris binds Mutate to libFuzzer only in Setup()
        options["custom_mutator"] = _guarded(harness.mutator, lambda d, n: atheris.Mutate(d, n))

    crashes.mkdir(parents=True, exist_ok=True)
    atheris.Setup(
        [
            sys.argv[0],
            f"-max_total_time={int(seconds) + 60}",  # a backstop: the deadline above ends it
            f"-timeout={HANG_S}",
            f"-artifact_prefix={crashes}/",
            *([] if any(f.startswith("-dict=") for f in libfuzzer) else [f"-dict={DICTIONARY}"]),
            *libfuzzer,
            str(corpus),
            str(seeds),
        ],
        one_input,
        **options,
    )
    atheris.Fuzz()
    return 0  # not reached: the deadline or libFuzzer ends the process


def _guarded(
    mutator: Callable[[bytes, int, int, Callable[[bytes, int], bytes]], bytes],
    fallback: Callable[[bytes, int], bytes],
) -> Callable[[bytes, int, int], bytes]:
    """A target's mutator as atheris calls it; libFuzzer's own mutation if it fails."""

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        try:
            return mutator(data, max_size, seed, fallback)
        except Exception:  # noqa: BLE001 - a mutator bug must not end the run
            return bytes(fallback(data, max_size))

    return mutate


def _finish(target: str, tally: Tally, scratch: Path) -> None:
    """Report and end the process (libFuzzer's loop cannot be left by returning)."""
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{tally.report(target)}", flush=True)
    sys.stderr.flush()
    os._exit(1 if tally.crashes else 0)


def reproduce(target: str, inputs: Sequence[Path]) -> int:
    """Run saved inputs once each (no atheris); print each one's outcome."""
    from bench.fuzz.targets import TARGETS

    harness = TARGETS[target]
    failed = 0
    with tempfile.TemporaryDirectory(prefix=f"safer-fuzz-{target}-") as folder:
        run: Callable[[bytes], None] = harness.prepare(Path(folder))
        for path in inputs:
            try:
                run(path.read_bytes())
            except Exception as exc:  # noqa: BLE001 - reported, as the fuzzer would
                failed += 1
                print(f"{path}: {signature(exc)}")
                traceback.print_exception(exc)
            else:
                print(f"{path}: ok")
    return 1 if failed else 0
