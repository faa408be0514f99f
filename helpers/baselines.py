"""The baselines of the series (notebook 01), recorded once and read by later notebooks.

Notebook 01 measures four ways to classify digits with no (or almost no) learning: chance,
the majority class, the nearest mean digit and a linear softmax classifier. Each is fitted
on the fit set and scored on validation (where the series compares), and on the test set
once, as a reference. :func:`record` writes them to ``benchmarks/results/baselines.json``
(full runs on the full data only, through :mod:`helpers.results`); :func:`load` reads them.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import config

#: Results file name (``benchmarks/results/baselines.json``).
NAME = "baselines"


def record(table, details: dict | None = None) -> Path:
    """Record a baselines table: index = baseline name, columns ``validation`` and ``test``
    (accuracies as fractions). Returns the path written (a scratch file unless this is a
    full run on the full data)."""
    from helpers import results

    missing = {"validation", "test"} - set(table.columns)
    if missing:
        raise ValueError(f"the baselines table needs columns 'validation' and 'test'; {missing}.")
    rows = [
        dict(
            name=str(name),
            validation_accuracy=round(float(row["validation"]), 6),
            test_accuracy=round(float(row["test"]), 6),
        )
        for name, row in table.iterrows()
    ]
    quotes = [
        dict(
            quantity=f"Baseline: {row['name']}",
            value=round(100 * row["validation_accuracy"], 2),
            unit="% validation accuracy",
            note=f"test {100 * row['test_accuracy']:.2f}%",
        )
        for row in rows
    ]
    return results.record(NAME, quotes, details={"baselines": rows, **(details or {})})


def load(path: Path | None = None) -> dict | None:
    """``{baseline name: {"validation": accuracy, "test": accuracy}}`` from the results file,
    or None when notebook 01 has not recorded them yet."""
    path = config.RESULTS_DIR / f"{NAME}.json" if path is None else Path(path)
    if not path.is_file():
        return None
    payload = json.loads(path.read_text(encoding="utf-8"))
    return {
        row["name"]: {"validation": row["validation_accuracy"], "test": row["test_accuracy"]}
        for row in payload["details"]["baselines"]
    }
