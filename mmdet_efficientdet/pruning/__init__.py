"""Hardware-aware pruning: channel groups (Torch-Pruning DepGraph), SIMD-aligned
structured pruning, sensitivity tables, budget choice,
reporting, and the two runs the tools make (:mod:`.sensitivity_run`,
:mod:`.prune_run`)."""
from ..utils.cpu_isa import simd_width
from .channel_groups import ChannelGroup, GroupGraph, PruningError, build_group_graph, expand_groups
from .prune_run import PruneResult, prune_to_budget
from .report import table_files
from .schedule import choose_ratios, choose_winner_rates, greedy_steps, search_budget
from .sensitivity import activation_sensitivity_table, check_table, sensitivity_table
from .sensitivity_run import SensitivityResult, run_sensitivity
from .structured import apply_widths, kept_channels, prune_detector, pruned_widths

__all__ = [
    'ChannelGroup', 'GroupGraph', 'PruningError', 'build_group_graph',
    'activation_sensitivity_table', 'check_table', 'choose_ratios', 'choose_winner_rates',
    'greedy_steps', 'search_budget', 'expand_groups', 'sensitivity_table', 'table_files',
    'apply_widths', 'kept_channels', 'prune_detector', 'pruned_widths', 'simd_width', 'PruneResult',
    'SensitivityResult', 'prune_to_budget', 'run_sensitivity'
]
