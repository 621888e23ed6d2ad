"""Hardware-aware pruning: channel groups (Torch-Pruning DepGraph), SIMD-aligned
structured pruning to a budget, sensitivity analysis, activation masks."""
from .channel_groups import (ChannelGroup, GroupGraph, PruningError,
                             build_group_graph, expand_groups)
from .evaluation import DetectionEvaluator
from .sensitivity import (OrtLatency, activation_sensitivity_table,
                          choose_ratios, choose_winner_rates, greedy_steps,
                          search_budget,
                          sensitivity_table, write_table)
from ..utils.cpu_isa import simd_width
from .structured import (apply_widths, kept_channels, prune_detector,
                         pruned_widths)

__all__ = ['ChannelGroup', 'GroupGraph', 'PruningError', 'build_group_graph',
           'DetectionEvaluator', 'OrtLatency', 'activation_sensitivity_table',
           'choose_ratios', 'choose_winner_rates', 'greedy_steps',
           'search_budget',
           'expand_groups', 'sensitivity_table', 'write_table',
           'apply_widths', 'kept_channels', 'prune_detector', 'pruned_widths',
           'simd_width']
