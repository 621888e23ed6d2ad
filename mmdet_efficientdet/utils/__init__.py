from .cli import run_cli, user_errors
from .dist import prepare_cpu_distributed
from .mmdet_tools import mmdet_tool_path, run_mmdet_tool

__all__ = ['mmdet_tool_path', 'prepare_cpu_distributed', 'run_cli', 'run_mmdet_tool', 'user_errors']
