"""A labelled photo folder (labelImg / VOC xml, or CSV) -> COCO json, on the
real raccoon photos; every bad file is reported, nothing is overwritten."""
import json
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from mmdet_efficientdet.datasets import CheckedCocoDataset, convert_labelled_folder, decoded_size
from mmdet_efficientdet.errors import UserError
from ..conftest import REPO
from ..process import tool_error

NAMES = ['raccoon-1', 'raccoon-10', 'raccoon-100', 'raccoon-101', 'raccoon-102', 'raccoon-103']


def _copy_folder(root, tmp_path, names, parts):
    """A copy of a few labelled photos: ``parts`` = ``(folder, suffix)`` pairs."""
    for sub, _ in parts:
        (tmp_path / sub).mkdir()
    for name in names:
        for sub, suffix in parts:
            shutil.copy(osp.join(root, sub, f'{name}.{suffix}'), tmp_path / sub)
    return tuple(tmp_path / sub for sub, _ in parts)


def _small_folder(raccoon_root, tmp_path, names=NAMES):
    """A copy of a few labelled photos (xml + jpg)."""
    return _copy_folder(raccoon_root, tmp_path, names, (('images', 'jpg'), ('annotations', 'xml')))


def test_author_split_of_all_200_photos(raccoon_root, tmp_path):
    data = osp.join(raccoon_root, 'data')
    result = convert_labelled_folder(
        str(tmp_path / 'out'),
        osp.join(raccoon_root, 'images'),
        ann_dir=osp.join(raccoon_root, 'annotations'),
        train_list=osp.join(data, 'train_labels.csv'),
        val_list=osp.join(data, 'test_labels.csv'))
    assert result.classes == ['raccoon']
    assert result.images == {'train': 160, 'val': 40}
    assert result.boxes == {'train': 173, 'val': 44}  # rows of the two CSVs
    assert not result.problems and not result.dropped_boxes
    val = json.load(open(result.files['val']))
    first = next(i for i in val['images'] if i['file_name'] == 'raccoon-17.jpg') if any(
        i['file_name'] == 'raccoon-17.jpg' for i in val['images']) else val['images'][0]
    assert (first['width'],
            first['height']) == decoded_size(osp.join(raccoon_root, 'images', first['file_name']))
    assert val['categories'] == [dict(id=1, name='raccoon')]
    # the result reads as a COCO dataset, images from the original folder
    dataset = CheckedCocoDataset(
        ann_file=result.files['val'],
        metainfo=dict(classes=('raccoon', )),
        data_prefix=dict(img=osp.join(raccoon_root, 'images')),
        pipeline=[],
        test_mode=True)
    assert len(dataset) == 40
    manifest = json.load(open(result.files['manifest']))
    assert manifest['files'] == [
        'annotations/instances_train.json', 'annotations/instances_val.json'
    ]


def test_bad_files_reported_per_file(raccoon_root, tmp_path):
    images, anns = _small_folder(raccoon_root, tmp_path)
    (anns / 'broken.xml').write_text('<annotation><filename>x.jpg</fil')
    text = (anns / 'raccoon-10.xml').read_text()
    (anns / 'ghost.xml').write_text(text.replace('raccoon-10.jpg', 'ghost.jpg'))
    # a box reaching past the right edge and one wholly outside the image
    text = (anns / 'raccoon-1.xml').read_text()  # 650x417
    text = text.replace('<xmax>522</xmax>', '<xmax>700</xmax>')
    extra = ('<object><name>raccoon</name><bndbox><xmin>900</xmin><ymin>10'
             '</ymin><xmax>950</xmax><ymax>50</ymax></bndbox></object>')
    (anns / 'raccoon-1.xml').write_text(text.replace('</annotation>', extra + '</annotation>'))
    # a truncated photo: its xml is fine, its pixels are not
    data = (images / 'raccoon-100.jpg').read_bytes()
    (images / 'raccoon-100.jpg').write_bytes(data[:len(data) // 2])
    # wrong size in the xml
    text = (anns / 'raccoon-101.xml').read_text()
    (anns / 'raccoon-101.xml').write_text(text.replace('<width>', '<width>1', 1))
    result = convert_labelled_folder(
        str(tmp_path / 'out'), str(images), ann_dir=str(anns), val_fraction=0.3, seed=1)
    problems = '\n'.join(result.problems)
    assert 'broken.xml: not a readable xml' in problems
    assert 'ghost.jpg: image not found' in problems
    assert 'raccoon-100.jpg: image cannot be decoded' in problems
    assert len(result.problems) == 3
    assert len(result.clipped) == 1 and '-> (81, 88, 650, 408)' in \
        result.clipped[0]
    assert len(result.dropped_boxes) == 1 and 'outside the image' in \
        result.dropped_boxes[0]
    assert len(result.size_fixed) == 1 and 'raccoon-101.jpg' in \
        result.size_fixed[0]
    # 7 xml files parsed (round(0.3 * 7) = 2 in val), 2 images left out
    assert sum(result.images.values()) == 5 and result.images['train'] >= 3


def test_csv_labels_and_seeded_split(raccoon_root, tmp_path):
    images, _ = _small_folder(raccoon_root, tmp_path)
    csv = tmp_path / 'labels.csv'
    csv.write_text('filename,width,height,class,xmin,ymin,xmax,ymax\n'
                   'raccoon-1.jpg,650,417,raccoon,81,88,522,408\n'
                   'raccoon-10.jpg,450,495,raccoon,130,2,446,488\n'
                   'raccoon-100.jpg,960,576,raccoon,548,10,954,520\n'
                   'raccoon-101.jpg,640,426,raccoon,86,53,400,356\n'
                   'raccoon-101.jpg,640,426,dog,1,1,20,20\n')
    one = convert_labelled_folder(
        str(tmp_path / 'a'), str(images), csv_files=[str(csv)], val_fraction=0.25)
    two = convert_labelled_folder(
        str(tmp_path / 'b'), str(images), csv_files=[str(csv)], val_fraction=0.25)
    assert one.classes == ['dog', 'raccoon']
    assert one.images == two.images == {'train': 3, 'val': 1}
    assert json.load(open(one.files['val'])) == json.load(open(two.files['val']))


@pytest.mark.parametrize('source', ['xml', 'csv'])
def test_a_file_left_out_is_out_of_every_split(raccoon_root, tmp_path, source):
    """An unreadable box leaves its whole image out (never kept with fewer
    boxes, which would train the unread object as background); an image in
    neither list is reported; the summary's counts are true."""
    images, anns = _small_folder(raccoon_root, tmp_path)
    kwargs = dict(ann_dir=str(anns))
    if source == 'xml':
        text = (anns / 'raccoon-10.xml').read_text()
        (anns / 'raccoon-10.xml').write_text(text.replace('<xmin>130</xmin>', '<xmin>one</xmin>'))
    else:
        csv = tmp_path / 'labels.csv'
        csv.write_text('filename,width,height,class,xmin,ymin,xmax,ymax\n'
                       'raccoon-1.jpg,650,417,raccoon,81,88,522,408\n'
                       'raccoon-10.jpg,450,495,raccoon,130,2,446,488\n'
                       'raccoon-10.jpg,450,495,raccoon,,2,40,48\n'
                       'raccoon-100.jpg,960,576,raccoon,548,10,954,520\n'
                       'raccoon-101.jpg,640,426,raccoon,86,53,400,356\n'
                       'raccoon-102.jpg,640,426,raccoon,86,53,400,356\n'
                       'raccoon-103.jpg,640,426,raccoon,86,53,400,356\n')
        kwargs = dict(csv_files=[str(csv)])
    (tmp_path / 'train.txt').write_text('raccoon-1.jpg\nraccoon-10.jpg\nraccoon-100.jpg\n')
    (tmp_path / 'val.txt').write_text('raccoon-101.jpg\nraccoon-102.jpg\n')
    result = convert_labelled_folder(
        str(tmp_path / 'out'),
        str(images),
        train_list=str(tmp_path / 'train.txt'),
        val_list=str(tmp_path / 'val.txt'),
        **kwargs)
    train = json.load(open(result.files['train']))
    assert [i['file_name'] for i in train['images']] == ['raccoon-1.jpg', 'raccoon-100.jpg']
    assert result.images == {'train': 2, 'val': 2}
    assert len(result.problems) == 2
    assert 'image raccoon-10.jpg left out' in result.problems[0]
    assert result.problems[1] == ('raccoon-103.jpg: labelled but in neither --train-list nor '
                                  '--val-list')
    assert '2 file(s) left out, 0 box(es) dropped' in result.summary()


def test_outputs_never_replace_inputs_or_earlier_results(raccoon_root, tmp_path):
    images, anns = _small_folder(raccoon_root, tmp_path)
    out = tmp_path / 'out'
    convert_labelled_folder(str(out), str(images), ann_dir=str(anns))
    before = (out / 'annotations' / 'instances_val.json').read_bytes()
    with pytest.raises(UserError, match='already exist.*--overwrite'):
        convert_labelled_folder(str(out), str(images), ann_dir=str(anns), seed=5)
    assert (out / 'annotations' / 'instances_val.json').read_bytes() == before
    convert_labelled_folder(str(out), str(images), ann_dir=str(anns), seed=5, overwrite=True)
    # into the label folder itself: refused (it is an input)
    with pytest.raises(UserError, match='input folder'):
        convert_labelled_folder(
            str(anns / '..'), str(images), ann_dir=str(anns / '..' / 'annotations'), overwrite=True)


def test_tool_prints_summary_and_one_line_errors(raccoon_root, tmp_path, capsys):
    images, anns = _small_folder(raccoon_root, tmp_path)
    tool = osp.join(REPO, 'tools', 'dataset_converters', 'labelled_to_coco.py')
    ok = subprocess.run([
        sys.executable, tool, '--images',
        str(images), '--xml',
        str(anns), '--out',
        str(tmp_path / 'o')
    ],
                        capture_output=True,
                        text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert 'train: 5 images, 5 boxes' in ok.stdout
    # refusals, in this process (no interpreter start each)
    for args, message in [
        (['--xml', str(anns), '--out', str(tmp_path / 'o')], 'already exist'),
        (['--xml', str(anns), '--out',
          str(tmp_path / 'p'), '--val-fraction', '1.5'], '--val-fraction 1.5 must be in'),
        (['--xml', str(tmp_path / 'nope'), '--out',
          str(tmp_path / 'q')], 'label folder'),
    ]:
        assert message in tool_error(tool, ['--images', str(images), *args], capsys)


AERIAL = ('DJI_0013-0023', 'DJI_0013-0028', 'MOS74', 'MOS75', 'MunichStreet02-MOS74',
          'MunichStreet02-MOS75')


def _aerial_folder(aerial_root, tmp_path, names=AERIAL):
    """A copy of a few aerial photos of three sequences (jpg + YOLO txt)."""
    return _copy_folder(aerial_root, tmp_path, names, (('images', 'jpg'), ('labels', 'txt')))


def test_yolo_labels_split_by_sequence(aerial_root, tmp_path):
    images, labels = _aerial_folder(aerial_root, tmp_path)
    result = convert_labelled_folder(
        str(tmp_path / 'coco'),
        str(images),
        yolo_dir=str(labels),
        names_file=osp.join(aerial_root, 'classes.txt'),
        group_regex=r'^(.*?)-?\d+\.\w+$',
        val_fraction=0.3)
    assert result.classes == ['car', 'truck', 'bus', 'minibus', 'cyclist']  # the file's order
    assert set(result.groups) == {'train', 'val'} and len(result.groups['val']) == 1
    assert not set(result.groups['train']) & set(result.groups['val'])
    assert result.problems == [] and result.images['val'] == 2
    doc = json.load(open(result.files['train']))
    first = sorted(doc['images'], key=lambda i: i['file_name'])[0]
    name = first['file_name']
    rows = [r.split() for r in open(labels / name.replace('.jpg', '.txt')).read().splitlines()]
    w, h = first['width'], first['height']
    cls, xc, yc, bw, bh = int(rows[0][0]), *map(float, rows[0][1:])
    expected = [(xc - bw / 2) * w, (yc - bh / 2) * h, bw * w, bh * h]
    box = [a for a in doc['annotations'] if a['image_id'] == first['id']][0]
    assert box['category_id'] == cls + 1
    assert box['bbox'] == pytest.approx(expected)
    assert sum(a['image_id'] == first['id'] for a in doc['annotations']) == len(rows)
    assert json.load(open(result.files['manifest']))['groups'] == result.groups


def test_a_bad_yolo_row_leaves_its_image_out(aerial_root, tmp_path):
    images, labels = _aerial_folder(aerial_root, tmp_path)
    with open(labels / 'MOS75.txt', 'a') as f:
        f.write('9 0.5 0.5 0.1 0.1\n')
    result = convert_labelled_folder(
        str(tmp_path / 'coco'),
        str(images),
        yolo_dir=str(labels),
        names_file=osp.join(aerial_root, 'classes.txt'),
        seed=1)
    assert len(result.problems) == 1 and result.problems[0].endswith(
        "bad row (class '9' is not an index of the 5 names); image MOS75.jpg left out")
    assert result.images['train'] + result.images['val'] == len(AERIAL) - 1
    with pytest.raises(UserError, match='--yolo\\) go with their names file'):
        convert_labelled_folder(str(tmp_path / 'x'), str(images), yolo_dir=str(labels))
    with pytest.raises(UserError, match='not both'):
        convert_labelled_folder(
            str(tmp_path / 'y'),
            str(images),
            yolo_dir=str(labels),
            names_file=osp.join(aerial_root, 'classes.txt'),
            group_regex='MOS',
            train_list='a',
            val_list='b')
