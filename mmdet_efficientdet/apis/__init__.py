"""High-level entry points the tools call."""
from .demo import DemoResult, Detection, run_demo

__all__ = ['DemoResult', 'Detection', 'run_demo']
