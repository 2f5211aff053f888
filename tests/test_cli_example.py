"""``lbprun example`` runs the quick start on the bundled data, as text and as JSON."""

from __future__ import annotations

import json

from lbprun.cli import main


def test_example_prints_every_section(capsys):
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    for section in ("is valid", "Prevalence of lbp_12m", "per 1000 hours", "km10"):
        assert section in out


def test_example_json_is_parseable_and_consistent(capsys):
    assert main(["example", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= {"validation", "prevalence", "incidence_rate", "risk_factors"}
    overall = payload["prevalence"]["table"][0]
    assert overall["ci_low"] < overall["estimate"] < overall["ci_high"]
    assert payload["incidence_rate"]["table"][0]["events"] > 0


def test_help_lists_every_subcommand(capsys):
    try:
        main(["--help"])
    except SystemExit as stop:
        assert stop.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "prevalence", "incidence", "workload", "risk", "example"):
        assert command in out
