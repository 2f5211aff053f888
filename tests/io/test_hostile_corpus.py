"""Every hostile or malformed file of the corpus ends in a correct result or a named error.

Each case (``analyses/hostile/``) runs in its own process, with a 5 s and 500 MB limit; a
crash, a hang, a wrong result or an error other than the named ``LbprunError`` fails. Nothing
may be written outside the case's own folder.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyses.hostile import CLASSES, all_cases  # noqa: E402
from analyses.hostile._run import files_under, run_isolated  # noqa: E402

CASES = all_cases()


def test_corpus_is_large_and_covers_every_class():
    assert len(CASES) >= 60
    per_class = Counter(case.kind for case in CASES.values())
    assert set(per_class) == set(CLASSES), per_class
    assert all(case.what for case in CASES.values())


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(name, corpus_root):
    sandbox = corpus_root / "sandbox"
    sandbox.mkdir(exist_ok=True)
    before = files_under(sandbox)
    report = run_isolated(name, sandbox)
    assert report["outcome"] == "ok", f"{name}: {report['outcome']}: {report.get('detail')}"
    case_folder = sandbox / name
    written = files_under(sandbox) - before
    outside = {
        p for p in written if not (p.startswith(f"{name}/input/") or p.startswith(f"{name}/out/"))
    }
    assert not outside, f"{name} wrote outside its folder: {sorted(outside)}"
    assert case_folder.exists()
