"""The one error type for a user's mistake (bad argument, file or value).

Tools run through :func:`~mmdet_efficientdet.utils.cli.run_cli`, which prints
a :class:`UserError` as one ``error: ...`` line with exit code 1; anything
else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Bad input: the message names the file, key or value and the problem."""
