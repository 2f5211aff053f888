"""Tables written by ``lbprun`` sub-commands: formula-like input text escaped, rows intact."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lbprun.cli import main
from lbprun.io._parse import is_formula

DDE = "=cmd|' /C calc'!A0"
LINK = '=HYPERLINK("http://evil", "x")'
#: Text a spreadsheet would run, and one label with a carriage return inside.
LABELS = [DDE, LINK, "@SUM(1+1)", "+cmd", "-cmd", "\tclub", "a\rb"]


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _formula_like(text: str) -> bool:
    return text[:1] in ("\t", "\r") or is_formula(text)


def _assert_escaped(cells: list) -> None:
    for cell in cells:
        if isinstance(cell, str) and cell and not cell.startswith("'"):
            assert not _formula_like(cell), repr(cell)


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _read_xlsx(path: Path) -> list[list]:
    sheet = openpyxl.load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def training_log(tmp_path):
    ids = [DDE, LINK, "-cmd", "@x", "R5"]
    shoes = ["+shoe", "\tS2", "=1+1", "S4\rS5", "-3"]
    lines = ["runner_id,date,distance_km,duration_min,shoe_id"]
    for i, (runner, shoe) in enumerate(zip(ids, shoes, strict=True)):
        for week in range(3):
            day = f"2025-01-{6 + 7 * week + i % 3:02d}"
            lines.append(
                f"{_csv_field(runner)},{day},{5 + week},{30 + 6 * week},{_csv_field(shoe)}"
            )
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return path


@pytest.fixture
def survey(tmp_path):
    lines = ["runner_id,sex,club,lbp_12m"]
    for i in range(28):
        label = LABELS[i % len(LABELS)]
        lines.append(
            f"{_csv_field('-r' + str(i))},{'FM'[i % 2]},{_csv_field(label)},{i % 3 == 0:d}"
        )
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("what", ["weekly", "runs"])
def test_workload_csv_escapes_runner_and_shoe_ids(training_log, tmp_path, what):
    out = tmp_path / f"{what}.csv"
    assert main(["workload", str(training_log), "--out", str(out), "--what", what]) == 0
    rows = _read_csv(out)
    assert len(rows) == 16  # header + 5 runners x 3 weeks (or runs)
    header = rows[0]
    ids = {row[header.index("runner_id")] for row in rows[1:]}
    assert ids == {"'" + DDE, "'" + LINK, "'-cmd", "'@x", "R5"}
    for row in rows:
        _assert_escaped(row)
    if what == "runs":
        shoes = {row[header.index("shoe_id")] for row in rows[1:]}
        # the reader strips the spaces and tabs around schema text columns ("\tS2" is "S2")
        assert shoes == {"'+shoe", "S2", "'=1+1", "S4\rS5", "-3"}
        assert "-3" in shoes  # a plain number stays as it is
    numbers = pd.read_csv(out)["distance_km"]
    assert numbers.sum() == pytest.approx(5 * (5 + 6 + 7))


def test_workload_xlsx_has_no_formula_cell(training_log, tmp_path):
    out = tmp_path / "runs.xlsx"
    assert main(["workload", str(training_log), "--out", str(out), "--what", "runs"]) == 0
    rows = _read_xlsx(out)
    assert len(rows) == 16
    for row in rows:
        _assert_escaped(row)
    ids = {row[rows[0].index("runner_id")] for row in rows[1:]}
    assert ids == {"'" + DDE, "'" + LINK, "'-cmd", "'@x", "R5"}
    assert {type(row[rows[0].index("distance_km")]) for row in rows[1:]} <= {int, float}


def test_workload_parquet_keeps_the_text_as_read(training_log, tmp_path):
    out = tmp_path / "weekly.parquet"
    assert main(["workload", str(training_log), "--out", str(out)]) == 0
    assert DDE in set(pd.read_parquet(out)["runner_id"])


def test_workload_rejects_unknown_extension(training_log, tmp_path, capsys):
    assert main(["workload", str(training_log), "--out", str(tmp_path / "w.json")]) == 2
    assert ".xlsx" in capsys.readouterr().err


def _prevalence_groups(rows: list[list]) -> list:
    header = rows[0]
    return [row[header.index("group")] for row in rows[1:] if row[header.index("by")] == "club"]


def test_prevalence_csv_and_xlsx_escape_group_labels(survey, tmp_path, capsys):
    csv_out, xlsx_out = tmp_path / "p.csv", tmp_path / "p.xlsx"
    args = ["prevalence", str(survey), "--by", "club", "--no-suppress"]  # groups of 4
    assert main([*args, "--out", str(csv_out)]) == 0
    assert main([*args, "--out", str(xlsx_out)]) == 0
    assert "wrote 8 rows" in capsys.readouterr().err
    expected = sorted("'" + v if _formula_like(v) else v for v in LABELS)
    for rows in (_read_csv(csv_out), _read_xlsx(xlsx_out)):
        assert len(rows) == 1 + 1 + len(LABELS)  # header, overall, one row per club
        for row in rows:
            _assert_escaped(row)
        groups = [g.replace("\n", "\r") for g in _prevalence_groups(rows)]
        assert sorted(groups) == expected
    table = pd.read_csv(csv_out)
    assert table["n"].tolist() == [28] + [4] * len(LABELS)


def test_prevalence_csv_on_stdout_is_escaped(survey, capsys):
    assert main(["prevalence", str(survey), "--by", "club", "--csv", "--no-suppress"]) == 0
    text = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 + len(LABELS)
    for row in rows:
        _assert_escaped(row)
    assert '"a\rb"' in text


def test_prevalence_bad_out_is_usage_error(survey, tmp_path, capsys):
    assert main(["prevalence", str(survey), "--out", str(tmp_path / "p.txt")]) == 2
    assert "--out must end in" in capsys.readouterr().err


def test_incidence_out_escapes_group_labels(tmp_path, capsys):
    cohort = ["runner_id,start_date,end_date,lbp_onset_date,club"]
    runs = ["runner_id,date,distance_km,duration_min"]
    for i in range(12):
        label = [DDE, "@x", "-cmd"][i % 3]
        onset = "2025-03-01" if i % 4 == 0 else ""
        cohort.append(f"R{i},2025-01-01,2025-06-30,{onset},{_csv_field(label)}")
        runs.append(f"R{i},2025-01-{10 + i},{5 + i},{30 + 5 * i}")
    (tmp_path / "cohort.csv").write_text("\n".join(cohort) + "\n", encoding="utf-8")
    (tmp_path / "runs.csv").write_text("\n".join(runs) + "\n", encoding="utf-8")
    for name in ("i.csv", "i.xlsx"):
        out = tmp_path / name
        args = ["incidence", str(tmp_path / "cohort.csv"), str(tmp_path / "runs.csv")]
        assert main([*args, "--by", "club", "--out", str(out)]) == 0
        rows = _read_csv(out) if name.endswith(".csv") else _read_xlsx(out)
        for row in rows:
            _assert_escaped(row)
        flat = {cell for row in rows for cell in row if isinstance(cell, str)}
        assert {"'" + DDE, "'@x", "'-cmd"} <= flat
    capsys.readouterr()
    assert main([*args, "--by", "club", "--csv"]) == 0
    for row in csv.reader(io.StringIO(capsys.readouterr().out, newline="")):
        _assert_escaped(row)


def test_risk_out_writes_the_odds_ratio_table(tmp_path, capsys):
    survey = Path(__file__).parent / "reference" / "runner_survey.csv"
    out = tmp_path / "or.xlsx"
    args = ["risk", str(survey), "--predictors", "prior_lbp,sex", "--out", str(out)]
    assert main(args) == 0
    rows = _read_xlsx(out)
    assert rows[0][0] == "term" and len(rows) >= 3
    assert "wrote" in capsys.readouterr().err


def test_validate_rejected_rows_are_escaped_in_csv_and_xlsx(tmp_path, capsys):
    source = tmp_path / "survey.csv"
    source.write_text(
        "runner_id,club,age,lbp_12m\n"
        f"{_csv_field(DDE)},{_csv_field(LINK)},150,1\n"
        f"-r2,{_csv_field('a' + chr(13) + 'b')},-x,0\n"
        "R3,ok,30,1\n",
        encoding="utf-8",
    )
    for name in ("rejected.csv", "rejected.xlsx"):
        out = tmp_path / name
        assert main(["validate", str(source), "--kind", "survey", "--rejected", str(out)]) == 1
        rows = _read_csv(out) if name.endswith(".csv") else _read_xlsx(out)
        assert len(rows) == 3  # header and the two rejected rows
        for row in rows:
            _assert_escaped(row)
        header = rows[0]
        assert rows[1][header.index("runner_id")] == "'" + DDE
        assert rows[2][header.index("age")] == "'-x"
    assert "rejected rows written" in capsys.readouterr().err
