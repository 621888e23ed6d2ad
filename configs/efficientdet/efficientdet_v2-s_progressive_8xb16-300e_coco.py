# EfficientDet V2-S trained with progressive learning (EfficientNetV2 paper,
# Algorithm 1): 4 equal stages of the 300 epochs; the training input grows
# 512 -> 1024 while the regularisation grows with it: backbone drop-path
# 0.1 -> 0.2 and the scale-jitter range (0.5, 1.5) -> automl's (0.1, 2.0).
# Evaluation stays at the full 1024. Stage values are interpolated linearly:
# v_i = v_0 + (v_e - v_0) * i / 3 (sizes rounded to a multiple of 128).
_base_ = './efficientdet_v2-s_8xb16-300e_coco.py'

custom_hooks = _base_.custom_hooks + [
    dict(
        type='ProgressiveLearningHook',
        num_stages=4,
        image_size=(512, _base_.image_size),
        size_divisor=128,
        drop_path_rate=(0.1, 0.2),
        pipeline_params={
            'RandomResize.ratio_range': ((0.5, 1.5), (0.1, 2.0)),
        })
]
