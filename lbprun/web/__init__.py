"""The clinic scoring page and JSON API (FastAPI), installed with ``pip install "lbprun[web]"``.

:func:`create_app` builds the application for a :class:`~lbprun.clinic.RiskModel`; the
``lbprun serve`` command runs it with uvicorn. This subpackage is never imported by
``import lbprun``.
"""

from lbprun.web._limits import RateLimit
from lbprun.web.app import create_app

__all__ = ["RateLimit", "create_app"]
