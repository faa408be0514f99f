"""One check for every results file the series reads (``benchmarks/results/*.json``).

A results file may be half-written (a full disk), hand-edited or written by an older
version. Every reader goes through :func:`load`: it refuses anything that is not a regular
file, is not JSON, or does not match the file's small schema (types, ranges, lengths,
finite numbers), with a :class:`ResultsFileError` that names the file, the field and the
fix. Nothing is ever written or deleted here.

A schema is plain data: ``Obj`` (a JSON object with required and optional fields), ``Map``
(an object with any keys, each value of one schema), ``List``, ``Num``, ``Int``, ``Str``,
``Digits`` (a string of digits 0-9, one per image) and ``Any``.
"""

from __future__ import annotations

import json
import math
import stat
from dataclasses import dataclass, field
from pathlib import Path


class ResultsFileError(ValueError):
    """A results file that cannot be used: names the file, the field and the fix."""


def _shown(path: Path) -> str:
    from helpers import config

    try:
        return str(Path(path).resolve().relative_to(config.ROOT))
    except (ValueError, OSError):
        return str(path)


@dataclass(frozen=True)
class Num:
    lo: float | None = None
    hi: float | None = None
    null: bool = False  # None allowed (a load average on Windows)


@dataclass(frozen=True)
class Int:
    lo: int | None = None
    hi: int | None = None
    null: bool = False


@dataclass(frozen=True)
class Str:
    choices: tuple = ()
    null: bool = False


@dataclass(frozen=True)
class Digits:
    """A string of digits 0-9 (one predicted or true label per image), not empty."""


@dataclass(frozen=True)
class Any_:
    pass


Any = Any_()


@dataclass(frozen=True)
class List:
    item: object = Any
    min_len: int = 0
    null: bool = False


@dataclass(frozen=True)
class Map:
    value: object = Any
    min_len: int = 0


@dataclass(frozen=True)
class Obj:
    required: dict = field(default_factory=dict)
    optional: dict = field(default_factory=dict)


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def problems(value, schema, where: str = "") -> str | None:
    """What is wrong with ``value`` under ``schema`` ("field x: ..."), or None."""
    name = where or "the top level"
    null = getattr(schema, "null", False)
    if value is None and null:
        return None
    if isinstance(schema, Any_):
        return None
    if isinstance(schema, (Num, Int)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{name} should be a number, got {_type_name(value)} {value!r:.40}"
        if not math.isfinite(value):
            return f"{name} should be a finite number, got {value!r}"
        if isinstance(schema, Int) and value != int(value):
            return f"{name} should be a whole number, got {value!r}"
        if schema.lo is not None and value < schema.lo:
            return f"{name} = {value!r} is below its smallest possible value {schema.lo}"
        if schema.hi is not None and value > schema.hi:
            return f"{name} = {value!r} is above its largest possible value {schema.hi}"
        return None
    if isinstance(schema, Str):
        if not isinstance(value, str):
            return f"{name} should be a string, got {_type_name(value)}"
        if schema.choices and value not in schema.choices:
            return f"{name} = {value!r} should be one of {list(schema.choices)}"
        return None
    if isinstance(schema, Digits):
        if not isinstance(value, str) or not value or not (value.isascii() and value.isdigit()):
            got = f"{len(value)} characters" if isinstance(value, str) else _type_name(value)
            return f"{name} should be a string of digits 0-9 (one per image), got {got}"
        return None
    if isinstance(schema, List):
        if not isinstance(value, list):
            return f"{name} should be a list, got {_type_name(value)}"
        if len(value) < schema.min_len:
            return f"{name} should hold at least {schema.min_len} entries, got {len(value)}"
        for i, item in enumerate(value):
            why = problems(item, schema.item, f"{where}[{i}]")
            if why:
                return why
        return None
    if isinstance(schema, Map):
        if not isinstance(value, dict):
            return f"{name} should be an object, got {_type_name(value)}"
        if len(value) < schema.min_len:
            return f"{name} should hold at least {schema.min_len} entries, got {len(value)}"
        for key, item in value.items():
            why = problems(item, schema.value, f"{where}.{key}" if where else key)
            if why:
                return why
        return None
    if isinstance(schema, Obj):
        if not isinstance(value, dict):
            return f"{name} should be an object, got {_type_name(value)}"
        for key in schema.required:
            if key not in value:
                return f"{where + '.' if where else ''}{key} is missing"
        for key, sub in {**schema.required, **schema.optional}.items():
            if key in value:
                why = problems(value[key], sub, f"{where}.{key}" if where else key)
                if why:
                    return why
        return None
    raise TypeError(f"not a schema: {schema!r}")  # pragma: no cover - a bug in this module


def read_json(path, fix: str):
    """The JSON in ``path`` (a regular file), or :class:`ResultsFileError` naming it and ``fix``.

    A FIFO, a device or a folder is refused before it is opened, so nothing can hang.
    """
    path = Path(path)
    shown = _shown(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ResultsFileError(f"{shown} cannot be read ({exc.strerror}). {fix}") from None
    if not stat.S_ISREG(mode):
        raise ResultsFileError(f"{shown} is not a regular file (a folder, pipe or device). {fix}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{shown} cannot be read as UTF-8 text ({exc}). {fix}") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        what = "it is empty" if not text.strip() else f"it is not valid JSON ({exc})"
        raise ResultsFileError(
            f"{shown} is not a readable results file: {what}; it may be half-written or "
            f"edited. {fix}"
        ) from None


def validate(payload, schema, path, fix: str):
    """``payload`` itself when it matches ``schema``; else :class:`ResultsFileError`."""
    why = problems(payload, schema)
    if why:
        raise ResultsFileError(f"{_shown(Path(path))}: {why}. {fix}")
    return payload


def load(path, schema, fix: str):
    """:func:`read_json` then :func:`validate`: the one way a results file is read."""
    return validate(read_json(path, fix), schema, path, fix)


def same_length(path, fix: str, pairs) -> None:
    """Refuse when any ``(field name, text, n)`` in ``pairs`` does not hold ``n`` characters."""
    for name, text, n in pairs:
        if len(text) != n:
            raise ResultsFileError(
                f"{_shown(Path(path))}: {name} holds {len(text):,} digits, but there are {n:,} "
                f"images. {fix}"
            )


# --------------------------------------------------------------------------- the files

PERCENT = Num(0, 100)
FRACTION = Num(0, 1)
LOAD = Num(0, None, null=True)

#: benchmarks/results/series_full.json and series_fast.json (written by helpers.run).
SERIES = Obj(
    required=dict(
        mode=Str(("full", "FAST")),
        notebooks=Map(
            Obj(
                required=dict(seconds=Num(0), status=Str(), finished=Str()),
                optional=dict(
                    peak_memory_mb=Num(0, null=True),
                    cells=Int(0),
                    load_average=LOAD,
                    slowest_cells=List(null=True),
                ),
            )
        ),
    ),
    optional=dict(
        machine=Map(),
        # the main command timed on a fresh clone (benchmarks/fresh_clone.py)
        fresh_clone=Obj(
            required=dict(seconds=Num(0), measured=Str(), status=Str()),
            optional=dict(load_average_before=List(Num(0)), notebooks=Map(Num(0, null=True))),
        ),
    ),
)

#: One run in benchmarks/results/flagship.json (benchmarks/bench_flagship.py).
FLAGSHIP_RUN = Obj(
    required=dict(
        recipe=Str(),
        seed=Int(0),
        epochs=Int(1),
        seconds=Num(0),
        seconds_per_epoch=Num(0),
        val_accuracy=PERCENT,
        test_accuracy=PERCENT,
        measured=Str(),
    ),
    optional=dict(load_average=LOAD),  # test_predictions: checked against the split on use
)
FLAGSHIP = Obj(
    required=dict(
        split=Str(), split_fingerprint=Str(), recipes=Map(Map()), runs=List(FLAGSHIP_RUN)
    ),
)

#: One run of notebook 08's comparison (and the joined runs of notebook 09's benchmark).
COMPARE_RUN = Obj(
    required=dict(
        name=Str(),
        seed=Int(0),
        val_accuracy=FRACTION,
        test_accuracy=FRACTION,
        val_predictions=Digits(),
        test_predictions=Digits(),
    ),
    optional=dict(
        params=Int(0),
        epochs=Int(0),
        best_epoch=Int(0, null=True),
        seconds_per_epoch=Num(0, null=True),
        train_seconds=Num(0, null=True),
        test_errors=Int(0),
        n_fit=Int(0),
        n_val=Int(1),
        n_test=Int(1),
    ),
)
LABELS = Obj(required=dict(val=Digits(), test=Digits()))

#: benchmarks/results/architectures.json (notebook 08, read back by compare.load_results).
ARCHITECTURES = Obj(
    required=dict(labels=LABELS, runs=List(COMPARE_RUN, min_len=1)),
    optional=dict(protocol=Map(), machine=Map(), total_seconds=Num(0)),
)

#: A file whose runs notebook 08 may join (compare.JOINED: notebook 09's benchmark).
JOINABLE = Obj(optional=dict(labels=LABELS, protocol=Map(), recipes=Map(), machine=Map()))

_SUMMARY = Map(
    Obj(required=dict(val_accuracy=Obj(required=dict(mean=PERCENT)), seeds=List(Int(0), min_len=1)))
)
_CHOICE = Obj(required=dict(chosen=Str()))
#: benchmarks/results/beyond_mlp.json (benchmarks/bench_beyond_mlp.py, read by notebook 09).
BEYOND_MLP = Obj(
    optional=dict(
        candidates=Map(Str()),
        mlp_candidates=Map(Str()),
        choice=_CHOICE,
        mlp_choice=_CHOICE,
        summary=_SUMMARY,
        runs=List(COMPARE_RUN),
    )
)
