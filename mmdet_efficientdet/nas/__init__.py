"""Architecture search on a trained supernet: sub-networks as plain configs
and checkpoints (:mod:`.subnet`), BN recalibration, a latency table measured
on the deploy path, regularised evolution and the search's run."""
from .bn_recalibration import recalibrate_bn
from .evolution import Candidate, mnas_reward, pareto_front, regularized_evolution
from .latency_table import (LatencyTable, build_latency_table, choice_keys, choice_measure,
                            prediction_errors, single_changes)
from .search_run import SearchResult, SearchSettings, search_architecture
from .subnet import extract_subnet, search_space_of, subnet_config

__all__ = [
    'Candidate', 'LatencyTable', 'SearchResult', 'SearchSettings', 'build_latency_table',
    'choice_keys', 'choice_measure', 'extract_subnet', 'mnas_reward', 'pareto_front',
    'prediction_errors', 'recalibrate_bn', 'regularized_evolution', 'search_architecture',
    'search_space_of', 'single_changes', 'subnet_config'
]
