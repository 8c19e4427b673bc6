"""``python -m bench.fuzz TARGET --seconds N [--corpus DIR]`` (see ``README.md`` here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.fuzz.runner import CORPUS, CRASHES, NAMES, fuzz, reproduce


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz",
        description=(
            "Fuzz one adapter's parser (a whole export file through the importer's row -> "
            "event step) or the raw-message decoder with atheris for a number of seconds. "
            "Every exception, and every record read that is neither an event nor a "
            "FILE:LINE: reason rejection, is a crash; each new one is saved under "
            f"{CRASHES}/TARGET/ and fuzzing goes on. Prints executions, executions/s and "
            "the crashes found; exits 1 if there were any."
        ),
    )
    parser.add_argument("target", choices=NAMES, help="what to fuzz")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="how long to fuzz (default: 60)"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        help=f"the corpus folder, kept between runs (default: {CORPUS}/TARGET); the "
        "samples' seeds are added on every run",
    )
    parser.add_argument(
        "--reproduce",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="run these inputs (saved crashes) once each, without atheris, and print what "
        "they raise",
    )
    parser.add_argument(
        "--libfuzzer",
        action="append",
        default=[],
        metavar="FLAG",
        help="a libFuzzer flag to pass on, e.g. --libfuzzer=-max_len=8192 (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.reproduce:
        return reproduce(args.target, args.reproduce)
    corpus = args.corpus or CORPUS / args.target
    return fuzz(args.target, args.seconds, corpus, CRASHES / args.target, args.libfuzzer)


if __name__ == "__main__":
    sys.exit(main())
