"""Run a trained detector on images, a folder, a video file or a camera and
write annotated outputs (``tools/demo.py``).

Inputs are never touched: an output folder inside an input folder is refused,
outputs of an earlier run are kept unless ``overwrite``, every file is written
atomically, and two inputs with the same stem (``a.jpg``, ``a.png``) get
distinct outputs (``a_jpg.png``, ``a_png.png``). An image that cannot be
decoded is named in the result and the run goes on with the rest.
"""
from __future__ import annotations
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmdet.apis import DetInferencer
from mmdet.datasets import CocoDataset

from ..deployment import runtime_classes
from ..errors import UserError
from ..fileio import atomic_write, commit_file, plan_outputs, temp_path, write_manifest
from ..models.trained import build_for_checkpoint
from ..utils.config_loader import load_config
from ..utils.timing import timed

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')


@dataclass
class Detection:
    """One box: class name, score, ``[x1, y1, x2, y2]`` in input pixels."""
    label: str
    score: float
    box: List[float]


@dataclass
class DemoResult:
    """What a demo run wrote.

    Attributes:
        outputs (list): ``(input, output file, detections)`` per image (for a
            video: one entry, detections of all frames).
        skipped (list): ``(input, reason)`` for inputs that could not be read.
        frames (int): Video frames processed (0 for images).
        fps (float): Images or frames detected per second (pre-processing,
            network and post-processing; not decoding, drawing, writing).
        manifest (str): The run's ``manifest.json``.
    """
    outputs: List[Tuple[str, str, List[Detection]]] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    frames: int = 0
    fps: float = 0.0
    manifest: str = ''


def input_kind(source: str) -> str:
    """``'camera'`` (an integer index), ``'video'``, ``'folder'`` or
    ``'image'``.

    Raises:
        UserError: a path that does not exist, or a file of another type.
    """
    if source.isdigit():
        return 'camera'
    if osp.isdir(source):
        return 'folder'
    if not osp.isfile(source):
        raise UserError(f'input {source!r} is neither an image, a video, a '
                        f'folder nor a camera index')
    ext = osp.splitext(source)[1].lower()
    if ext in VIDEO_EXTS:
        return 'video'
    if ext in IMAGE_EXTS:
        return 'image'
    raise UserError(f'input {source!r}: unknown file type {ext!r}; images '
                    f'{", ".join(IMAGE_EXTS)}, videos {", ".join(VIDEO_EXTS)}')


def list_images(source: str) -> List[str]:
    """The image files of a folder (sorted), or the one image file."""
    if osp.isdir(source):
        files = sorted(
            osp.join(source, f) for f in os.listdir(source) if f.lower().endswith(IMAGE_EXTS))
        if not files:
            raise UserError(f'no images ({", ".join(IMAGE_EXTS)}) in folder '
                            f'{source!r}')
        return files
    return [source]


def output_names(images: Sequence[str]) -> Dict[str, str]:
    """Output file name (``.png``) of each input image; inputs sharing a stem
    keep their extension in the name.

    Example:
        >>> output_names(['d/a.jpg', 'd/a.png', 'd/b.jpg'])
        {'d/a.jpg': 'a_jpg.png', 'd/a.png': 'a_png.png', 'd/b.jpg': 'b.png'}
    """
    stems = [osp.splitext(osp.basename(p))[0] for p in images]
    names = {}
    for path, stem in zip(images, stems):
        if stems.count(stem) > 1:
            ext = osp.splitext(path)[1].lstrip('.').lower()
            names[path] = f'{stem}_{ext}.png'
        else:
            names[path] = f'{stem}.png'
    return names


class Detector:
    """A config + checkpoint, or a config + deployed file (``.onnx``,
    ``.xml``, ``.pte``: run by its runtime inside the config's pre- and
    post-processing), behind mmdet's ``DetInferencer``: arrays in, drawings
    and detections out."""

    def __init__(self,
                 config: str,
                 checkpoint: str,
                 device: str = 'cpu',
                 score_thr: float = 0.3,
                 threads: Optional[int] = None) -> None:
        for path in (config, checkpoint):
            if not osp.isfile(path):
                raise UserError(f'{path!r} not found')
        if not 0 <= score_thr <= 1:
            raise UserError(f'--score-thr {score_thr} must be in [0, 1]')

        cfg = load_config(config)
        drop_below_threshold(cfg, score_thr)
        if is_deployed_file(checkpoint):
            cfg.model = dict(
                type='DeployedEfficientDet',
                detector=cfg.model,
                deployed=checkpoint,
                threads=threads)
            self.inferencer = DetInferencer(
                model=cfg, weights=None, device=device, show_progress=False)
            meta = dict(classes=tuple(_config_classes(cfg)))
            self.inferencer.model.dataset_meta = meta
            self.inferencer.visualizer.dataset_meta = meta
        else:
            build_for_checkpoint(cfg, checkpoint, 'inference')
            self.inferencer = DetInferencer(
                model=cfg, weights=checkpoint, device=device, show_progress=False)
        self.classes = self.inferencer.model.dataset_meta.get('classes', ())
        self.score_thr = score_thr
        self.detect_seconds, self.detected_images = 0.0, 0

    def __call__(self, images_rgb: List[np.ndarray]) -> List[Tuple[np.ndarray, List[Detection]]]:
        """Detect in RGB images; returns ``(drawing RGB, detections)`` each.
        The detection time (pre-processing, network, post-processing) is
        added to ``detect_seconds``; drawing is not."""
        result, seconds = timed(
            self.inferencer,
            images_rgb,
            batch_size=len(images_rgb),
            return_vis=False,
            pred_score_thr=self.score_thr,
            no_save_vis=True,
            no_save_pred=True)
        self.detect_seconds += seconds
        self.detected_images += len(images_rgb)
        out = []
        for image, pred in zip(images_rgb, result['predictions']):
            dets = [
                Detection(self._name(label), float(score), [round(float(v), 1) for v in box])
                for label, score, box in zip(pred['labels'], pred['scores'], pred['bboxes'])
                if score >= self.score_thr
            ]
            out.append((draw_detections(image, dets), dets))
        return out

    @property
    def fps(self) -> float:
        """Images per second of detection so far (0 before the first)."""
        return self.detected_images / self.detect_seconds if self.detect_seconds else 0.0

    def _name(self, label: int) -> str:
        return self.classes[label] if label < len(self.classes) else str(label)


def drop_below_threshold(cfg, score_thr: float) -> None:
    """Raise the head's ``test_cfg.score_thr`` to the drawing threshold.

    The evaluation setting (``score_thr=0.001``, ``nms_pre=5000``) sends
    thousands of candidates per image through NMS, most of them below what
    the demo draws; dropping those first leaves every box at or above
    ``score_thr`` unchanged (a lower-scoring box never suppresses a higher
    one in greedy NMS) and makes the post-processing cheap enough for video.
    """
    test_cfg = cfg.model.get('test_cfg') or {}
    cfg.model.test_cfg = dict(test_cfg, score_thr=max(test_cfg.get('score_thr', 0.0), score_thr))


def is_deployed_file(path: str) -> bool:
    """Whether ``path`` is a deployed model (a registered runtime's suffix)."""
    return osp.splitext(path)[1].lower() in {cls.suffix for cls in runtime_classes()}


def _config_classes(cfg) -> Sequence[str]:
    """The class names of the config's test set (COCO's when it names none)."""
    dataset = cfg.test_dataloader.dataset
    meta = dataset.get('metainfo') or dataset.get('dataset', {}).get('metainfo') or {}
    return meta.get('classes') or CocoDataset.METAINFO['classes']


def draw_detections(image_rgb: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
    """A copy of ``image_rgb`` with each box and ``label score`` drawn
    (OpenCV: cheap enough for every video frame)."""
    out = np.ascontiguousarray(image_rgb).copy()
    thickness = max(1, round(max(out.shape[:2]) / 400))
    for det in detections:
        x1, y1, x2, y2 = (int(round(v)) for v in det.box)
        color = _COLORS[sum(map(ord, det.label)) % len(_COLORS)]
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
        cv2.putText(out, f'{det.label} {det.score:.2f}', (x1, max(y1 - 4, 10)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, color, thickness, cv2.LINE_AA)
    return out


#: Box colours (RGB), one per class name.
_COLORS = ((230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60))


def _encode_png(image_rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode('.png', cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError('PNG encoding failed')
    return data.tobytes()


def run_on_images(detector: Detector,
                  source: str,
                  out_dir: str,
                  batch_size: int = 4,
                  overwrite: bool = False,
                  log: Callable[[str], None] = print) -> DemoResult:
    """Detect in an image or a folder of images, ``batch_size`` at a time;
    write ``out_dir/<name>.png`` per image (:func:`output_names`)."""
    if batch_size < 1:
        raise UserError(f'--batch-size {batch_size} must be >= 1')
    images = list_images(source)
    names = output_names(images)
    outputs = {p: osp.join(out_dir, n) for p, n in names.items()}
    plan_outputs(
        list(outputs.values()) + [osp.join(out_dir, 'manifest.json')],
        inputs=[source],
        overwrite=overwrite)
    result = DemoResult()
    for start in range(0, len(images), batch_size):
        batch, arrays = [], []
        for path in images[start:start + batch_size]:
            try:
                img = mmcv.imread(path, channel_order='rgb')
            except Exception as err:  # noqa: BLE001  (any decoder failure)
                img = None
                reason = (f'cannot be decoded ({type(err).__name__}: '
                          f'{" ".join(str(err).split())})')
            else:
                reason = 'cannot be decoded (truncated or not an image)'
            if img is None:
                result.skipped.append((path, reason))
                log(f'{path}: skipped, {reason}')
                continue
            batch.append(path)
            arrays.append(img)
        if not arrays:
            continue
        for path, (vis, dets) in zip(batch, detector(arrays)):
            atomic_write(outputs[path], _encode_png(vis))
            result.outputs.append((path, outputs[path], dets))
            log(f'{path}: {len(dets)} detections >= {detector.score_thr} -> '
                f'{outputs[path]}')
            for det in dets:
                log(f'  {det.label:>12s} {det.score:.3f} {det.box}')
    result.fps = detector.fps
    result.manifest = write_manifest(
        out_dir, [o for _, o, _ in result.outputs],
        input=osp.abspath(source),
        skipped=[f'{p}: {r}' for p, r in result.skipped])
    return result


def run_on_video(detector: Detector,
                 source: str,
                 out_dir: str,
                 max_frames: Optional[int] = None,
                 overwrite: bool = False,
                 log: Callable[[str], None] = print,
                 progress_every: int = 25) -> DemoResult:
    """Detect in every frame of a video file or camera (``'0'``) and write
    ``out_dir/<name>.mp4`` with the boxes drawn (same frame rate; 25 fps for
    a camera that reports none). Progress is logged every
    ``progress_every`` frames; a camera runs until ``max_frames`` or Ctrl-C.
    """
    if max_frames is not None and max_frames < 1:
        raise UserError(f'--max-frames {max_frames} must be >= 1')
    camera = source.isdigit()
    name = f'camera{source}' if camera else \
        osp.splitext(osp.basename(source))[0]
    out_path = osp.join(out_dir, f'{name}.mp4')
    plan_outputs([out_path, osp.join(out_dir, 'manifest.json')],
                 inputs=[] if camera else [source],
                 overwrite=overwrite)
    capture = cv2.VideoCapture(int(source) if camera else source)
    if not capture.isOpened():
        raise UserError(f'cannot open {"camera" if camera else "video"} '
                        f'{source!r}')
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if not camera else 0
    if max_frames:
        total = min(total, max_frames) if total > 0 else max_frames
    os.makedirs(out_dir, exist_ok=True)
    tmp = temp_path(out_path, keep_ext=True)  # VideoWriter picks the format by extension
    writer = None
    result = DemoResult()
    detections: List[Detection] = []
    try:
        while max_frames is None or result.frames < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            vis, dets = detector([cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)])[0]
            if writer is None:
                height, width = vis.shape[:2]
                writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
            writer.write(cv2.cvtColor(vis, cv2.COLOR_RGB2BGR))
            detections += dets
            result.frames += 1
            if result.frames % progress_every == 0:
                of = f'/{total}' if total else ''
                log(f'frame {result.frames}{of}: {len(dets)} detections')
    except KeyboardInterrupt:
        log(f'stopped after {result.frames} frames')
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    if result.frames == 0:
        if osp.exists(tmp):
            os.remove(tmp)
        raise UserError(f'{source!r}: no frame could be read')
    commit_file(tmp, out_path)
    result.outputs.append((source, out_path, detections))
    result.fps = detector.fps
    log(f'{source}: {result.frames} frames, {len(detections)} detections '
        f'>= {detector.score_thr} -> {out_path}; {result.fps:.1f} frames/s detected')
    result.manifest = write_manifest(out_dir, [out_path], input=source, frames=result.frames)
    return result


def run_demo(source: str,
             config: str,
             checkpoint: str,
             out_dir: str,
             score_thr: float = 0.3,
             batch_size: int = 4,
             max_frames: Optional[int] = None,
             device: str = 'cpu',
             overwrite: bool = False,
             log: Callable[[str], None] = print,
             threads: Optional[int] = None) -> DemoResult:
    """Detect in ``source`` (image, folder, video file or camera index) and
    write annotated outputs to ``out_dir``; see :func:`run_on_images` and
    :func:`run_on_video`. ``checkpoint`` may be a deployed file (``.onnx``,
    ``.xml``, ``.pte``) run with ``threads``."""
    kind = input_kind(source)
    if kind in ('image', 'folder'):
        # refuse before the model loads
        plan_outputs([osp.join(out_dir, 'manifest.json')], inputs=[source], overwrite=overwrite)
    detector = Detector(config, checkpoint, device, score_thr, threads)
    if kind in ('camera', 'video'):
        return run_on_video(detector, source, out_dir, max_frames, overwrite, log)
    return run_on_images(detector, source, out_dir, batch_size, overwrite, log)
