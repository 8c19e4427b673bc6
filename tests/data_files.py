"""Real public test data kept in ``tests/data`` (large files gzipped)."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

DATA = Path(__file__).parent / "data"


def data_file(name: str) -> Path:
    """A test data file by its published name (unpacked once into the temp folder if it
    is stored gzipped, so that its name stays the published one)."""
    plain = DATA / name
    if plain.exists():
        return plain
    packed = DATA / f"{name}.gz"
    if not packed.exists():
        raise FileNotFoundError(f"no test data file {name} in {DATA}")
    target = Path(tempfile.gettempdir()) / "safer-test-data" / name
    if not target.exists() or target.stat().st_mtime < packed.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        with gzip.open(packed, "rb") as source, partial.open("wb") as out:
            shutil.copyfileobj(source, out)
        partial.replace(target)
    return target


def police_months(year: int) -> list[Path]:
    """Every Merseyside street-crime month of a year kept here, in month order."""
    names = sorted(p.name.removesuffix(".gz") for p in DATA.glob(f"{year}-*-street.csv*"))
    return [data_file(name) for name in names]
