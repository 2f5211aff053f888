"""Write a report's publishable tables: CSV, Excel or LaTeX, one file per table.

The tables hold text only (a suppressed entry is ``"<11"`` or ``"suppressed"``), so every file
carries exactly what the report shows. CSV and Excel go through :func:`lbprun.io.write.write_table`
(formula-like cells escaped); LaTeX is a plain ``tabular`` with its special characters escaped.

Examples
--------
>>> import pandas as pd
>>> print(latex_table(pd.DataFrame({"group": ["a_b"], "n": ["<11"]}), "Counts & more"))
\\begin{table}[ht]
\\centering
\\caption{Counts \\& more}
\\begin{tabular}{ll}
\\hline
group & n \\\\
\\hline
a\\_b & \\textless{}11 \\\\
\\hline
\\end{tabular}
\\end{table}
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lbprun._checks import check_choice

__all__ = ["EXPORT_FORMATS", "export_tables", "latex_table"]

#: Formats of :meth:`lbprun.reporting.report.Report.export_tables`.
EXPORT_FORMATS = ("csv", "xlsx", "tex")

_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def _tex(text: object) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


def latex_table(frame: pd.DataFrame, caption: str) -> str:
    """A ``table`` environment holding ``frame`` as a ``tabular`` (no package needed)."""
    lines = [
        r"\begin{table}[ht]",
        r"\centering",
        rf"\caption{{{_tex(caption)}}}",
        r"\begin{tabular}{" + "l" * len(frame.columns) + "}",
        r"\hline",
        " & ".join(_tex(c) for c in frame.columns) + r" \\",
        r"\hline",
    ]
    lines += [" & ".join(_tex(v) for v in row) + r" \\" for row in frame.itertuples(index=False)]
    lines += [r"\hline", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(lines)


def export_tables(
    tables: Mapping[str, pd.DataFrame],
    captions: Mapping[str, str],
    folder: str | Path,
    format: str = "csv",
) -> list[Path]:
    """Write each table to ``folder/<name>.<format>``; return the paths written."""
    from lbprun.io.write import write_table

    check_choice("format", format, EXPORT_FORMATS)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.{format}"
        if format == "tex":
            path.write_text(latex_table(table, captions.get(name, name)), encoding="utf-8")
        else:
            write_table(table, path, sheet_name=name[:31])
        written.append(path)
    return written
