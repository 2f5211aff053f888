"""A progress bar over the stages of a sub-command (read, validate, compute, write).

The bar (tqdm, on standard error) advances one step per stage and shows the stage's counts
(rows read, kept and rejected, table rows, the file written); a computation with its own bar
over runners shows it beneath. Disabled, it does nothing. It follows lbprun's one policy
(:mod:`lbprun._progress`): ``enabled=None`` shows it only when standard error is a terminal
and bars are not turned off (``--quiet``, ``lbprun.set_progress(False)``,
``LBPRUN_PROGRESS=0``).

Examples
--------
>>> with Stages(False, ("read", "write"), "lbprun workload") as stages:
...     stages.start("read")
...     stages.done("read", "10 rows in")
>>> stages.log
['read: 10 rows in']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lbprun._progress import progress_bar, progress_enabled

__all__ = ["Stages"]


class Stages:
    """Stage-by-stage progress: ``start(stage)`` then ``done(stage, counts)``.

    Parameters
    ----------
    enabled : bool or None
        Show the bar (tqdm on standard error); None: as :func:`lbprun._progress.progress_bar`.
    stages : sequence of str
        The stages, in order (the bar's total).
    desc : str
        The bar's label.
    """

    def __init__(self, enabled: bool | None, stages: Sequence[str], desc: str) -> None:
        self.stages = tuple(stages)
        self.desc = desc
        self.log: list[str] = []
        self.bar: Any = None
        if progress_enabled(enabled):
            self.bar = progress_bar(len(self.stages), desc=desc, unit="stage", enabled=True)

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def start(self, stage: str) -> None:
        """Show that ``stage`` is running."""
        if self.bar is not None:
            self.bar.set_description_str(f"{self.desc}: {stage}")

    def done(self, stage: str, counts: str) -> None:
        """Advance the bar past ``stage`` and show its counts."""
        self.log.append(f"{stage}: {counts}")
        if self.bar is not None:
            self.bar.set_description_str(f"{self.desc}: {stage}", refresh=False)
            self.bar.set_postfix_str(counts, refresh=False)
            self.bar.update(1)
            self.bar.refresh()  # every stage is shown, however fast
