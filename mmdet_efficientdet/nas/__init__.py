"""Architecture search on a trained supernet: sub-networks as plain configs
and checkpoints (:mod:`.subnet`), BN recalibration, a latency table measured
on the deploy path, regularised evolution and the search's run."""
from .bn_recalibration import recalibrate_bn
from .evolution import Candidate, mnas_reward, pareto_front, regularized_evolution
from .latency_table import (LatencyTable, block_counts, block_keys, build_latency_table,
                            choice_measure, fit_costs, fit_subnets, prediction_errors)
from .search_run import SearchResult, SearchSettings, search_architecture
from .subnet import extract_subnet, search_space_of, subnet_config

__all__ = [
    'Candidate', 'LatencyTable', 'SearchResult', 'SearchSettings', 'block_counts', 'block_keys',
    'build_latency_table', 'choice_measure', 'extract_subnet', 'fit_costs', 'fit_subnets',
    'mnas_reward', 'pareto_front', 'prediction_errors', 'recalibrate_bn', 'regularized_evolution',
    'search_architecture', 'search_space_of', 'subnet_config'
]
