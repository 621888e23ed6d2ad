"""Command-line entry points: a user's mistake is one line, not a traceback."""
from __future__ import annotations
import argparse
import functools
import json
import sys
from typing import Callable, Dict, Optional, Tuple, Type

from mmengine.config import DictAction

from ..errors import UserError
from .image_size import square_side, to_image_size
from .quiet import quiet_known_noise


def user_errors() -> Tuple[Type[BaseException], ...]:
    """Exceptions that describe bad input (a file, a key, a value) in full.

    Every error type of the package that describes a user's mistake
    subclasses :class:`~mmdet_efficientdet.errors.UserError` (checkpoint,
    annotation, deployment, pruning and divergence errors included), so this
    is one type plus ``FileNotFoundError``; any other exception is a bug and
    keeps its traceback.
    """
    return (UserError, FileNotFoundError)


def run_cli(main: Callable[[], Optional[int]]) -> int:
    """Run a tool's ``main``; print a user error as one line, exit code 1.

    Known library noise is dropped while ``main`` runs
    (:func:`~mmdet_efficientdet.utils.quiet.quiet_known_noise`).

    Example:
        >>> def main():
        ...     raise FileNotFoundError("config 'x.py' not found")
        >>> run_cli(main)  # prints: error: config 'x.py' not found
        1
    """
    try:
        with quiet_known_noise():
            return main() or 0
    except user_errors() as err:
        message = ' '.join(str(err).split())
        print(f'error: {message}', file=sys.stderr)
        return 1


def positive_int(text: str) -> int:
    """argparse type: an int >= 1 (argparse prints the one-line error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer')
    if value < 1:
        raise argparse.ArgumentTypeError(f'{value} must be >= 1')
    return value


def round_to_type(text: str):
    """argparse type of ``--round-to``: ``'auto'`` or an int >= 1."""
    return text if text == 'auto' else positive_int(text)


def add_model_args(parser) -> None:
    """The ``CONFIG CHECKPOINT`` positionals of every tool on a trained model."""
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')


def add_image_size(parser, default_help: str = "the config's image_size") -> None:
    """``--image-size N`` (square) or ``--image-size H W``: the one spelling
    of an input size in every tool (:func:`image_size` reads it)."""
    parser.add_argument(
        '--image-size',
        type=positive_int,
        nargs='+',
        default=None,
        metavar='N',
        help=f'N (square) or H W (default: {default_help})')


def image_size(values, default: int):
    """``(H, W)`` from ``--image-size`` values (1 or 2 ints) or ``default``
    (:func:`~mmdet_efficientdet.utils.image_size.to_image_size`)."""
    return to_image_size(values or default, '--image-size')


def add_threads(parser) -> None:
    """``--threads`` (default 2, the cores of our CI machines)."""
    parser.add_argument(
        '--threads',
        type=positive_int,
        default=2,
        help='torch / ONNX Runtime / OpenVINO threads '
        '(default 2)')


def add_overwrite(parser) -> None:
    """``--overwrite``: let a tool replace an earlier run's outputs."""
    parser.add_argument(
        '--overwrite', action='store_true', help='replace outputs of an earlier run')


def read_json(path: str, what: str, kind: type = list):
    """Load a JSON input of a tool; a user error names the file when it is
    missing, malformed or not a ``kind`` (e.g. a list of table rows)."""

    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} {path!r} not found')
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f'{what} {path}: not valid JSON ({err})')
    if not isinstance(data, kind):
        raise UserError(f'{what} {path}: expected a JSON {kind.__name__}, '
                        f'got {type(data).__name__}')
    return data


def square_size(values):
    """A square ``--image-size`` (one number) or None; ``H W`` with H != W
    is a user error for tools that measure square inputs."""
    return square_side(values, '--image-size') if values else None


def cfg_options_action():
    """argparse action of ``--cfg-options``: mmengine's ``DictAction``, with
    an item that is not ``key=value`` an argparse error naming it (mmengine
    raises ``ValueError: not enough values to unpack``)."""

    class CfgOptionsAction(DictAction):

        def __call__(self, parser, namespace, values, option_string=None):
            for item in values:
                if '=' not in item or item.startswith('='):
                    parser.error(f'{option_string} {item!r}: expected key=value '
                                 f'(e.g. train_dataloader.batch_size=4)')
            super().__call__(parser, namespace, values, option_string)

    return CfgOptionsAction


class DeprecatedFlag(argparse.Action):
    """A hidden old spelling of a flag: stores into the new flag's ``dest``
    and prints one line saying which flag to use."""

    def __init__(self, option_strings, dest, replacement: str = '', **kwargs) -> None:
        self.replacement = replacement
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(
            f'warning: {option_string} is deprecated and will be removed; use '
            f'{self.replacement}',
            file=sys.stderr)
        setattr(namespace, self.dest, values)


def deprecated_flag(replacement: str):
    """argparse ``action`` of a hidden old spelling replaced by ``replacement``."""
    return functools.partial(DeprecatedFlag, replacement=replacement)


def add_old_spellings(parser, renamed: Dict[str, str], **kwargs) -> None:
    """Hidden old spellings (``{old: new}``) of flags ``parser`` (or a group)
    already has: each stores into the new flag's ``dest`` and prints one
    deprecation line; ``kwargs`` as the new flag's (``type``, ``nargs``).

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument('--latency-ms', type=float)
        >>> add_old_spellings(parser, {'--latency-target': '--latency-ms'}, type=float)
        >>> parser.parse_args(['--latency-target', '9']).latency_ms  # prints the warning
        9.0
    """
    for old, new in renamed.items():
        parser.add_argument(
            old,
            dest=new[2:].replace('-', '_'),
            action=deprecated_flag(new),
            help=argparse.SUPPRESS,
            **kwargs)


def add_target_argument(parser: argparse.ArgumentParser,
                        many: bool = False,
                        old: Tuple[str, ...] = (),
                        **kwargs) -> None:
    """The one flag that names an inference path (eager, fused or a
    deployment target ``<runtime>-<precision>``): ``--target``, or
    ``--targets`` with ``many``. ``old`` spellings (``--path``,
    ``--backends``) still work, hidden, with a one-line deprecation.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_target_argument(parser, old=('--path', ), default='eager')
        >>> parser.parse_args(['--target', 'ov-int8']).target
        'ov-int8'
    """
    flag = '--targets' if many else '--target'
    dest = flag[2:]
    if many:
        kwargs.setdefault('nargs', '+')
    kwargs.setdefault('metavar', 'TARGET')
    parser.add_argument(flag, dest=dest, **kwargs)
    add_old_spellings(
        parser, {spelling: flag
                 for spelling in old},
        nargs=kwargs.get('nargs'),
        choices=kwargs.get('choices'))


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """``--verbose``: let the runtimes' own output through
    (:func:`~mmdet_efficientdet.utils.quiet.quiet_runtimes`)."""
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="also print the runtimes' own output (NNCF progress bars, exporter notes)")
