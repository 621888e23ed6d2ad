from .atomic import atomic_write, stale_temp_files
from .atomic_local_backend import AtomicLocalBackend

__all__ = ['AtomicLocalBackend', 'atomic_write', 'stale_temp_files']
