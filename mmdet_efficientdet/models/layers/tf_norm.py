"""TensorFlow/automl BatchNorm settings: the one home of these numbers."""
from __future__ import annotations
from typing import Dict

#: automl/TF BatchNorm: epsilon 1e-3, moving-average decay 0.99 (PyTorch
#: momentum = 1 - decay = 0.01). The default ``norm_cfg`` of the backbone,
#: BiFPN and head; configs take a copy through :func:`tf_bn_cfg`. The layer is
#: :class:`~.batch_norm.EffDetBatchNorm2d` (``BN`` that also trains a batch of
#: one image whose P7 is 1x1).
TF_BN: Dict = dict(type='EffDetBN', eps=1e-3, momentum=0.01)


def tf_bn_cfg() -> Dict:
    """A fresh copy of :data:`TF_BN` (for configs).

    Example:
        >>> tf_bn_cfg()
        {'type': 'EffDetBN', 'eps': 0.001, 'momentum': 0.01}
    """
    return dict(TF_BN)
