"""Scale to a budget: the largest EfficientDet whose *measured* cost on this
machine fits (``tools/analysis_tools/scale_to_budget.py``)."""
from .candidates import FAMILIES, Candidate, candidate_config, family_candidates
from .costs import METRICS, PATHS, CostMeter
from .pipeline import BudgetResult, scale_to_budget
from .search import FamilySearch, largest_under_budget

__all__ = ['FAMILIES', 'Candidate', 'candidate_config', 'family_candidates',
           'METRICS', 'PATHS', 'CostMeter', 'BudgetResult', 'scale_to_budget',
           'FamilySearch', 'largest_under_budget']
