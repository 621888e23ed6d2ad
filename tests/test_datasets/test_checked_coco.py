"""CheckedCocoDataset warns about dropped degenerate boxes; bad images are named."""
import json
import logging
import os
import os.path as osp
import shutil

import pytest

from mmdet_efficientdet.datasets import CheckedCocoDataset, checked_coco

METAINFO = dict(classes=('circle', 'square', 'triangle'))


def _copy(shapes_root, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(shapes_root, root)
    return root


def test_degenerate_boxes_dropped_with_warning(shapes_root, tmp_path, monkeypatch):
    root = _copy(shapes_root, tmp_path)
    ann_file = root / 'annotations' / 'instances_train.json'
    coco = json.load(open(ann_file))
    first = coco['annotations'][0]
    coco['annotations'].append(dict(first, id=900, bbox=[10, 10, 0, 12], area=0))
    coco['annotations'].append(dict(first, id=901, bbox=[10, 10, 5, -3], area=-15))
    json.dump(coco, open(ann_file, 'w'))
    logged = []
    monkeypatch.setattr(checked_coco, 'print_log', lambda msg, logger, level: logged.append(
        (msg, level)))
    dataset = CheckedCocoDataset(
        data_root=str(root),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        pipeline=[],
        metainfo=METAINFO,
        filter_cfg=dict(filter_empty_gt=False))
    assert len(logged) == 1 and logged[0][1] == logging.WARNING
    text = logged[0][0]
    assert 'dropped 2 degenerate box(es)' in text
    assert 'annotation 900' in text and 'annotation 901' in text
    kept = sum(len(d['instances']) for d in (dataset.get_data_info(i) for i in range(len(dataset))))
    assert kept == len(coco['annotations']) - 2


@pytest.mark.parametrize('damage', ['corrupt', 'missing'])
def test_bad_image_names_the_file(shapes_root, tmp_path, damage):
    root = _copy(shapes_root, tmp_path)
    target = root / 'train' / '000002.png'
    if damage == 'corrupt':
        target.write_bytes(b'\x89PNG\r\n\x1a\n garbage')
    else:
        os.remove(target)
    # undecodable='off': the start-up check (below) would drop it first
    dataset = CheckedCocoDataset(
        data_root=str(root),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        test_mode=True,
        metainfo=METAINFO,
        undecodable='off',
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', with_bbox=True)])
    index = [
        i for i, d in enumerate(dataset.get_data_info(j) for j in range(len(dataset)))
        if d['img_path'].endswith('000002.png')
    ][0]
    with pytest.raises(Exception, match='000002.png'):
        dataset[index]


def _add_image(coco, root, name, stored_wh, json_wh, orientation, image_id):
    """Write ``train/<name>`` (stored size ``stored_wh``, EXIF orientation)
    and add it with one box to the json as ``json_wh``."""
    import numpy as np
    from PIL import Image
    pixels = np.zeros((stored_wh[1], stored_wh[0], 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(root / 'train' / name, exif=exif.tobytes())
    coco['images'].append(dict(id=image_id, file_name=name, width=json_wh[0], height=json_wh[1]))
    coco['annotations'].append(
        dict(
            id=image_id * 10,
            image_id=image_id,
            category_id=coco['categories'][0]['id'],
            bbox=[4, 4, 20, 10],
            area=200,
            iscrowd=0))


@pytest.fixture
def odd_data(shapes_root, tmp_path):
    """Shapes data plus an EXIF-rotated JPEG (boxes for its stored pixels),
    an image whose json size is wrong, and an unknown category."""
    root = _copy(shapes_root, tmp_path)
    ann_file = root / 'annotations' / 'instances_train.json'
    coco = json.load(open(ann_file))
    _add_image(coco, root, 'rotated.jpg', (96, 64), (96, 64), 6, 1000)
    _add_image(coco, root, 'wrong.jpg', (96, 64), (200, 64), 1, 1001)
    first = coco['annotations'][0]
    coco['annotations'].append(dict(first, id=902, category_id=99))
    json.dump(coco, open(ann_file, 'w'))
    return root


def _build(root, monkeypatch, **kwargs):
    logged = []
    monkeypatch.setattr(checked_coco, 'print_log', lambda msg, logger, level: logged.append(msg))
    dataset = CheckedCocoDataset(
        data_root=str(root),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        metainfo=METAINFO,
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', with_bbox=True)],
        **kwargs)
    files = [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))]
    return dataset, files, logged


def test_unknown_category_and_size_mismatch_dropped_with_one_warning_each(odd_data, monkeypatch):
    dataset, files, logged = _build(odd_data, monkeypatch)
    assert len(logged) == 2
    unknown, sizes = logged
    assert 'dropped 1 annotation(s) whose category_id is not in' in unknown
    assert 'annotation 902 category_id 99' in unknown
    assert "dropped 2 image(s) whose decoded size differs" in sizes
    assert ('rotated.jpg (image 1000): json 96x64, decoded 64x96 '
            '(EXIF orientation 6)') in sizes
    assert 'wrong.jpg (image 1001): json 200x64, decoded 96x64' in sizes
    assert 'rotated.jpg' not in files and 'wrong.jpg' not in files
    assert len(files) == 8
    labels = [
        i['bbox_label'] for d in map(dataset.get_data_info, range(len(dataset)))
        for i in d['instances']
    ]
    assert len(labels) == sum(
        1 for a in json.load(open(odd_data / 'annotations' / 'instances_train.json'))['annotations']
        if a['image_id'] < 1000) - 1


def test_ignore_orientation_loads_stored_pixels(odd_data, monkeypatch):
    dataset, files, logged = _build(odd_data, monkeypatch, size_mismatch='ignore_orientation')
    assert 'rotated.jpg' in files and 'wrong.jpg' not in files
    assert "dropped 1 image(s)" in logged[-1] and 'wrong.jpg' in logged[-1]
    sample = dataset[files.index('rotated.jpg')]
    assert sample['img'].shape[:2] == (64, 96)  # the json's height x width
    assert sample['gt_bboxes'].tensor.tolist() == [[4, 4, 24, 14]]


@pytest.mark.parametrize('kwargs, match', [
    (dict(unknown_category='raise'), r'1 annotation\(s\) whose category_id'),
    (dict(size_mismatch='raise',
          unknown_category='drop'), r'2 image\(s\) whose decoded size differs.*rotated.jpg'),
])
def test_raise_policies_list_the_offenders(odd_data, monkeypatch, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _build(odd_data, monkeypatch, **kwargs)


def test_size_check_off_keeps_everything(odd_data, monkeypatch):
    _, files, _ = _build(odd_data, monkeypatch, size_mismatch='off')
    assert 'rotated.jpg' in files and 'wrong.jpg' in files


def test_bad_policy_and_malformed_json_are_named(shapes_root, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="size_mismatch='rotate'"):
        CheckedCocoDataset(ann_file='x.json', size_mismatch='rotate')
    root = _copy(shapes_root, tmp_path)
    (root / 'annotations' / 'instances_train.json').write_text('{"images": [')
    with pytest.raises(ValueError) as err:
        _build(root, monkeypatch)
    message = str(err.value)
    assert 'instances_train.json' in message and 'not valid COCO json' in message
    assert '\n' not in message


@pytest.mark.parametrize('damage', ['truncated', 'missing'])
def test_undecodable_images_found_before_training(shapes_root, tmp_path, monkeypatch, damage):
    """A truncated file (header readable, pixels not) or a missing one is
    found when the dataset is built, named, and dropped or raised."""
    root = _copy(shapes_root, tmp_path)
    target = root / 'train' / '000003.png'
    if damage == 'truncated':
        data = target.read_bytes()
        target.write_bytes(data[:len(data) // 2])
        from PIL import Image
        assert Image.open(target).size == (128, 128)  # the header still reads
    else:
        os.remove(target)
    logged = []
    monkeypatch.setattr(checked_coco, 'print_log', lambda msg, logger, level: logged.append(msg))
    kwargs = dict(
        data_root=str(root),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        pipeline=[],
        metainfo=METAINFO,
        filter_cfg=dict(filter_empty_gt=False))
    dataset = CheckedCocoDataset(**kwargs)
    names = [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))]
    assert len(names) == 7 and '000003.png' not in names
    assert any('1 image(s) that are missing or cannot be decoded' in m and '000003.png' in m
               for m in logged)
    with pytest.raises(checked_coco.AnnotationFileError, match=r"undecodable='raise'.*000003.png"):
        CheckedCocoDataset(undecodable='raise', **kwargs)
    assert len(CheckedCocoDataset(undecodable='off', **kwargs)) == 8


def test_truncated_real_photo_is_undecodable(raccoon_root, tmp_path):
    """A real JPEG cut in half: PIL reads its header, OpenCV (mmcv's decoder)
    cannot decode it; the check sees exactly that."""
    src = osp.join(raccoon_root, 'images', 'raccoon-1.jpg')
    cut = tmp_path / 'cut.jpg'
    data = open(src, 'rb').read()
    cut.write_bytes(data[:len(data) // 2])
    from PIL import Image
    assert Image.open(cut).size == (650, 417)
    assert CheckedCocoDataset._decodes(src)
    assert not CheckedCocoDataset._decodes(str(cut))


def test_a_class_absent_from_the_json_is_one_line(shapes_root):
    """``Kangaroo`` vs ``kangaroo``: named when the dataset is built, with the
    json's own names (mmdet would give 0 boxes, then an IndexError in the
    metric after the whole evaluation)."""
    with pytest.raises(checked_coco.AnnotationFileError) as err:
        CheckedCocoDataset(
            data_root=shapes_root,
            ann_file='annotations/instances_val.json',
            data_prefix=dict(img='val/'),
            metainfo=dict(classes=('Circle', 'square')),
            pipeline=[],
            test_mode=True)
    assert str(err.value) == (
        f"{shapes_root}/annotations/instances_val.json: class(es) 'Circle' of the config's "
        f"metainfo classes are not category names of this json (names must match exactly, "
        f"case included); its categories: 'circle', 'square', 'triangle'; change `classes` "
        f"in the config")


@pytest.mark.parametrize('empty', ['no_images', 'all_missing', 'all_background'])
def test_a_dataset_left_with_no_image_is_one_line(shapes_root, tmp_path, empty):
    root = _copy(shapes_root, tmp_path)
    ann_file = root / 'annotations' / 'instances_train.json'
    coco = json.load(open(ann_file))
    if empty == 'no_images':
        coco['images'], coco['annotations'] = [], []
    elif empty == 'all_background':
        coco['annotations'] = []
    json.dump(coco, open(ann_file, 'w'))
    with pytest.raises(checked_coco.AnnotationFileError) as err:
        CheckedCocoDataset(
            data_root=str(root),
            ann_file='annotations/instances_train.json',
            data_prefix=dict(img='photos/' if empty == 'all_missing' else 'train/'),
            metainfo=METAINFO,
            pipeline=[],
            filter_cfg=dict(filter_empty_gt=True))
    message = str(err.value)
    assert message.startswith(f'{ann_file}: no image left to use: the json lists '
                              f'{0 if empty == "no_images" else 8} image(s)')
    if empty == 'all_missing':
        assert f"8 are missing or cannot be decoded in the image folder '{root}/photos/'" in message
    if empty == 'all_background':
        assert '8 without boxes were filtered out (filter_cfg.filter_empty_gt=True' in message
