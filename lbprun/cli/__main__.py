"""Allow ``python -m lbprun.cli``."""

import sys

from lbprun.cli import main

sys.exit(main())
