"""Where the worker resumes after its log was restored from the archive, and whether the
Redis state it left can be kept.

The worker counts raw messages as it validates them, and stores with each batch the highest
offset per raw partition whose effects Redis holds (``Keys.offsets``, written after the
batch's aggregates). After a restore (``bus.archive.restore``) three positions exist per raw
partition: the group's committed offset (snapshotted by the archiver), Redis's high-water
mark (Redis persists with AOF, fsync'd every second) and the restored end.

- Redis is **kept** when it matches the log: on every raw partition it holds the effects of
  everything before the committed offset (``high-water + 1 >= committed``) and nothing at
  or past the restored end. The worker resumes at the committed offset (replaying what Redis
  already holds is harmless: records carry versions, outcomes are counted once per offset).
- Otherwise (Redis lost writes, or counted records the crash took from the log) the
  aggregates are **rebuilt** from the restored canonical topic (``safer rebuild``'s path)
  and the worker resumes at the committed offset, cut to the restored end.
- After a **crash** the canonical archive may lag the raw one: raw messages validated in the
  last seconds may have lost their canonical output, so the worker also validates again the
  raw messages from ``REVALIDATE_S`` seconds before the canonical archive's newest record
  (their canonical records, where they survived, are then on the topic twice and counted
  once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

REVALIDATE_S = 10.0


@dataclass(frozen=True, slots=True)
class Resume:
    positions: dict[str, int]  # "topic|partition" -> where the worker's group resumes
    mismatched: tuple[str, ...]  # partitions where Redis does not match the restored log

    @property
    def keep_redis(self) -> bool:
        return not self.mismatched


def resume_positions(
    partitions: Iterable[str],
    committed: Mapping[str, int],
    high_water: Mapping[str, int],
    ends: Mapping[str, int],
    revalidate_from: Mapping[str, int] | None = None,
) -> Resume:
    """The worker group's positions on its raw partitions, and whether Redis matches (pure).

    ``high_water``: Redis's highest stored offset per partition (absent: none stored);
    ``revalidate_from``: after a crash, per partition the first offset to validate again.
    """
    positions: dict[str, int] = {}
    mismatched: list[str] = []
    for tp in partitions:
        end, done = ends.get(tp, 0), min(committed.get(tp, 0), ends.get(tp, 0))
        after_redis = high_water.get(tp, -1) + 1
        if after_redis > end or after_redis < done:
            mismatched.append(tp)
        if revalidate_from is not None:
            done = min(done, revalidate_from.get(tp, done))
        positions[tp] = max(done, 0)
    return Resume(positions, tuple(sorted(mismatched)))
