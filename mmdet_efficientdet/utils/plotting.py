"""matplotlib for files, not windows: the one place the package loads it."""
from __future__ import annotations
from types import ModuleType


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (PNG files
    only, no display needed)."""
    # matplotlib loads only when a plot is drawn: it is heavy and picks a
    # GUI backend on import unless told first
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt
