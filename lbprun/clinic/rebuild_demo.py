"""Rebuild the shipped demonstration model file.

Run ``python -m lbprun.clinic.rebuild_demo [path]``; without a path it overwrites
``lbprun/clinic/demo_model.json``. The fit is deterministic: only the creation time (and hence
the checksum) differs from the shipped file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lbprun.clinic.demo import DEMO_MODEL_FILE, build_demo_model

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Write the demonstration model to ``argv[0]`` (default :data:`DEMO_MODEL_FILE`)."""
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DEMO_MODEL_FILE
    build_demo_model().save(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
