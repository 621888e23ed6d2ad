"""High-level entry points the tools call."""
from .demo import DemoResult, Detection, run_demo
from .shapes_demo import ShapesDemoResult, run_shapes_demo

__all__ = ['DemoResult', 'Detection', 'run_demo', 'ShapesDemoResult', 'run_shapes_demo']
