"""Progress bars of lbprun's long operations, with one policy for all of them.

Every long operation (reading and validating a large file, the bootstrap of a risk model,
simulating a cohort, the training-load engines, the stages of a command-line sub-command)
takes ``progress: bool | None = None`` and shows its bar through :func:`progress_bar`:

- ``progress=True`` shows the bar and ``progress=False`` hides it, whatever else is set;
- ``progress=None`` (the default) follows the global setting: :func:`set_progress`, else the
  environment variable ``LBPRUN_PROGRESS`` (``0`` off, ``1`` on), else on only when standard
  error is a terminal. So nothing is written when output goes to a file, a pipe, a log or a
  notebook, unless asked for.

The bar is a ``tqdm`` bar on standard error; a bar that is off writes nothing at all.

Examples
--------
>>> set_progress(False)
>>> progress_enabled(None), progress_enabled(True)
(False, True)
>>> with progress_bar(3, desc="demo", unit="runner") as bar:
...     bar.update(3)
>>> set_progress(None)
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

from lbprun._checks import ArgumentError

__all__ = [
    "ENV_VARIABLE",
    "advance",
    "check_progress",
    "progress_bar",
    "progress_enabled",
    "set_progress",
    "track",
]

#: Environment variable turning every bar off (``0``) or on (``1``) when ``progress=None``.
ENV_VARIABLE = "LBPRUN_PROGRESS"

_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")

#: What :func:`set_progress` chose (None: the environment variable, then the terminal test).
_setting: dict[str, bool | None] = {"enabled": None}

T = TypeVar("T")


def check_progress(progress: Any, name: str = "progress") -> bool | None:
    """Check a ``progress`` argument: True, False or None.

    Parameters
    ----------
    progress : object
        The value given.
    name : str, default="progress"
        The argument's name, for the message.

    Returns
    -------
    bool or None
        ``progress`` as a bool, or None.

    Raises
    ------
    lbprun._checks.ArgumentError
        For any other value.

    Examples
    --------
    >>> check_progress(None), check_progress(False)
    (None, False)
    """
    if progress is None:
        return None
    if isinstance(progress, bool | np.bool_):
        return bool(progress)
    raise ArgumentError(f"{name} must be True, False or None; got {progress!r}.")


def set_progress(enabled: bool | None) -> None:
    """Turn every progress bar of lbprun on or off (for calls with ``progress=None``).

    Parameters
    ----------
    enabled : bool or None
        False hides every bar, True shows them even when standard error is not a terminal,
        None goes back to the default (the ``LBPRUN_PROGRESS`` environment variable, else
        bars only on a terminal). A call's own ``progress=True`` or ``False`` still wins.

    Returns
    -------
    None
        The setting holds for the rest of the process (``lbprun --quiet`` sets it for one
        command).

    Raises
    ------
    lbprun._checks.ArgumentError
        When ``enabled`` is not True, False or None.

    Examples
    --------
    >>> set_progress(False)
    >>> progress_enabled()
    False
    >>> set_progress(None)
    """
    _setting["enabled"] = check_progress(enabled, "enabled")


def _from_environment() -> bool | None:
    value = os.environ.get(ENV_VARIABLE)
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text in _OFF:
        return False
    if text in _ON:
        return True
    from lbprun.exceptions import LbprunWarning

    warnings.warn(
        f"{ENV_VARIABLE} must be 0 or 1; got {value!r}: ignored (bars only on a terminal).",
        LbprunWarning,
        stacklevel=4,
    )
    return None


def _stderr_is_terminal() -> bool:
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _terminal_size() -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # not a terminal, or no file descriptor
        return None
    return size.columns, size.lines


def progress_enabled(enabled: bool | None = None) -> bool:
    """Whether a bar asked for with ``enabled`` is shown.

    Parameters
    ----------
    enabled : bool or None, default=None
        True or False decides; None follows :func:`set_progress`, then ``LBPRUN_PROGRESS``,
        then whether standard error is a terminal.

    Returns
    -------
    bool
        True when the bar is shown.

    Examples
    --------
    >>> progress_enabled(False)
    False
    """
    enabled = check_progress(enabled)
    if enabled is not None:
        return enabled
    if _setting["enabled"] is not None:
        return bool(_setting["enabled"])
    from_env = _from_environment()
    if from_env is not None:
        return from_env
    return _stderr_is_terminal()


def progress_bar(
    total: float | None = None,
    *,
    desc: str,
    unit: str,
    enabled: bool | None = None,
    leave: bool = True,
) -> Any:
    """A tqdm progress bar on standard error, shown as :func:`progress_enabled` decides.

    Parameters
    ----------
    total : int, float or None, default=None
        Units of work expected (None: unknown; the bar then counts and shows the rate).
    desc : str
        The bar's label (the operation: ``"read runs.csv"``, ``"bootstrap"``).
    unit : str
        What is counted (``"row"``, ``"runner"``, ``"replicate"``); ``"B"`` counts bytes,
        shown in KiB, MiB, GiB.
    enabled : bool or None, default=None
        Show the bar (True), hide it (False), or follow the global policy (None).
    leave : bool, default=True
        Leave the finished bar on screen.

    Returns
    -------
    tqdm.tqdm
        The bar (a context manager; ``update(n)`` advances it). A hidden bar writes nothing.

    Examples
    --------
    >>> with progress_bar(10, desc="demo", unit="row", enabled=False) as bar:
    ...     bar.update(10)
    >>> bar.disable
    True
    """
    from tqdm.auto import tqdm

    show = progress_enabled(enabled)
    scaled = {"unit_scale": True, "unit_divisor": 1024} if unit == "B" else {}
    # a terminal that reports no size (a fresh pseudo-terminal) would get an empty bar
    size = _terminal_size() if show else None
    if size is not None and 0 in size:
        width: dict[str, Any] = {"ncols": size[0] or 80, "nrows": size[1] or 24}
    else:
        width = {"dynamic_ncols": True}
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=not show,
        file=sys.stderr,
        leave=leave,
        **width,
        **scaled,
    )


def track(
    items: Iterable[T],
    *,
    total: float | None = None,
    desc: str,
    unit: str,
    enabled: bool | None = None,
) -> Iterator[T]:
    """Yield ``items``, advancing a :func:`progress_bar` as each one is finished.

    The bar moves when the loop body has handled an item (also after ``continue``).

    Parameters
    ----------
    items : iterable
        The work items.
    total : int or None, default=None
        Their number (``len(items)`` when it has one).
    desc, unit, enabled
        As in :func:`progress_bar`.

    Yields
    ------
    object
        Each item of ``items``.

    Examples
    --------
    >>> [x * 2 for x in track([1, 2, 3], desc="demo", unit="item", enabled=False)]
    [2, 4, 6]
    """
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(total, desc=desc, unit=unit, enabled=enabled) as bar:
        yield from advance(items, bar)


def advance(items: Iterable[T], bar: Any) -> Iterator[T]:
    """Yield ``items``, advancing ``bar`` by one as each one is finished.

    Parameters
    ----------
    items : iterable
        The work items.
    bar : tqdm.tqdm
        A bar from :func:`progress_bar`.

    Yields
    ------
    object
        Each item of ``items``.

    Examples
    --------
    >>> with progress_bar(2, desc="demo", unit="item", enabled=False) as bar:
    ...     [x for x in advance("ab", bar)]
    ['a', 'b']
    """
    for item in items:
        yield item
        bar.update(1)
