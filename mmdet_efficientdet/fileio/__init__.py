from .atomic import atomic_write, commit_file, commit_folder, stale_temp_files, temp_path
from .atomic_local_backend import AtomicLocalBackend
from .download import DownloadError, download_file
from .outputs import MANIFEST, plan_outputs, write_json, write_manifest, write_outputs

__all__ = [
    'AtomicLocalBackend', 'DownloadError', 'MANIFEST', 'download_file', 'atomic_write',
    'commit_file', 'commit_folder', 'plan_outputs', 'stale_temp_files', 'temp_path', 'write_json',
    'write_manifest', 'write_outputs'
]
