"""A corpus of hostile and malformed input files, and what lbprun must make of each.

Each :class:`Case` writes its input file(s) into an empty folder, runs one lbprun entry point
on them (a reader, ``lbprun validate``, a sub-command that writes tables) and states the
outcome: a correct result, checked by ``check``, or a named :class:`lbprun.LbprunError`
subclass whose message names the file. ``analyses/make_hostile_files.py`` writes the corpus to
a folder; ``tests/io/test_hostile_corpus.py`` runs every case in its own process with a time
and memory limit and checks that nothing is written outside the case's folder.

Cases live in one module per class of problem (``tabular.py``, ``watch.py``, ``written.py``);
each module exposes ``CASES: list[Case]``. Case names are unique across modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CLASSES", "Case", "all_cases"]

#: The classes of problem the corpus covers.
CLASSES = (
    "structure",  # field counts, delimiters, line ends, headers, duplicated names
    "encoding",  # BOMs, UTF-16, declared encodings, NUL bytes
    "compression",  # zip, gzip and xlsx members that inflate too far
    "xml",  # GPX / TCX: entities, depth, size, times and coordinates
    "fit",  # FIT bytes: headers, CRCs, truncation, damaged records
    "parquet",  # nested, out-of-range and odd-typed columns
    "spreadsheet",  # xlsx / Stata / SPSS: far cells, formulas, value labels
    "export",  # watch-app exports (Strava folders and zips, symlinks, long text)
    "written",  # tables lbprun writes back (formula-like cells, carriage returns)
)

_MODULES = ("tabular", "watch", "written")


@dataclass(frozen=True)
class Case:
    """One hostile input and the outcome lbprun must give.

    Parameters
    ----------
    name : str
        Unique snake_case name; also the case's folder name.
    kind : str
        One of :data:`CLASSES`.
    make : callable
        ``make(folder) -> Path``: writes the input file(s) under ``folder`` (which exists and
        is empty) and returns the path handed to ``run``.
    run : callable
        ``run(path, out) -> result``: calls lbprun on ``path``; ``out`` is an empty folder
        for anything the call writes.
    expect : str, default "ok"
        ``"ok"`` for a correct result, else the name of the ``LbprunError`` subclass that must
        be raised (``"DataReadError"``, ``"DataValidationError"``, ``"NotAnActivityError"``,
        ...); the error's message must name the input file.
    check : callable, optional
        ``check(result, path, out)``: asserts the result is correct (for ``"ok"``), or
        inspects the raised error (for an error case).
    what : str
        One line: what is hostile about the file.
    """

    name: str
    kind: str
    make: Callable[[Path], Path]
    run: Callable[[Path, Path], Any]
    expect: str = "ok"
    check: Callable[[Any, Path, Path], None] | None = None
    what: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CLASSES:
            raise ValueError(f"kind must be one of {CLASSES}; got {self.kind!r}.")


def all_cases() -> dict[str, Case]:
    """Every case of every module, by name (names must be unique)."""
    cases: dict[str, Case] = {}
    for module_name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:  # a module not written yet
            if exc.name == f"{__name__}.{module_name}":
                continue
            raise
        for case in module.CASES:
            if case.name in cases:
                raise ValueError(f"duplicate case name {case.name!r}")
            cases[case.name] = case
    return cases
