"""The "Time:" line of every notebook, computed from one stated rule.

The rule (also in CONTRIBUTING.md):

- **Reading.** Count the words (whitespace-separated tokens) of every markdown and code
  cell a student reads (the Time sentence itself excepted, so writing it cannot change it):
  all cells except the setup cell (collapsed, generated) and the solutions at the end (cells tagged ``solution``; the student edition drops them). Read
  them at :data:`WORDS_PER_MINUTE` words a minute, a slow rate on purpose: it is technical
  text with formulas and code to follow and exercises to do, not prose to skim.
- **Running.** Add the notebook's full-mode run time, the ``seconds`` that
  ``python -m helpers.run`` recorded in ``benchmarks/results/series_full.json``.
- **Rounding.** Round the sum *up* to a multiple of :data:`ROUND_TO` minutes.
- **Optional part.** Cells of a section headed ``## Going further`` (up to the next ``## ``
  heading or the solutions) are the optional part: they are counted apart and the line
  names their reading time separately, by the same rule (no run time; rounded up to 5).

A notebook missing from ``series_full.json`` (a new or renamed notebook whose full run the
runner has not recorded yet) is looked up by its topic, the file name without its number
(``06_training_with_keras`` takes the entry of ``05_training_with_keras``), because a
renumbering does not change the run time. With no entry at all, the line counts the
reading time alone and says that its run time is not measured yet; the next recorded full
run and ``--write`` replace that.

``python -m helpers.readtime`` prints every notebook's time and whether its line is up to
date; ``--write`` rewrites the line in every notebook (only the ``**Time:** ...`` sentence,
up to its first full stop: what follows on that line is kept); ``--check`` fails when one is
stale. ``tests/test_readtime.py`` checks every notebook's line against the rule.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import config

#: Reading speed for markdown and code together, words a minute.
WORDS_PER_MINUTE = 100
#: The total is rounded up to a multiple of this many minutes.
ROUND_TO = 5
#: The results file whose ``seconds`` are the full-mode run times.
SERIES_FULL = config.RESULTS_DIR / "series_full.json"
#: The generated sentence: from ``**Time:**`` to the first full stop on its line.
TIME_RE = re.compile(r"\*\*Time:\*\*[^\n]*?\.(?=\s|$)")
GOING_FURTHER_RE = re.compile(r"^##\s+Going further", re.IGNORECASE)
RULE_LINK = "`helpers/readtime.py`"


@dataclass(frozen=True)
class Estimate:
    notebook: str
    words: int  # read in class (setup cell, solutions and Going further excluded)
    optional_words: int  # the Going further part
    run_seconds: float | None  # None: not measured yet

    @property
    def minutes(self) -> int:
        raw = self.words / WORDS_PER_MINUTE + (self.run_seconds or 0.0) / 60
        return round_up(raw)

    @property
    def optional_minutes(self) -> int:
        return round_up(self.optional_words / WORDS_PER_MINUTE) if self.optional_words else 0

    def sentence(self) -> str:
        if self.run_seconds is None:
            how = f"reading at {WORDS_PER_MINUTE} words a minute; its full run is not measured yet"
        else:
            how = (
                f"reading at {WORDS_PER_MINUTE} words a minute plus "
                f"{math.ceil(self.run_seconds / 60)} min of full run"
            )
        extra = (
            f"; the optional Going further part adds about {self.optional_minutes} minutes"
            if self.optional_words
            else ""
        )
        return f"**Time:** about {self.minutes} minutes ({how}, rule in {RULE_LINK}{extra})."


def round_up(minutes: float) -> int:
    """Round up to a multiple of :data:`ROUND_TO`, at least :data:`ROUND_TO`."""
    return max(ROUND_TO, ROUND_TO * math.ceil(minutes / ROUND_TO - 1e-9))


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def word_counts(nb) -> tuple[int, int]:
    """(words read in class, words of the Going further part) of a notebook."""
    core = optional = 0
    in_optional = False
    for cell in nb.cells:
        tags = _tags(cell)
        if "solution" in tags:
            break  # solutions are the end of the notebook
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    in_optional = bool(GOING_FURTHER_RE.match(line))
                    break
        if cell.cell_type not in ("markdown", "code") or "setup" in tags:
            continue
        text = TIME_RE.sub(" ", cell.source) if cell.cell_type == "markdown" else cell.source
        words = len(text.split())  # the Time sentence itself is not counted
        if in_optional:
            optional += words
        else:
            core += words
    return core, optional


def topic(name: str) -> str:
    """``05_training_with_keras.ipynb`` -> ``training_with_keras``."""
    return Path(name).stem.split("_", 1)[-1]


def run_seconds(name: str, results: dict | None = None) -> float | None:
    """The recorded full-run seconds of notebook ``name``, by file name, else by topic."""
    if results is None:
        results = (
            json.loads(SERIES_FULL.read_text(encoding="utf-8")) if SERIES_FULL.is_file() else {}
        )
    entries = results.get("notebooks", {})
    entry = entries.get(name)
    if entry is None:
        same = [e for n, e in entries.items() if topic(n) == topic(name)]
        entry = same[0] if len(same) == 1 else None
    if entry is None or entry.get("status") != "ok":
        return None
    return float(entry["seconds"])


def estimate(path: Path, results: dict | None = None) -> Estimate:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    words, optional = word_counts(nb)
    return Estimate(path.name, words, optional, run_seconds(path.name, results))


def time_line(nb) -> str | None:
    """The ``**Time:** ...`` sentence of the first markdown cell, or None."""
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None:
        return None
    match = TIME_RE.search(first.source)
    return match.group(0) if match else None


def rewrite(nb, sentence: str, name: str = "notebook") -> bool:
    """Put ``sentence`` in place of the first markdown cell's Time sentence; True if changed."""
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None or not TIME_RE.search(first.source):
        raise ValueError(
            f"{name}: its first markdown cell has no '**Time:** about N minutes.' sentence; "
            "add one under 'What you will learn' and run this again."
        )
    new = TIME_RE.sub(lambda _: sentence, first.source, count=1)
    changed = new != first.source
    first.source = new
    return changed


def notebooks() -> list[Path]:
    return sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite every notebook's Time line")
    mode.add_argument("--check", action="store_true", help="fail if a Time line is stale")
    parser.add_argument("names", nargs="*", help="notebook numbers (default: all)")
    args = parser.parse_args(argv)
    paths = [p for p in notebooks() if not args.names or p.name[:2] in args.names]
    stale = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        est = estimate(path)
        sentence = est.sentence()
        current = time_line(nb)
        run = "not measured" if est.run_seconds is None else f"{est.run_seconds:.0f} s"
        state = "ok" if current == sentence else "stale"
        if args.write and current != sentence:
            rewrite(nb, sentence, path.name)
            nbformat.write(nb, path)
            state = "written"
        stale += state == "stale"
        print(
            f"{path.name}: {est.words} words + {run} -> {est.minutes} min"
            + (f" (+{est.optional_minutes} optional)" if est.optional_words else "")
            + f" [{state}]"
        )
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
