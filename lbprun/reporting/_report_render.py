"""Render a report's sections as one self-contained HTML page or as Markdown.

The page fetches nothing: the style sheet is inline, figures are base64 PNG ``data:`` images,
there is no script, font or link to another site, and a Content-Security-Policy forbids any
request the page might otherwise make. A print style sheet sets A4 pages with margins, keeps
tables and figures whole and hides nothing, so the browser's "Print to PDF" gives the report.

Examples
--------
>>> import pandas as pd
>>> from lbprun.reporting._report_format import Section
>>> s = Section(key="a", title="A & B", paragraphs=["x < y"], tables=[("t", "T")])
>>> page = to_html("Title", [s], {"t": pd.DataFrame({"c": ["1"]})})
>>> "<h2>A &amp; B</h2>" in page and "x &lt; y" in page
True
>>> print(to_markdown("Title", [s], {"t": pd.DataFrame({"c": ["1"]})}))
# Title
<BLANKLINE>
## A & B
<BLANKLINE>
x < y
<BLANKLINE>
*T*
<BLANKLINE>
| c |
| --- |
| 1 |
<BLANKLINE>
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from lbprun.reporting._report_format import Section

__all__ = ["markdown_table", "to_html", "to_markdown"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
caption { text-align: left; font-weight: bold; padding: .2rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f0f0f0; }
figure { margin: .5rem 0 1rem; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #333; }
.meta { font-size: .85rem; color: #333; }
code { font-size: .85rem; }
@media print {
  @page { size: A4; margin: 15mm 12mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, figure, tr { break-inside: avoid; page-break-inside: avoid; }
  th { background: #f0f0f0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(frame: pd.DataFrame, name: str, caption: str) -> str:
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f"<table id='table-{_e(name)}'><caption>{_e(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def to_html(title: str, sections: Sequence[Section], tables: Mapping[str, pd.DataFrame]) -> str:
    """The report as one HTML page that needs nothing but itself."""
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<nav><ol>"
        + "".join(f"<li><a href='#{_e(s.key)}'>{_e(s.title)}</a></li>" for s in sections)
        + "</ol></nav>",
    ]
    for s in sections:
        parts.append(f"<section id='{_e(s.key)}'><h2>{_e(s.title)}</h2>")
        parts += [f"<p>{_e(p)}</p>" for p in s.paragraphs]
        if s.items:
            tag = "ol" if s.key == "notes" else "ul"
            parts.append(f"<{tag}>" + "".join(f"<li>{_e(i)}</li>" for i in s.items) + f"</{tag}>")
        parts += [_html_table(tables[name], name, caption) for name, caption in s.tables]
        parts += [
            f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{png}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>"
            for caption, png in s.figures
        ]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table (``|`` in cells escaped)."""
    lines = ["| " + " | ".join(_md(c) for c in frame.columns) + " |"]
    lines.append("| " + " | ".join("---" for _ in frame.columns) + " |")
    lines += [
        "| " + " | ".join(_md(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def to_markdown(
    title: str, sections: Sequence[Section], tables: Mapping[str, pd.DataFrame]
) -> str:
    """The report as Markdown; figures are embedded ``data:`` images."""
    out = [f"# {title}", ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        for p in s.paragraphs:
            out += [p, ""]
        if s.items:
            bullet = (lambda i: f"{i}.") if s.key == "notes" else (lambda i: "-")
            out += [f"{bullet(i)} {item}" for i, item in enumerate(s.items, start=1)] + [""]
        for name, caption in s.tables:
            out += [f"*{caption}*", "", markdown_table(tables[name]), ""]
        for caption, png in s.figures:
            out += [f"![{caption}](data:image/png;base64,{png})", ""]
    return "\n".join(out)
