"""Inference like mmdet: DetInferencer and tools/demo.py on our checkpoints."""
import os.path as osp

import cv2

from ..conftest import REPO
from ..process import tool_error, tool_output


def test_det_inferencer_works_with_our_config(trained, shapes_root):
    from mmdet.apis import DetInferencer
    config, ckpt = trained
    inferencer = DetInferencer(model=config, weights=ckpt, device='cpu', show_progress=False)
    result = inferencer(
        osp.join(shapes_root, 'val', '000001.png'), no_save_vis=True, no_save_pred=True)
    pred = result['predictions'][0]
    assert len(pred['bboxes']) == len(pred['scores']) == len(pred['labels']) > 0
    assert inferencer.model.dataset_meta['classes'] == ('circle', 'square', 'triangle')


DEMO = osp.join(REPO, 'tools', 'demo.py')


def _demo(*args) -> str:
    """A successful ``tools/demo.py`` run, in this process; its output."""
    return tool_output(DEMO, [str(a) for a in args])


def test_demo_tool_writes_pngs(trained, shapes_root, tmp_path):
    config, ckpt = trained
    out = _demo(
        osp.join(shapes_root, 'val'), config, ckpt, '--out-dir', tmp_path, '--score-thr', '0.0')
    for i in range(1, 5):
        img = cv2.imread(str(tmp_path / f'{i:06d}.png'))
        assert img is not None and img.shape == (128, 128, 3)
    assert 'detections >= 0.0' in out


def test_demo_tool_names_missing_input(trained, tmp_path, capsys):
    config, ckpt = trained
    assert 'nothing.png' in tool_error(
        DEMO, [str(tmp_path / 'nothing.png'), config, ckpt, '--out-dir',
               str(tmp_path)], capsys)


def test_demo_never_touches_inputs_and_names_bad_images(trained, shapes_root, tmp_path, capsys):
    """Same-stem inputs get distinct outputs; an undecodable image is named
    and the rest still run; the input folder and earlier outputs are safe."""
    config, ckpt = trained
    photos = tmp_path / 'photos'
    photos.mkdir()
    src = cv2.imread(osp.join(shapes_root, 'val', '000001.png'))
    cv2.imwrite(str(photos / 'a.png'), src)
    cv2.imwrite(str(photos / 'a.jpg'), src)
    (photos / 'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 not a jpeg')
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    out = _demo(photos, config, ckpt, '--out-dir', tmp_path / 'out', '--score-thr', '0.0',
                '--batch-size', '2')
    written = sorted(p.name for p in (tmp_path / 'out').iterdir())
    assert written == ['a_jpg.png', 'a_png.png', 'manifest.json']
    assert 'broken.jpg: skipped, cannot be decoded' in out
    # into the input folder: refused before anything is written
    assert 'input folder' in tool_error(DEMO, [str(photos), config, ckpt, '--out-dir',
                                               str(photos)], capsys)
    # again into the same output folder: refused without --overwrite
    assert '--overwrite' in tool_error(
        DEMO, [str(photos), config, ckpt, '--out-dir',
               str(tmp_path / 'out')], capsys)
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before


def _photo_video(raccoon_root, video, frames: int):
    """A 160x120 5-fps video of the first ``frames`` raccoon photos."""
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'), 5, (160, 120))
    for i in range(1, frames + 1):
        img = cv2.imread(osp.join(raccoon_root, 'images', f'raccoon-{i}.jpg'))
        writer.write(cv2.resize(img, (160, 120)))
    writer.release()
    return video


def test_video_demo_writes_annotated_video(trained, raccoon_root, tmp_path):
    """A short video made of real photos: every frame is detected and drawn
    into DIR/<name>.mp4 with progress lines."""
    config, ckpt = trained
    video = _photo_video(raccoon_root, tmp_path / 'clip.mp4', 6)
    out = _demo(video, config, ckpt, '--out-dir', tmp_path / 'out', '--score-thr', '0.0',
                '--max-frames', '5')
    assert '5 frames' in out
    result = cv2.VideoCapture(str(tmp_path / 'out' / 'clip.mp4'))
    frames = 0
    while result.read()[0]:
        frames += 1
    assert frames == 5
    assert (result.get(cv2.CAP_PROP_FRAME_WIDTH), result.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (160,
                                                                                             120)


def test_demo_runs_a_deployed_file_on_a_video_and_prints_fps(trained, raccoon_root, tmp_path):
    """The .onnx of the checkpoint runs in the demo (the config's pre- and
    post-processing): the same boxes as the checkpoint, frames per second
    printed."""
    import json

    from mmdet_efficientdet.deployment import deploy_model
    from mmdet_efficientdet.models.trained import load_trained
    config, ckpt = trained
    _, model = load_trained(config, ckpt)
    onnx = deploy_model(
        model, str(tmp_path / 'dep'), (128, 128), ['ort-fp32'], log=lambda line: None)['ort-fp32']
    video = _photo_video(raccoon_root, tmp_path / 'clip.mp4', 4)
    runs = {}
    for name, weights in (('pth', ckpt), ('onnx', onnx)):
        out = _demo(video, config, weights, '--out-dir', tmp_path / name, '--score-thr', '0.05',
                    '--threads', '1')
        assert '4 frames' in out and 'frames/s detected' in out
        runs[name] = [line for line in out.splitlines() if 'frames/s detected' in line]
        manifest = json.loads((tmp_path / name / 'manifest.json').read_text())
        assert manifest['frames'] == 4
    fps = float(runs['onnx'][0].split('; ')[-1].split()[0])
    assert fps > 0
    # same detections count from the deployed file as from the checkpoint
    count = [r[0].split(' frames, ')[1].split(' detections')[0] for r in runs.values()]
    assert count[0] == count[1], runs
