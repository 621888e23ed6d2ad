from .atomic import atomic_write, stale_temp_files
from .atomic_local_backend import AtomicLocalBackend
from .outputs import MANIFEST, plan_outputs, write_json, write_manifest, write_outputs

__all__ = [
    'AtomicLocalBackend', 'MANIFEST', 'atomic_write', 'plan_outputs', 'stale_temp_files',
    'write_json', 'write_manifest', 'write_outputs'
]
