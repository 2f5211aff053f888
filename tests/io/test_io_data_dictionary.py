"""The committed data dictionary page is generated from the schema and up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from lbprun.io.schema import SCHEMAS, UNIT_FACTORS, data_dictionary_markdown

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "data_dictionary.md"


def test_committed_page_is_up_to_date():
    assert PAGE.read_text(encoding="utf-8") == data_dictionary_markdown(), (
        "docs/data_dictionary.md is stale: run python analyses/make_data_dictionary.py"
    )


def test_page_lists_every_column_and_unit():
    page = data_dictionary_markdown()
    for schema in SCHEMAS.values():
        assert f"## {schema.kind}" in page
        for column in schema:
            assert f"| `{column.name}` |" in page
    for column in UNIT_FACTORS:
        assert f"| `{column}` | km (1)" in page or f"| `{column}` | m" in page


def test_script_writes_the_page(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "make_data_dictionary", ROOT / "analyses" / "make_data_dictionary.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "docs" / "dd.md")
    written = module.main()
    assert written.read_text(encoding="utf-8") == data_dictionary_markdown()
