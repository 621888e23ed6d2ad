"""Graph passes on exported ONNX models."""
from __future__ import annotations

from typing import Any, Optional


def _constant_value(extractor: Any, initializers: dict,
                    name: str) -> Optional[Any]:
    """Value of tensor ``name`` if it depends on no graph input, else None."""
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator
    if name in initializers:
        return numpy_helper.to_array(initializers[name])
    try:
        sub = extractor.extract_model([], [name])
        return ReferenceEvaluator(sub).run(None, {})[0]
    except Exception:  # depends on an input, or an op the evaluator lacks
        return None


def fold_pads_into_convs(model: Any) -> int:
    """Fold constant zero ``Pad`` nodes into the ``pads`` of the ``Conv`` they feed.

    TF ``'SAME'`` padding of strided convs is asymmetric (extra pixel
    right/bottom), which a PyTorch conv cannot express, so it is exported as
    ``Pad`` + ``Conv``. ONNX ``Conv`` takes asymmetric ``pads`` directly;
    folding removes a padded copy of the feature map (and, in ONNX Runtime,
    the layout reorders around it). Only pads that are constants, zero-valued,
    on spatial axes, and feed exactly one ``Conv`` are folded.

    Args:
        model (onnx.ModelProto): Modified in place.

    Returns:
        int: Number of ``Pad`` nodes folded.
    """
    import numpy as np
    import onnx
    import onnx.utils
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
        if mode != b'constant' or len(users) != 1 or users[0].op_type != 'Conv':
            continue
        conv = users[0]
        if any(a.name == 'auto_pad' and a.s not in (b'', b'NOTSET')
               for a in conv.attribute):
            continue
        if len(pad.input) > 2 and pad.input[2]:
            value = _constant_value(extractor, initializers, pad.input[2])
            if value is None or np.any(value != 0):
                continue
        pads = _constant_value(extractor, initializers, pad.input[1])
        if pads is None or len(pads) != 8 or np.any(pads[[0, 1, 4, 5]] != 0) \
                or np.any(pads < 0):
            continue
        extra = [int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])]
        old = next((a for a in conv.attribute if a.name == 'pads'), None)
        current = list(old.ints) if old is not None else [0, 0, 0, 0]
        if old is not None:
            conv.attribute.remove(old)
        conv.attribute.append(onnx.helper.make_attribute(
            'pads', [a + b for a, b in zip(current, extra)]))
        conv.input[0] = pad.input[0]
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
