"""Scale to a budget: the largest EfficientDet whose *measured* cost on this
machine fits (``tools/analysis_tools/scale_to_budget.py``); and the
compound-scaling method's grid search of coefficients on the user's data
(``tools/analysis_tools/search_coefficients.py``)."""
from .budget_run import BudgetResult, scale_to_budget
from .candidates import FAMILIES, Candidate, candidate_config, family_candidates
from .coefficients import Coefficients, coefficient_grid, scaled_level
from .costs import METRICS, CostMeter
from .family_choice import FamilySearch, largest_under_budget
from .grid_search import GridResult, search_coefficients

__all__ = [
    'FAMILIES', 'Candidate', 'candidate_config', 'family_candidates', 'METRICS', 'CostMeter',
    'BudgetResult', 'scale_to_budget', 'FamilySearch', 'largest_under_budget', 'Coefficients',
    'coefficient_grid', 'scaled_level', 'GridResult', 'search_coefficients'
]
