"""The ``engine=`` keyword of the public workload functions: check it, and hand non-pandas
engines to the dispatcher :mod:`lbprun.workload.engines`.

The public functions sit on top of the engines; the engines and the kernel never import this
module. The engines module is imported when first needed, so that the pandas engine works
without the ``scale`` extra.

Examples
--------
>>> check_engine("duckdb")
'duckdb'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun.workload.definitions import ENGINES

__all__ = ["check_engine", "dispatch"]

_EXTRA = 'pip install "lbprun[scale]"'


def check_engine(engine: Any) -> str:
    """Check the ``engine`` keyword."""
    return check_choice("engine", engine, ENGINES)


def _missing_engine(engine: str, error: ImportError) -> ArgumentError:
    missing = getattr(error, "name", None) or str(error)
    return ArgumentError(
        f"engine must be an installed engine; got {engine!r}, which needs the optional "
        f"dependency {missing!r}. Install the scale extra: {_EXTRA}."
    )


def dispatch(name: str, engine: str, activities: Any, kwargs: dict[str, Any]) -> pd.DataFrame:
    """Run workload function ``name`` with a non-pandas engine from :mod:`lbprun.workload.engines`.

    The engines module is imported lazily; when it (or the library it needs) is missing, an
    :class:`~lbprun._checks.ArgumentError` names the extra to install.
    """
    try:
        from lbprun.workload import engines
    except ImportError as error:
        raise _missing_engine(engine, error) from None
    supported = tuple(getattr(engines, "FUNCTIONS", ()))
    if supported and name not in supported:
        raise ArgumentError(
            f"engine must be 'pandas' for {name}; got {engine!r} (the {engine} engine runs "
            f"{', '.join(supported)})."
        )
    try:
        return engines.run(name, activities, engine=engine, **kwargs)
    except ImportError as error:
        raise _missing_engine(engine, error) from None
