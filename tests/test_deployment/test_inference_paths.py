import pytest

from mmdet_efficientdet.deployment import (OpenVINORuntime, OrtRuntime, check_inference_paths,
                                           get_inference_path, inference_paths)
from mmdet_efficientdet.errors import UserError


def test_paths_are_pytorch_then_each_runtimes_precisions():
    names = list(inference_paths())
    assert names[:6] == ['eager', 'fused', 'ort-fp32', 'ort-int8', 'ov-fp32', 'ov-int8']


def test_attributes_say_what_a_path_needs():
    eager, fused = get_inference_path('eager'), get_inference_path('fused')
    ort8, ov32 = get_inference_path('ort-int8'), get_inference_path('ov-fp32')
    assert (eager.deployed, eager.fold_bn, eager.precision, eager.needs_calibration) == \
        (False, False, 'fp32', False)
    assert (fused.deployed, fused.fold_bn, fused.needs_calibration) == (False, True, False)
    assert (ort8.deployed, ort8.runtime, ort8.precision, ort8.needs_calibration) == \
        (True, OrtRuntime, 'int8', True)
    assert (ov32.deployed, ov32.runtime, ov32.precision, ov32.needs_calibration) == \
        (True, OpenVINORuntime, 'fp32', False)


def test_an_unknown_path_is_one_line_naming_the_flag():
    with pytest.raises(UserError) as err:
        get_inference_path('tpu-int4')
    assert str(err.value).startswith("--target 'tpu-int4': choose from ['eager', 'fused', ")
    with pytest.raises(UserError, match="^--targets 'x': choose"):
        check_inference_paths(['eager', 'x'], flag='--targets')
    check_inference_paths(['eager', 'ov-int8'])
