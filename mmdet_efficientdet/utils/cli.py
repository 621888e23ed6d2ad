"""Command-line entry points: a user's mistake is one line, not a traceback."""
from __future__ import annotations

import sys
from typing import Callable, Optional, Tuple, Type


def user_errors() -> Tuple[Type[BaseException], ...]:
    """Exceptions that describe bad input (a file, a key, a value) in full.

    Every error type of the package that describes a user's mistake
    subclasses :class:`~mmdet_efficientdet.errors.UserError` (checkpoint,
    annotation, deployment, pruning and divergence errors included), so this
    is one type plus ``FileNotFoundError``; any other exception is a bug and
    keeps its traceback.
    """
    from ..errors import UserError
    return (UserError, FileNotFoundError)


def run_cli(main: Callable[[], Optional[int]]) -> int:
    """Run a tool's ``main``; print a user error as one line, exit code 1.

    Example:
        >>> def main():
        ...     raise FileNotFoundError("config 'x.py' not found")
        >>> run_cli(main)  # prints: error: config 'x.py' not found
        1
    """
    try:
        return main() or 0
    except user_errors() as err:
        message = ' '.join(str(err).split())
        print(f'error: {message}', file=sys.stderr)
        return 1


def positive_int(text: str) -> int:
    """argparse type: an int >= 1 (argparse prints the one-line error)."""
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer')
    if value < 1:
        raise argparse.ArgumentTypeError(f'{value} must be >= 1')
    return value
