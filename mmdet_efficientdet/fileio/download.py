"""Download a file, whole or not at all, with one line when offline."""
from __future__ import annotations
import os
import shutil
import urllib.request

from ..errors import UserError
from .atomic import _fsync_dir, temp_path


class DownloadError(UserError, OSError):
    """A file could not be downloaded (offline, or the address failed).

    Attributes:
        url (str): The address.
        reason (str): Why, as the network layer said it.
    """

    def __init__(self, url: str, reason: str, hint: str) -> None:
        super().__init__(f'cannot download {url} ({reason}); {hint}')
        self.url, self.reason = url, reason


def download_file(url: str, path: str, offline_hint: str, timeout: float = 60.0) -> str:
    """Download ``url`` to ``path`` (written under :func:`temp_path`, then
    renamed: a killed download leaves no partial ``path``).

    Args:
        url: The address.
        path: Where the file goes; its folder is created.
        offline_hint: What the user can do instead, for the error (e.g.
            ``'place the file at X (the config key Y points at it)'``).
        timeout: Seconds to wait for the server.

    Returns:
        str: ``path``.

    Raises:
        DownloadError: ``'cannot download URL (reason); <offline_hint>'``.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = temp_path(path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, 'wb') as f:
            shutil.copyfileobj(response, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        reason = getattr(err, 'reason', None) or err
        raise DownloadError(url, str(reason), offline_hint) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    _fsync_dir(folder)
    return path
