"""The one error type for a user's mistake (bad argument, file or value).

Tools run through :func:`~mmdet_efficientdet.utils.cli.run_cli`, which prints
a :class:`UserError` as one ``error: ...`` line with exit code 1; anything
else is a bug and keeps its traceback. The package's specific errors
(checkpoint, annotation, deployment, pruning, divergence, missing pretrained
weights) subclass it, so one ``except UserError`` covers every user mistake.
"""


class UserError(Exception):
    """Bad input: the message names the file, key or value and the problem."""
