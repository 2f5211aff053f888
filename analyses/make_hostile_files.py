"""Write the hostile-file corpus (analyses/hostile) to a folder, with a manifest.

Each case's input lands in ``FOLDER/<case>/``; ``manifest.json`` lists the case, its class,
what is hostile about it and the outcome lbprun must give (``ok`` or the named error). The
test suite (tests/io/test_hostile_corpus.py) builds the same files itself and runs each case in
its own process with a time and memory limit.

Run from the repository root::

    python analyses/make_hostile_files.py /tmp/hostile
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyses.hostile import all_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="an empty or new folder")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, case in sorted(all_cases().items()):
        folder = args.folder / name
        folder.mkdir()
        path = case.make(folder)
        manifest.append(
            {
                "case": name,
                "class": case.kind,
                "what": case.what,
                "expect": case.expect,
                "input": str(path.relative_to(args.folder)),
            }
        )
    (args.folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(manifest)} cases written to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
