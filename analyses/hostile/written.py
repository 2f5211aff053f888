"""Tables lbprun writes back: formula-like text from the input, carriage returns in fields.

Each case writes a survey, training log or cohort whose text cells (runner ids, shoe ids,
group labels, column names) a spreadsheet would run as a formula (``=cmd|' /C calc'!A0``,
``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd``, ``-cmd``, a leading tab) or whose quoted fields
hold carriage returns, runs a real ``lbprun`` sub-command in-process with its output under
``out`` (CSV and XLSX), and checks the files: every formula-like text cell starts with ``'``,
no XLSX cell is a formula, the row counts are right and nothing else was written.
Two cases pin down what the readers themselves do with such text.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lbprun
from analyses.hostile import Case
from lbprun.io._parse import is_formula

DDE = "=cmd|' /C calc'!A0"
LINK = '=HYPERLINK("http://evil", "x")'
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
CLUBS = [DDE, LINK, SUM, "+cmd", "-cmd", "\tclub", "ok\rclub"]


def _field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _formula_like(text: str) -> bool:
    return text[:1] in ("\t", "\r") or is_formula(text)


def _write(name: str, lines: list[str]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        return path

    return make


def _log(ids: list[str], shoes: list[str], weeks: int = 3) -> list[str]:
    lines = ["runner_id,date,distance_km,duration_min,shoe_id"]
    for i, (runner, shoe) in enumerate(zip(ids, shoes, strict=True)):
        for week in range(weeks):
            day = f"2025-01-{6 + 7 * week + i % 3:02d}"
            lines.append(f"{_field(runner)},{day},{5 + week},{30 + 6 * week},{_field(shoe)}")
    return lines


def _survey(clubs: list[str], n: int = 28, club_header: str = "club") -> list[str]:
    lines = [f"runner_id,sex,{_field(club_header)},lbp_12m"]
    for i in range(n):
        lines.append(f"-r{i},{'FM'[i % 2]},{_field(clubs[i % len(clubs)])},{int(i % 3 == 0)}")
    return lines


def _cli(*args: str) -> Callable[[Path, Path], dict[str, Any]]:
    """Run ``lbprun`` in-process; ``{in}``, ``{dir}`` (its folder) and ``{out}`` in ``args``
    become the paths."""

    def run(path: Path, out: Path) -> dict[str, Any]:
        from lbprun.cli import main

        places = {"{in}": str(path), "{dir}": str(path.parent), "{out}": str(out)}
        argv = list(args)
        for key, value in places.items():
            argv = [a.replace(key, value) for a in argv]
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(argv)
        return {"code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}

    return run


def _rows(path: Path) -> list[list[Any]]:
    if path.suffix == ".xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(path).active
        cells = [c for row in sheet.iter_rows() for c in row]
        formulas = [c.coordinate for c in cells if c.data_type == "f"]
        assert not formulas, f"{path.name}: formula cells {formulas}"
        return [[c.value for c in row] for row in sheet.iter_rows()]
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _as_xml(text: str) -> str:
    """Text as XLSX gives it back: XML reads CRLF and CR as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _all_escaped(rows: list[list[Any]], name: str) -> None:
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and cell and not cell.startswith("'"):
                assert not _formula_like(cell), f"{name}: unescaped {cell!r}"


def _outputs(
    expect: dict[str, int], code: int = 0, texts: tuple[str, ...] = ()
) -> Callable[[Any, Path, Path], None]:
    """Check exit code, that ``out`` holds exactly these files with these row counts (header
    included), that every formula-like text cell is escaped, and that ``texts`` appear."""

    def check(result: Any, path: Path, out: Path) -> None:
        assert result["code"] == code, result
        written = sorted(p.name for p in out.rglob("*"))
        assert written == sorted(expect), written
        inputs = {p.name for p in path.parent.iterdir()}
        assert inputs <= {"runs.csv", "survey.csv", "cohort.csv"}, inputs
        found: set[str] = set()
        for name, n_rows in expect.items():
            rows = _rows(out / name)
            assert len(rows) == n_rows, f"{name}: {len(rows)} rows, expected {n_rows}"
            _all_escaped(rows, name)
            found |= {c for row in rows for c in row if isinstance(c, str)}
        missing = [t for t in texts if t not in found and _as_xml(t) not in found]
        assert not missing, f"not written: {missing}"

    return check


def _stdout_csv(n_rows: int, texts: tuple[str, ...]) -> Callable[[Any, Path, Path], None]:
    def check(result: Any, path: Path, out: Path) -> None:
        assert result["code"] == 0, result
        assert not list(out.iterdir())
        rows = list(csv.reader(io.StringIO(result["stdout"], newline="")))
        assert len(rows) == n_rows, len(rows)
        _all_escaped(rows, "stdout")
        cells = {c for row in rows for c in row}
        assert all(t in cells for t in texts), texts

    return check


def _reader_keeps_text(result: Any, path: Path, out: Path) -> None:
    assert sorted(result["runner_id"]) == sorted([DDE, LINK, "-cmd", "@x"])
    assert result["runner_id"].dtype == "string"


def _reader_rejects_formula_numbers(error: Any, path: Path, out: Path) -> None:
    cases = error.failure_cases
    assert set(cases["check"]) >= {"formula", "allowed"}, cases[["column", "check"]]
    assert not list(out.iterdir())


def _read_survey(path: Path, out: Path) -> Any:
    return lbprun.read_survey(path)


IDS = [DDE, LINK, "-cmd", "@x", "R5"]
SHOES = ["+shoe", SUM, "=1+1", "S4\rS5", "-3"]
ESCAPED_IDS = ("'" + DDE, "'" + LINK, "'-cmd", "'@x", "R5")

CASES: list[Case] = [
    Case(
        name="written_workload_csv_dde_runner_ids",
        kind="written",
        make=_write("runs.csv", _log(IDS, SHOES)),
        run=_cli("workload", "{in}", "--out", "{out}/weekly.csv"),
        check=_outputs({"weekly.csv": 16}, texts=ESCAPED_IDS),
        what="runner ids holding DDE and HYPERLINK payloads, written to a weekly CSV",
    ),
    Case(
        name="written_workload_xlsx_runs_shoe_ids",
        kind="written",
        make=_write("runs.csv", _log(IDS, SHOES)),
        run=_cli("workload", "{in}", "--out", "{out}/runs.xlsx", "--what", "runs"),
        check=_outputs({"runs.xlsx": 16}, texts=(*ESCAPED_IDS, "'+shoe", "'" + SUM, "-3")),
        what="@SUM, +cmd and =1+1 shoe ids written to XLSX: text cells, never formulas",
    ),
    Case(
        name="written_workload_csv_carriage_returns",
        kind="written",
        make=_write("runs.csv", _log(["R1\rR2", "R3\r\nR4", "R5"], ["a\rb", "c\nd", "\r=1"])),
        run=_cli("workload", "{in}", "--out", "{out}/runs.csv", "--what", "runs"),
        check=_outputs({"runs.csv": 10}, texts=("R1\rR2", "R3\r\nR4", "a\rb", "c\nd")),
        what="carriage returns and CRLF inside quoted ids: quoted again, no extra rows",
    ),
    Case(
        name="written_workload_spikes_xlsx_dde",
        kind="written",
        make=_write("runs.csv", _log(IDS, SHOES, weeks=4)),
        run=_cli("workload", "{in}", "--out", "{out}/spikes.xlsx", "--what", "spikes"),
        check=_outputs({"spikes.xlsx": 21}, texts=ESCAPED_IDS),
        what="DDE runner ids in the spikes table written to XLSX",
    ),
    Case(
        name="written_prevalence_csv_group_labels",
        kind="written",
        make=_write("survey.csv", _survey(CLUBS)),
        run=_cli("prevalence", "{in}", "--by", "club", "--out", "{out}/prevalence.csv"),
        check=_outputs(
            {"prevalence.csv": 2 + len(CLUBS)},
            texts=("'" + DDE, "'" + LINK, "'" + SUM, "'+cmd", "'-cmd", "'\tclub", "ok\rclub"),
        ),
        what="--by labels holding DDE, HYPERLINK, @SUM, +cmd, -cmd, tab and CR, to CSV",
    ),
    Case(
        name="written_prevalence_xlsx_group_labels",
        kind="written",
        make=_write("survey.csv", _survey(CLUBS)),
        run=_cli("prevalence", "{in}", "--by", "club", "--out", "{out}/prevalence.xlsx"),
        check=_outputs({"prevalence.xlsx": 2 + len(CLUBS)}, texts=("'" + DDE, "'\tclub")),
        what="the same group labels written to XLSX: no formula cell",
    ),
    Case(
        name="written_prevalence_stdout_csv",
        kind="written",
        make=_write("survey.csv", _survey(CLUBS)),
        run=_cli("prevalence", "{in}", "--by", "club", "--csv"),
        check=_stdout_csv(2 + len(CLUBS), ("'" + LINK, "ok\rclub")),
        what="--csv on standard output: labels escaped, the CR label quoted",
    ),
    Case(
        name="written_prevalence_formula_column_name",
        kind="written",
        make=_write("survey.csv", _survey(["A", "B"], club_header="@club")),
        run=_cli("prevalence", "{in}", "--by", "@club", "--out", "{out}/p.xlsx"),
        check=_outputs({"p.xlsx": 4}, texts=("'@club",)),
        what="a column named @club used with --by: its name is a cell of the table",
    ),
    Case(
        name="written_incidence_csv_group_labels",
        kind="written",
        make=lambda folder: _cohort(folder),
        run=_cli(
            "incidence",
            "{in}",
            "{dir}/runs.csv",
            "--by",
            "club",
            "--out",
            "{out}/incidence.csv",
        ),  # fmt: skip
        check=_outputs({"incidence.csv": 11}, texts=("'" + DDE, "'@x", "'-cmd")),
        what="cohort group labels holding DDE, @x and -cmd in the incidence table",
    ),
    Case(
        name="written_risk_xlsx_formula_terms",
        kind="written",
        make=_write("survey.csv", _survey(["A", "B", "C"], n=60, club_header="=club")),
        run=_cli("risk", "{in}", "--predictors", "=club", "--firth", "--out", "{out}/or.xlsx"),
        check=_outputs({"or.xlsx": 4}),
        what="a predictor column named =club: its term names start with '='",
    ),
    Case(
        name="written_validate_rejected_csv",
        kind="written",
        make=_write(
            "survey.csv",
            [
                "runner_id,club,age,lbp_12m",
                f"{_field(DDE)},{_field(LINK)},150,1",
                f"-r2,{_field('a' + chr(13) + 'b')},-x,0",
                "R3,ok,30,1",
            ],
        ),  # fmt: skip
        run=_cli("validate", "{in}", "--kind", "survey", "--rejected", "{out}/rejected.csv"),
        check=_outputs({"rejected.csv": 3}, code=1, texts=("'" + DDE, "'" + LINK, "'-x")),
        what="rejected rows with DDE ids and a -x age written back to CSV",
    ),
    Case(
        name="written_validate_rejected_xlsx",
        kind="written",
        make=_write(
            "survey.csv",
            ["runner_id,club,age,lbp_12m", f"{_field(SUM)},{_field('+cmd')},=1+1,1", "R3,ok,30,1"],
        ),  # fmt: skip
        run=_cli("validate", "{in}", "--kind", "survey", "--rejected", "{out}/rejected.xlsx"),
        check=_outputs({"rejected.xlsx": 2}, code=1, texts=("'" + SUM, "'+cmd", "'=1+1")),
        what="a rejected row with @SUM, +cmd and =1+1 written back to XLSX",
    ),
    Case(
        name="written_reader_keeps_formula_text_ids",
        kind="written",
        make=_write(
            "survey.csv",
            ["runner_id,lbp_12m"] + [f"{_field(v)},1" for v in [DDE, LINK, "-cmd", "@x"]],
        ),
        run=_read_survey,
        check=_reader_keeps_text,
        what="the reader keeps formula-like runner ids as text (escaping is the writer's job)",
    ),
    Case(
        name="written_reader_rejects_formula_numbers",
        kind="written",
        make=_write("survey.csv", ["runner_id,age,surface,lbp_12m", "R1,=1+1,=cmd,1"]),
        run=_read_survey,
        expect="DataValidationError",
        check=_reader_rejects_formula_numbers,
        what="a formula in a numeric column and a category is rejected by the reader",
    ),
]


def _cohort(folder: Path) -> Path:
    cohort = ["runner_id,start_date,end_date,lbp_onset_date,club"]
    runs = ["runner_id,date,distance_km,duration_min"]
    for i in range(12):
        label = [DDE, "@x", "-cmd"][i % 3]
        onset = "2025-03-01" if i % 4 == 0 else ""
        cohort.append(f"R{i},2025-01-01,2025-06-30,{onset},{_field(label)}")
        runs.append(f"R{i},2025-01-{10 + i},{5 + i},{30 + 5 * i}")
    (folder / "runs.csv").write_text("\n".join(runs) + "\n", encoding="utf-8")
    path = folder / "cohort.csv"
    path.write_text("\n".join(cohort) + "\n", encoding="utf-8")
    return path
