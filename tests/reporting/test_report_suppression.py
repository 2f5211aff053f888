"""A group with 3 cases: its count never shows, nor anything it could be derived from.

The survey below has 140 runners on treadmills, 3 of them cases. The report is rendered as
HTML and Markdown and exported as CSV, Excel and LaTeX; in each the treadmill group's cases,
non-cases, percentages, estimate and interval are hidden, and the independent integer-programming
audit of ``test_suppression.py`` is run on every count any table shows.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun.reporting.report import report
from lbprun.reporting.suppression import SuppressedTable, suppress_counts
from tests.reporting.test_suppression import _assert_protected

CASES = {"asphalt": (120, 380), "trail": (60, 240), "treadmill": (3, 137)}
YES, NO = "lbp_12m = yes", "lbp_12m = no"


def _survey(cases: dict[str, tuple[int, int]], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    surface, lbp = [], []
    for level, (yes, no) in cases.items():
        surface += [level] * (yes + no)
        lbp += [1] * yes + [0] * no
    n = len(surface)
    return pd.DataFrame(
        {
            "runner_id": [f"RUN{i:05d}" for i in range(n)],
            "sex": rng.choice(["F", "M"], size=n),
            "age": rng.integers(18, 70, size=n).astype(float),
            "surface": surface,
            "lbp_12m": lbp,
        }
    )


@pytest.fixture(scope="module")
def built():
    return report(_survey(CASES), outcome="lbp_12m", by=["surface", "sex"])


@pytest.fixture(scope="module")
def outputs(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    texts = {"html": built.to_html(), "markdown": built.to_markdown()}
    for fmt in ("csv", "tex"):
        for path in built.export_tables(folder / fmt, fmt):
            texts[f"{fmt}:{path.stem}"] = path.read_text(encoding="utf-8")
    frames = {}
    for path in built.export_tables(folder / "xlsx", "xlsx"):
        frames[path.stem] = pd.read_excel(path, dtype=str, keep_default_na=False)
        texts[f"xlsx:{path.stem}"] = frames[path.stem].to_csv(index=False)
    return texts, frames


def _number(cell: str) -> int | None:
    match = re.fullmatch(r"(\d+)(?: \(\d+\.\d\))?", str(cell).strip())
    return int(match.group(1)) if match else None


def _published_table(table_one: pd.DataFrame, prevalence_table: pd.DataFrame) -> SuppressedTable:
    """The surface × outcome table with margins, an entry hidden unless some table shows it."""
    true = suppress_counts(
        pd.DataFrame(
            {NO: [v[1] for v in CASES.values()], YES: [v[0] for v in CASES.values()]},
            index=list(CASES),
        ),
        threshold=10**9,  # every count, none hidden: only its margins are used
    ).counts
    shown = pd.DataFrame(False, index=true.index, columns=true.columns)
    rows = table_one[table_one["variable"] == "surface"].set_index("level")
    for level in CASES:
        for column in (NO, YES):
            shown.loc[level, column] = _number(rows.loc[level, column]) is not None
        shown.loc[level, "Total"] = _number(rows.loc[level, "Overall"]) is not None
    sizes = table_one[table_one["variable"] == "n"].iloc[0]
    shown.loc["Total", NO] = _number(sizes[NO]) is not None
    shown.loc["Total", YES] = _number(sizes[YES]) is not None
    shown.loc["Total", "Total"] = _number(sizes["Overall"]) is not None
    prevalence_rows = prevalence_table.set_index("group")
    for level in CASES:
        row = prevalence_rows.loc[f"surface: {level}"]
        shown.loc[level, YES] |= _number(row["cases"]) is not None
        shown.loc[level, "Total"] |= _number(row["n"]) is not None  # no missing outcomes
    values = true.to_numpy()
    status = np.where(shown.to_numpy(), 0, np.where((values > 0) & (values < 11), 1, 2))
    return SuppressedTable(
        counts=true,
        status=pd.DataFrame(status, index=true.index, columns=true.columns),
        threshold=11,
    )


def test_the_treadmill_group_shows_no_count_estimate_or_interval(built):
    t1 = built.tables["table_one"].set_index(["variable", "level"])
    assert t1.loc[("surface", "treadmill"), YES] == "<11"
    assert t1.loc[("surface", "treadmill"), NO] == "suppressed"
    row = built.tables["prevalence"].set_index("group").loc["surface: treadmill"]
    assert row.tolist() == ["suppressed", "<11", "suppressed"]
    odds = built.tables["odds_ratios"].set_index("term")
    assert odds.loc["surface: treadmill vs asphalt"].tolist() == ["suppressed", "suppressed"]
    # trail's cells are the complementary ones (smallest on the treadmill's columns)
    assert odds.loc["surface: trail vs asphalt", "odds ratio (95% CI)"] == "suppressed"
    assert re.fullmatch(
        r"\d\.\d\d \(\d\.\d\d to \d\.\d\d\)", odds.loc["sex: M vs F", "odds ratio (95% CI)"]
    )


def test_no_output_lets_the_three_cases_be_derived(built, outputs):
    texts, frames = outputs
    for fmt in ("csv", "xlsx"):
        table_one = pd.read_csv(
            io.StringIO(texts[f"{fmt}:table_one"]), dtype=str, keep_default_na=False
        )
        prevalence_table = pd.read_csv(
            io.StringIO(texts[f"{fmt}:prevalence"]), dtype=str, keep_default_na=False
        )
        published = _published_table(table_one, prevalence_table)
        assert published.status.loc["treadmill", YES] == 1
        assert published.status.loc["treadmill", NO] > 0
        _assert_protected(published)  # the independent integer audit
    # percentages and intervals that would give 3 away: 3/140, 137/140, 3/183, 137/757
    derived = ["2.1%", "97.9%", "3 (1.6)", "137 (18.1)", "3 (2.1", "(2.1)", "(97.9)"]
    for name, text in texts.items():
        for value in derived:
            assert not re.search(rf"(?<![\d.]){re.escape(value)}", text), (name, value)
        for line in text.splitlines():
            if "treadmill" in line and "vs" not in line:
                assert not re.search(r"(?<![\w<.-])(3|137)(?![\w.])", line), (name, line)
    assert "\\textless{}11" in texts["tex:prevalence"]


@settings(max_examples=6, deadline=None)
@given(small=st.integers(1, 10), other=st.integers(11, 60))
def test_any_small_group_is_hidden_in_every_table(small, other):
    cases = {"asphalt": (other + 40, 200), "trail": (other, 150), "treadmill": (small, 90)}
    built = report(_survey(cases, seed=small), outcome="lbp_12m", by=["surface"], covariates=[])
    row = built.tables["prevalence"].set_index("group").loc["surface: treadmill"]
    assert row["cases"] == "<11" and row["prevalence (95% CI)"] == "suppressed"
    t1 = built.tables["table_one"].set_index(["variable", "level"])
    assert t1.loc[("surface", "treadmill"), YES] == "<11"
    shown = built.tables["prevalence"]["prevalence (95% CI)"] != "suppressed"
    assert shown.sum() >= 1  # the overall row is left
