"""User workflows through the repo's tools: kill + resume, fine-tune, multi-process."""
from __future__ import annotations
import glob
import os
import os.path as osp
import subprocess
import sys

import torch
from mmengine.runner import Runner

from mmdet_efficientdet.checkpoint import load_checkpoint_safely
from mmdet_efficientdet.utils.config_loader import load_config
from ..conftest import REPO
from ..process import ToolProcess, free_port, tool_output

TRAIN = osp.join(REPO, 'tools', 'train.py')


def _train(args, cwd=None):
    """A successful ``tools/train.py`` run, in this process; its output."""
    return tool_output(TRAIN, args)


def _train_process(args, cwd):
    """A successful ``tools/train.py`` process (where the result is compared
    with a killed process's to 1e-6: same interpreter settings); its output."""
    out = subprocess.run(
        [sys.executable, TRAIN] + args, capture_output=True, text=True, cwd=cwd, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def _state(path):
    return load_checkpoint_safely(path)['state_dict']


def test_resume_after_kill_continues_from_last_checkpoint(make_tiny_config, tmp_path):
    config = make_tiny_config(max_epochs=2)
    killed = str(tmp_path / 'killed')
    run = ToolProcess([TRAIN, config, '--work-dir', killed], str(tmp_path))
    # the first iteration of epoch 2 is logged after epoch_1.pth is written
    run.wait_for(r'Epoch\(train\)\s*\[2\]\[\s*1/4\]')
    run.kill_after()
    saved = sorted(glob.glob(osp.join(killed, 'epoch_*.pth')))
    assert saved and not osp.exists(osp.join(killed, 'epoch_2.pth'))
    last = open(osp.join(killed, 'last_checkpoint')).read().strip()
    resumed_from = load_checkpoint_safely(last)['meta']['iter']

    logs = _train_process([config, '--work-dir', killed, '--resume'], str(tmp_path))
    assert f'resumed epoch: {resumed_from // 4}, iter: {resumed_from}' in logs
    final = load_checkpoint_safely(osp.join(killed, 'epoch_2.pth'))
    assert final['meta']['iter'] == 8

    _train_process([config, '--work-dir', str(tmp_path / 'straight')], str(tmp_path))
    reference = _state(str(tmp_path / 'straight' / 'epoch_2.pth'))
    for key, value in reference.items():
        torch.testing.assert_close(final['state_dict'][key], value, rtol=0, atol=1e-6, msg=key)


def test_finetune_on_other_classes_reinitialises_only_class_layer(make_tiny_config, trained,
                                                                  tmp_path):
    from mmdet_efficientdet.datasets import make_shapes_dataset
    _, ckpt = trained  # the tiny D0 trained on 3 classes

    other_root = str(tmp_path / 'two_classes')
    make_shapes_dataset(
        other_root,
        num_train=8,
        num_val=4,
        image_size=128,
        classes=('square', 'triangle'),
        min_size=16,
        max_size=48,
        seed=5)
    target = make_tiny_config(
        max_epochs=1,
        classes=('square', 'triangle'),
        data_root=other_root,
        name='target.py',
        extra=f'load_from = {ckpt!r}\n')
    logs = _train([target, '--work-dir', str(tmp_path / 'target')], str(tmp_path))
    mismatched = sorted({
        line.split()[3].rstrip(':')
        for line in logs.splitlines() if line.startswith('size mismatch for')
    })
    assert mismatched == [
        'bbox_head.cls_pred.pointwise_conv.conv.bias',
        'bbox_head.cls_pred.pointwise_conv.conv.weight'
    ]
    assert 'missing keys' not in logs and 'unexpected key' not in logs

    cfg = load_config(target)
    cfg.work_dir = str(tmp_path / 'inspect')
    cfg.custom_hooks = []  # EMAHook needs before_run before it can load
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    runner.load_checkpoint(ckpt)
    loaded = runner.model.state_dict()
    source_state = _state(ckpt)
    for key, value in source_state.items():
        if 'cls_pred.pointwise' in key:
            assert loaded[key].shape[0] == 9 * 2
        else:
            assert torch.equal(loaded[key], value), key
    bias = loaded['bbox_head.cls_pred.pointwise_conv.conv.bias']
    torch.testing.assert_close(bias, torch.full_like(bias, -4.59511985))


def test_two_process_training_keeps_ranks_identical(make_tiny_config, tmp_path):
    config = make_tiny_config(
        max_epochs=1,
        extra="custom_imports = dict(imports=['mmdet_efficientdet', "
        "'tests.dist_helpers'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='SaveRankWeightsHook')]\n")
    work = str(tmp_path / 'dist')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    out = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, '2', '--work-dir', work],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    rank0 = torch.load(osp.join(work, 'rank0.pth'), weights_only=True)
    rank1 = torch.load(osp.join(work, 'rank1.pth'), weights_only=True)
    # 8 images, 2 processes x batch 2: 2 iterations per epoch
    assert rank0['iter'] == rank1['iter'] == 2
    for key, value in rank0['state_dict'].items():
        if 'running' in key or 'num_batches' in key:
            continue  # BN statistics are per process without SyncBN
        assert torch.equal(rank1['state_dict'][key], value), key


def test_two_process_evaluation_with_dist_test(trained, tmp_path):
    config, ckpt = trained
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    out = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'dist_test.sh'), config, ckpt, '2', '--work-dir',
        str(tmp_path / 'eval')
    ],
                         capture_output=True,
                         text=True,
                         cwd=REPO,
                         env=env,
                         timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    logs = out.stdout + out.stderr
    # 4 val images split over 2 processes, one COCO table from rank 0
    assert logs.count('Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all') == 1
    assert 'Epoch(test) [1/1]' in logs or 'Epoch(test) [2/2]' in logs


def test_slurm_scripts_launch_our_tools(tmp_path):
    """srun is stubbed: the scripts must call our tools with the slurm
    launcher and MMDetection's arguments."""
    stub = tmp_path / 'bin'
    stub.mkdir()
    (stub / 'srun').write_text('#!/usr/bin/env bash\necho "srun $*"\n')
    (stub / 'srun').chmod(0o755)
    env = dict(os.environ, PATH=f'{stub}:{os.environ["PATH"]}', GPUS='16', PYTHON='python')
    train = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'slurm_train.sh'), 'part', 'job', 'cfg.py', 'work', '--amp'
    ],
                           capture_output=True,
                           text=True,
                           env=env)
    assert train.returncode == 0, train.stderr
    assert '-p part --job-name=job --gres=gpu:8 --ntasks=16' in train.stdout
    assert (f'python -u {REPO}/tools/train.py cfg.py --work-dir=work '
            f'--launcher=slurm --amp') in train.stdout
    test = subprocess.run(
        ['bash',
         osp.join(REPO, 'tools', 'slurm_test.sh'), 'part', 'job', 'cfg.py', 'ckpt.pth'],
        capture_output=True,
        text=True,
        env=env)
    assert test.returncode == 0, test.stderr
    assert (f'python -u {REPO}/tools/test.py cfg.py ckpt.pth '
            f'--launcher=slurm') in test.stdout


def test_any_batch_composition_and_background_images_train(make_tiny_config, tmp_path):
    """7 images at batch 2 and 128 px: the last batch holds one image whose
    P7 is 1x1 (EffDetBN); two of the images have no box and train as
    negatives (``filter_cfg.filter_empty_gt=False``)."""
    import json

    from mmdet_efficientdet.datasets import make_shapes_dataset
    root = str(tmp_path / 'seven')
    make_shapes_dataset(
        root, num_train=7, num_val=2, image_size=128, min_size=16, max_size=48, seed=3)
    ann_file = osp.join(root, 'annotations', 'instances_train.json')
    coco = json.load(open(ann_file))
    empty = {img['id'] for img in coco['images'][:2]}
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] not in empty]
    json.dump(coco, open(ann_file, 'w'))
    config = make_tiny_config(
        data_root=root,
        extra="train_dataloader['dataset']['filter_cfg'] = dict(filter_empty_gt=False)\n")
    cfg = load_config(config)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    assert len(runner.train_dataloader.dataset) == 7
    assert sum(not runner.train_dataloader.dataset.get_data_info(i)['instances']
               for i in range(7)) == 2
    runner.train()
    assert runner.iter == 4  # 2 + 2 + 2 + 1 images
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_1.pth'))
