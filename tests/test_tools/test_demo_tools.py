"""Inference like mmdet: DetInferencer and tools/demo.py on our checkpoints."""
import os.path as osp
import subprocess
import sys

import cv2

from ..conftest import REPO


def test_det_inferencer_works_with_our_config(trained, shapes_root):
    from mmdet.apis import DetInferencer
    config, ckpt = trained
    inferencer = DetInferencer(model=config, weights=ckpt, device='cpu',
                               show_progress=False)
    result = inferencer(osp.join(shapes_root, 'val', '000001.png'),
                        no_save_vis=True, no_save_pred=True)
    pred = result['predictions'][0]
    assert len(pred['bboxes']) == len(pred['scores']) == len(pred['labels']) > 0
    assert inferencer.model.dataset_meta['classes'] == ('circle', 'square', 'triangle')


def test_demo_tool_writes_pngs(trained, shapes_root, tmp_path):
    config, ckpt = trained
    out = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'demo.py'),
         osp.join(shapes_root, 'val'), config, ckpt, '--out-dir',
         str(tmp_path), '--score-thr', '0.0'],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    for i in range(1, 5):
        img = cv2.imread(str(tmp_path / f'{i:06d}.png'))
        assert img is not None and img.shape == (128, 128, 3)
    assert 'detections >= 0.0' in out.stdout


def test_demo_tool_names_missing_input(trained, tmp_path):
    config, ckpt = trained
    out = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'demo.py'),
         str(tmp_path / 'nothing.png'), config, ckpt, '--out-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and 'nothing.png' in out.stderr
