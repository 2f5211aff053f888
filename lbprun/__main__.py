"""Allow ``python -m lbprun``."""

import sys

from lbprun.cli import main

sys.exit(main())
