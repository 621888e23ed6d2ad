"""The package's import graph: floors (each package imports only its own floor
and lower ones; siblings on the top floor never import each other), no circle
between files or packages (also through imports inside functions), imports at
the top except for optional heavy runtimes, no private name imported from
another subpackage."""
from __future__ import annotations
import ast
import os
import os.path as osp
from typing import Dict, List, Set, Tuple

from .conftest import REPO

PACKAGE = 'mmdet_efficientdet'
#: The floors, bottom up. A package (or top-level module) may import its own
#: floor and the ones below, never a higher one; on the top floor no package
#: imports another (siblings talk through the floors below). A new package
#: must be given a floor here.
FLOORS = {
    # ground: imports nothing of ours from a higher floor
    'errors': 0,
    'fileio': 0,
    'utils': 0,
    'version': 0,
    # the model, its facts, data and training
    'scaling': 1,
    'config_utils': 1,
    'checkpoint': 1,
    'converters': 1,
    'models': 1,
    'datasets': 1,
    'evaluation': 1,
    'engine': 1,
    # deployed files
    'deployment': 2,
    # measuring
    'measure': 3,
    # the sibling applications
    'apis': 4,
    'benchmarking': 4,
    'budget': 4,
    'nas': 4,
    'pruning': 4,
}
TOP_FLOOR = max(FLOORS.values())
#: Roots that a function may import locally (optional or heavy runtimes,
#: each with a comment saying why); everything else is imported at the top.
LOCAL_IMPORTS = {
    'executorch', 'matplotlib', 'nncf', 'onnxruntime', 'openvino', 'torch_pruning', 'torchao'
}


def _modules() -> Dict[str, str]:
    """Module name -> file of every module of the package."""
    found = {}
    root = osp.join(REPO, PACKAGE)
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith('.py'):
                rel = osp.relpath(osp.join(folder, name), REPO)[:-3].replace(os.sep, '.')
                found[rel[:-len('.__init__')] if rel.endswith('.__init__') else rel] = \
                    osp.join(folder, name)
    return found


def _imports(module: str, path: str, modules) -> List[Tuple[str, List[str]]]:
    """``(imported package module, names)`` of every import in ``path``."""
    is_package = path.endswith('__init__.py')
    base = module.split('.') if is_package else module.split('.')[:-1]
    out = []
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base[:len(base) - node.level + 1]
                target = '.'.join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ''
            names = [a.name for a in node.names]
            for name in names:  # `from . import datasets` imports a module
                if f'{target}.{name}' in modules:
                    out.append((f'{target}.{name}', []))
            out.append((target, names))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
    return [(t, n) for t, n in out if t in modules]


def _graph() -> Dict[str, Set[str]]:
    modules = _modules()
    return {
        m: {t
            for t, _ in _imports(m, p, modules) if t != m and not m.startswith(t + '.')}
        for m, p in modules.items()
    }


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Elementary circles found by depth-first search (one per back edge)."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 'open':
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 'done'

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def _layer(module: str) -> str:
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


def _rank(module: str) -> int:
    return FLOORS[_layer(module)]


def _package_graph(graph: Dict[str, Set[str]]) -> Dict[str, Set[str]]:
    """Package -> the other packages its modules import."""
    out: Dict[str, Set[str]] = {}
    for module, targets in graph.items():
        if _layer(module):
            out.setdefault(_layer(module), set()).update(
                _layer(t) for t in targets if _layer(t) not in ('', _layer(module)))
    return out


def _local_imports(path: str) -> List[Tuple[int, str, bool]]:
    """``(line, root module, a comment in the 4 lines above)`` of every
    import inside a function of ``path``."""
    text = open(path).read()
    lines = text.splitlines()
    found = []
    for func in ast.walk(ast.parse(text)):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    root = (node.names[0].name if isinstance(node, ast.Import) else
                            '.' * node.level + (node.module or '')).split('.')[0]
                    above = lines[max(0, node.lineno - 5):node.lineno - 1]
                    found.append((node.lineno, root
                                  or '.', any(line.strip().startswith('#') for line in above)))
    return found


def test_no_import_circle():
    assert _cycles(_graph()) == []


def test_the_walk_finds_a_circle():
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c', 'a']]


def test_every_package_has_a_floor():
    assert sorted({_layer(m) for m in _modules()} - {''} - set(FLOORS)) == []


def test_no_package_imports_a_higher_floor():
    wrong = [(m, t) for m, targets in _graph().items() for t in targets
             if _layer(m) and _rank(t) > _rank(m)]
    assert wrong == []


def test_ground_floor_imports_only_the_ground_floor():
    wrong = [(m, t) for m, targets in _graph().items() for t in targets
             if _layer(m) and _rank(m) == 0 and _rank(t) > 0]
    assert wrong == []


def test_no_circle_between_packages():
    assert _cycles(_package_graph(_graph())) == []


def test_package_graph_sees_a_circle():
    graph = {'p.a.x': {'p.b.y'}, 'p.b.y': {'p.c.z'}, 'p.c.z': {'p.a.w'}, 'p.a.w': set()}
    assert _cycles(_package_graph(graph)) == [['a', 'b', 'c', 'a']]


def test_no_sibling_on_the_top_floor_imports_another():
    wrong = [(a, b) for a, targets in _package_graph(_graph()).items() for b in targets
             if FLOORS[a] == TOP_FLOOR and FLOORS[b] == TOP_FLOOR]
    assert wrong == []


def test_local_imports_only_for_optional_runtimes_with_a_reason():
    wrong = [(osp.relpath(path, REPO), line, root) for path in _modules().values()
             for line, root, commented in _local_imports(path)
             if root not in LOCAL_IMPORTS or not commented]
    assert wrong == []


def test_no_private_name_imported_across_subpackages():
    modules = _modules()
    wrong = [(m, t, n) for m, p in modules.items() for t, names in _imports(m, p, modules)
             for n in names
             if n.startswith('_') and not n.startswith('__') and _layer(t) != _layer(m)]
    assert wrong == []


def test_measurements_read_the_one_clock():
    """Every latency or step time goes through ``utils.timing`` (a phase's
    wall time in a log or a report may read the clock itself)."""
    allowed = {
        'mmdet_efficientdet.utils.timing', 'mmdet_efficientdet.nas.search_run',
        'mmdet_efficientdet.deployment.executorch_runtime'
    }
    readers = sorted(m for m, path in _modules().items()
                     if 'perf_counter()' in open(path).read() and m not in allowed)
    assert readers == []
