"""Exceptions and warnings raised by lbprun.

Every error lbprun raises derives from :class:`LbprunError`, so ``except LbprunError`` catches
them all; each also derives from the built-in class a Python user would expect (``ValueError``,
``RuntimeError``)::

    LbprunError(Exception)
     ├─ DataValidationError(LbprunError, ValueError)   .failure_cases: DataFrame
     ├─ DataReadError(LbprunError, ValueError)         a file that cannot be read at all
     │   └─ NotAnActivityError                         a readable watch file without an activity
     ├─ ModelFileError(LbprunError, ValueError)        tampered, wrong version, wrong schema
     └─ ConvergenceError(LbprunError, RuntimeError)

    LbprunWarning(UserWarning)
     ├─ SparseDataWarning      zero or very small cells
     ├─ SeparationWarning      (quasi-)complete separation in a logistic model
     ├─ DesignWarning          lonely PSU, zero weights and other survey-design issues
     ├─ ExtrapolationWarning   prediction outside the range of the data
     └─ DataQualityWarning     plausible-but-suspicious data (distances that look like miles)

Examples
--------
>>> from lbprun.exceptions import DataValidationError, LbprunError
>>> issubclass(DataValidationError, ValueError) and issubclass(DataValidationError, LbprunError)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "ConvergenceError",
    "DataQualityWarning",
    "DataReadError",
    "DataValidationError",
    "DesignWarning",
    "ExtrapolationWarning",
    "LbprunError",
    "LbprunWarning",
    "ModelFileError",
    "NotAnActivityError",
    "SeparationWarning",
    "SparseDataWarning",
]


class LbprunError(Exception):
    """Base class of every error raised by lbprun."""


class DataValidationError(LbprunError, ValueError):
    """Data that break the column dictionary's rules.

    Parameters
    ----------
    message : str
        Human-readable summary: failures counted per column and rule, with examples.
    failure_cases : pandas.DataFrame, optional
        Every failure, one row each, with columns ``source, row, runner_id, column, check,
        value, message``. ``row`` is the 1-based line of the file (the header is line 1) or the
        0-based position in a DataFrame source.
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame | None = None):
        super().__init__(message)
        self.failure_cases = failure_cases


class DataReadError(LbprunError, ValueError):
    """A file that cannot be read at all (corrupt, truncated, wrong format, empty)."""


class NotAnActivityError(DataReadError):
    """A readable watch file that holds no recorded activity.

    A GPX route or a track without times, or a FIT settings, workout or monitoring file.
    Reading such a file on its own raises this error; in a folder of watch files it is skipped
    with a note.
    """


class ModelFileError(LbprunError, ValueError):
    """A model file that is tampered with, of the wrong version, or of the wrong schema."""


class ConvergenceError(LbprunError, RuntimeError):
    """An iterative fit that did not converge."""


class LbprunWarning(UserWarning):
    """Base class of every warning issued by lbprun."""


class SparseDataWarning(LbprunWarning):
    """Zero or very small cells that make an estimate unstable."""


class SeparationWarning(LbprunWarning):
    """(Quasi-)complete separation in a logistic model: consider ``method='firth'``."""


class DesignWarning(LbprunWarning):
    """A survey-design problem such as a stratum with a single PSU."""


class ExtrapolationWarning(LbprunWarning):
    """A prediction outside the range of the data the model was fitted on."""


class DataQualityWarning(LbprunWarning):
    """Data that pass validation but look suspicious (e.g. distances that look like miles)."""
