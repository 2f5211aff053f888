"""Write docs/data_dictionary.md from the column dictionary (lbprun/io/schema.py).

Run from anywhere::

    python analyses/make_data_dictionary.py
"""

from __future__ import annotations

from pathlib import Path

from lbprun.io.schema import data_dictionary_markdown

OUT = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"


def main() -> Path:
    """Write the page and return its path."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(data_dictionary_markdown(), encoding="utf-8")
    return OUT


if __name__ == "__main__":
    print(f"wrote {main()}")
