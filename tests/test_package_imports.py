"""The package's import graph: no circles (also through imports inside
functions), no lower layer importing an upper one, no private name imported
from another subpackage."""
from __future__ import annotations
import ast
import os
import os.path as osp
from typing import Dict, List, Set, Tuple

from .conftest import REPO

PACKAGE = 'mmdet_efficientdet'
#: The upper floors in order: each may import lower ones and everything not
#: listed (models, datasets, engine, fileio, utils, ...), never a higher one.
UPPER = {
    'deployment': 1,
    'measure': 2,
    'apis': 3,
    'benchmarking': 3,
    'budget': 3,
    'nas': 3,
    'pruning': 3
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
    return UPPER.get(_layer(module), 0)


def test_no_import_circle():
    assert _cycles(_graph()) == []


def test_the_walk_finds_a_circle():
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c', 'a']]


def test_no_lower_layer_imports_an_upper_one():
    wrong = [(m, t) for m, targets in _graph().items() for t in targets
             if _rank(t) > _rank(m) and _layer(m) != '']
    assert wrong == []


def test_no_private_name_imported_across_subpackages():
    modules = _modules()
    wrong = [(m, t, n) for m, p in modules.items() for t, names in _imports(m, p, modules)
             for n in names
             if n.startswith('_') and not n.startswith('__') and _layer(t) != _layer(m)]
    assert wrong == []
