"""The ``lbprun`` command: one entry point, one sub-command per module of this package.

Each module ``lbprun/cli/<name>.py`` defines ``register(subparsers)``, which adds its
sub-command and sets ``func`` (returning the exit code) on its parser. The command holds no
statistics: it parses arguments, calls the library and prints the result.

Examples
--------
>>> parser = build_parser()
>>> sorted(parser._subparsers._group_actions[0].choices)[:3]
['example', 'incidence', 'model']
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from lbprun import __version__
from lbprun.exceptions import LbprunError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="lbprun",
        description="Epidemiology of low back pain in runners: validate data, estimate "
        "prevalence and incidence, derive training load, model risk factors.",
    )
    parser.add_argument("--version", action="version", version=f"lbprun {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    for sub in subparsers.choices.values():
        if not any("--quiet" in action.option_strings for action in sub._actions):
            sub.add_argument(
                "--quiet",
                action="store_true",
                help="no progress bars (also LBPRUN_PROGRESS=0)",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lbprun`` command and return its exit code.

    Exit codes: 0 success, 1 invalid data or a failed analysis, 2 bad usage (an unknown
    option, a bad ``--config`` file, an output extension lbprun does not write).
    """
    from lbprun.cli._config import UsageError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    from lbprun._progress import _setting, set_progress

    previous = _setting["enabled"]
    if getattr(args, "quiet", False):
        set_progress(False)
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"lbprun {args.command}: error: {error}", file=sys.stderr)
        return 2
    except LbprunError as error:
        print(f"lbprun {args.command}: error: {error}", file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(f"lbprun {args.command}: error: {error}", file=sys.stderr)
        return 1
    finally:
        _setting["enabled"] = previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
