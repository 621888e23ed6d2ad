"""Graph passes on exported ONNX models."""
from __future__ import annotations
from typing import Any, Optional

import numpy as np
import onnx
import onnx.utils
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator


def _constant_value(extractor: Any, initializers: dict, name: str) -> Optional[Any]:
    """Value of tensor ``name`` if it depends on no graph input, else None."""
    if name in initializers:
        return numpy_helper.to_array(initializers[name])
    try:
        sub = extractor.extract_model([], [name])
        return ReferenceEvaluator(sub).run(None, {})[0]
    except Exception:  # depends on an input, or an op the evaluator lacks
        return None


#: Op fed by a ``Pad`` -> whether a pad value is what the op's own ``pads``
#: mean (zeros for a conv; -inf, "ignored", for a max-pool).
_FOLDABLE = {
    'Conv': lambda value: bool(np.all(value == 0)),
    'MaxPool': lambda value: bool(np.all(np.isneginf(value))),
}


def fold_same_pads(model: Any) -> int:
    """Fold TF SAME ``Pad`` nodes into the ``pads`` of the conv or max-pool they feed.

    TF ``'SAME'`` padding of strided convs and max-pools is asymmetric (extra
    pixel right/bottom), which PyTorch cannot express, so it is exported as
    ``Pad`` + ``Conv`` (zeros) or ``Pad`` + ``MaxPool`` (-inf). ONNX ``Conv``
    and ``MaxPool`` take asymmetric ``pads`` directly (a max-pool ignores its
    padded cells, i.e. -inf). Folding removes a padded copy of the feature
    map (and, in ONNX Runtime, the layout reorders around it), and leaves no
    tensor holding -inf, which int8 calibration could not give a scale. Only
    pads that are constants, of the op's own padding value, on spatial axes,
    and feed exactly one ``Conv``/``MaxPool`` are folded.

    Args:
        model (onnx.ModelProto): Modified in place.

    Returns:
        int: Number of ``Pad`` nodes folded.
    """
    graph = model.graph
    inferred = onnx.shape_inference.infer_shapes(model)
    extractor = onnx.utils.Extractor(inferred)
    initializers = {init.name: init for init in graph.initializer}
    graph_outputs = {o.name for o in graph.output}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    folded = []
    for pad in graph.node:
        if pad.op_type != 'Pad' or pad.output[0] in graph_outputs:
            continue
        mode = next((a.s for a in pad.attribute if a.name == 'mode'), b'constant')
        users = consumers.get(pad.output[0], [])
        if mode != b'constant' or len(users) != 1 or \
                users[0].op_type not in _FOLDABLE:
            continue
        user = users[0]
        if any(a.name == 'auto_pad' and a.s not in (b'', b'NOTSET') for a in user.attribute):
            continue
        value = np.zeros(1)
        if len(pad.input) > 2 and pad.input[2]:
            value = _constant_value(extractor, initializers, pad.input[2])
        if value is None or not _FOLDABLE[user.op_type](value):
            continue
        pads = _constant_value(extractor, initializers, pad.input[1])
        if pads is None or len(pads) != 8 or np.any(pads[[0, 1, 4, 5]] != 0) \
                or np.any(pads < 0):
            continue
        extra = [int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])]
        old = next((a for a in user.attribute if a.name == 'pads'), None)
        current = list(old.ints) if old is not None else [0, 0, 0, 0]
        if old is not None:
            user.attribute.remove(old)
        user.attribute.append(
            onnx.helper.make_attribute('pads', [a + b for a, b in zip(current, extra)]))
        user.input[0] = pad.input[0]
        folded.append(pad)
    for pad in folded:
        graph.node.remove(pad)
    _remove_dead_nodes(graph)
    return len(folded)


def _remove_dead_nodes(graph: Any) -> None:
    """Drop nodes none of whose outputs is used (e.g. a folded pad's chain)."""
    while True:
        used = {name for node in graph.node for name in node.input}
        used |= {o.name for o in graph.output}
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        if not dead:
            return
        for node in dead:
            graph.node.remove(node)
