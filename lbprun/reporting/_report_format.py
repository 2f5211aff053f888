"""Numbers as a report prints them, and figures as embedded PNG images.

Examples
--------
>>> percent(0.24401), interval(0.244013, 0.223054, 0.266266)
('24.4%', '24.4% (22.3% to 26.6%)')
>>> ratio(0.907088, 0.72975, 1.127521), p_value(0.0000123)
('0.91 (0.73 to 1.13)', '<0.001')
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Section", "figure_png", "interval", "new_axes", "p_value", "percent", "ratio"]


def new_axes(width: float = 6.4, height: float = 3.6) -> Any:
    """Axes on a new figure that pyplot does not manage (no display, nothing to close)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height)).subplots()


@dataclass
class Section:
    """One section of a report: text, tables (by name), figures and a list of items.

    Attributes
    ----------
    key : str
        Anchor of the section (``id`` in the HTML).
    title : str
        Heading.
    paragraphs : list of str
        Plain text, escaped when rendered.
    tables : list of (str, str)
        ``(name, caption)``: the table ``name`` of the report's ``tables``.
    figures : list of (str, str)
        ``(caption, base64 PNG)``.
    items : list of str
        A bulleted (or numbered, for notes) list.
    """

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def percent(x: float) -> str:
    """A proportion in percent with one decimal."""
    return f"{100 * x:.1f}%"


def interval(estimate: float, low: float, high: float) -> str:
    """``"p% (low% to high%)"``."""
    return f"{percent(estimate)} ({percent(low)} to {percent(high)})"


def ratio(estimate: float, low: float, high: float) -> str:
    """``"OR (low to high)"`` with two decimals."""
    return f"{estimate:.2f} ({low:.2f} to {high:.2f})"


def p_value(p: float) -> str:
    """Three decimals, or ``"<0.001"``."""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def figure_png(fig: Any) -> str:
    """The figure as base64 PNG text; fonts are rasterised, nothing is fetched."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")
