"""``safer feed police`` through the real broker with police.uk API JSON: a folder's
``*-street.json`` is published once, keyed as its crimes' CSV rows, and the same month
re-issued as the data.police.uk CSV corrects its crimes instead of adding them again."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from feeds.adapters.police import read_street_csv
from feeds.adapters.rows import Row
from safer.settings import Settings
from schemas.categories import Source
from schemas.topics import Topics
from tests.integration.worker import read_records, safer_cli
from tests.unit.test_police_api import SAMPLE, csv_twin


def _feed(settings: Settings, path: Path) -> str:
    result: subprocess.CompletedProcess[str] = safer_cli(settings, "feed", "police", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return lines[-1]


def test_api_json_is_published_once_and_its_csv_reissue_adds_no_crime(
    settings: Settings, tmp_path: Path
) -> None:
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))
    total = len(records)
    asb = sum(1 for r in records if not r["persistent_id"])
    folder = tmp_path / "api"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    (folder / "readme.txt").write_text("not an export", encoding="utf-8")

    first = _feed(settings, folder)
    assert first.startswith("police: 1 file(s)"), first
    assert f"published {total:,} ({total:,} new, 0 changed, 0 cancelled)" in first
    assert f"published 0 (0 new, 0 changed, 0 cancelled); unchanged {total:,}" in _feed(
        settings, folder
    )
    published = read_records(settings, Topics(settings.topic_prefix).raw(Source.POLICE).name, total)
    keys = {m.key.decode() for m in published}
    assert len(published) == len(keys) == total

    csv_path = csv_twin(tmp_path)
    rows = [r for r in read_street_csv(csv_path) if isinstance(r, Row)]
    crimes = {r.record_key for r in rows if r.fields[0]}
    assert len(crimes) == total - asb
    assert crimes <= keys, "every crime already has its CSV key"
    kinds = f"{asb:,} new, {total - asb:,} changed, {asb:,} cancelled"
    assert f"published {total + asb:,} ({kinds})" in _feed(settings, csv_path), "no crime added"
