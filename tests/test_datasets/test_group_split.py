"""Splits that keep a group (a video sequence) on one side."""
import pytest

from mmdet_efficientdet.datasets.group_split import image_groups, read_group_list, split_by_group
from mmdet_efficientdet.errors import UserError

AERIAL_REGEX = r'^(.*?)-?\d+\.\w+$'
NAMES = ([f'DJI_0005-{i:05d}.jpg'
          for i in range(6)] + [f'DJI_00{i}.jpg'
                                for i in (21, 22)] + [f'MOS{i}.jpg' for i in (74, 75, 155)] +
         [f'MunichStreet02-MOS{i}.jpg'
          for i in (1, 2)] + [f'DJI-00760-{i:05d}.jpg' for i in (1, 2, 3)])


def test_the_regex_names_each_sequence():
    groups = image_groups(NAMES, group_regex=AERIAL_REGEX)
    assert sorted(set(
        groups.values())) == ['DJI-00760', 'DJI_', 'DJI_0005', 'MOS', 'MunichStreet02-MOS']
    assert groups['DJI_0005-00003.jpg'] == 'DJI_0005' and groups['MOS155.jpg'] == 'MOS'
    # without a capture group the whole match is the group
    assert image_groups(['ab12.jpg'], group_regex=r'[a-z]+') == {'ab12.jpg': 'ab'}


def test_split_is_disjoint_by_group_and_deterministic():
    groups = image_groups(NAMES, group_regex=AERIAL_REGEX)
    split = split_by_group(groups, 0.25, seed=0)
    assert sorted(split['train'] + split['val']) == sorted(NAMES)
    train_groups = {groups[n] for n in split['train']}
    val_groups = {groups[n] for n in split['val']}
    assert train_groups and val_groups and not train_groups & val_groups
    assert len(split['val']) >= round(0.25 * len(NAMES))
    assert split_by_group(groups, 0.25, seed=0) == split
    seeds = {tuple(split_by_group(groups, 0.25, seed=s)['val']) for s in range(6)}
    assert len(seeds) > 1  # the seed chooses which groups


def test_one_group_always_stays_in_train():
    groups = {'a1': 'a', 'b1': 'b'}
    assert split_by_group(groups, 0.9, seed=0)['train'] != []


def test_a_group_list_file(tmp_path):
    (tmp_path / 'g.csv').write_text('filename,group\na.jpg,s1\nb.jpg,s1\nc.jpg,s2\n')
    (tmp_path / 'g.txt').write_text('a.jpg s1\nb.jpg,s1\nc.jpg s2\n')
    for name in ('g.csv', 'g.txt'):
        assert read_group_list(str(tmp_path / name)) == {
            'a.jpg': 's1',
            'b.jpg': 's1',
            'c.jpg': 's2'
        }
    (tmp_path / 'bad.txt').write_text('a.jpg s1\nb.jpg\n')
    with pytest.raises(UserError, match=r'bad.txt:2: expected NAME,GROUP'):
        read_group_list(str(tmp_path / 'bad.txt'))
    with pytest.raises(UserError, match='1 image\\(s\\) have no group, first: d.jpg'):
        image_groups(['a.jpg', 'd.jpg'], group_list=str(tmp_path / 'g.csv'))


@pytest.mark.parametrize('kwargs, message', [
    (dict(), 'give one of --group-regex and --groups'),
    (dict(group_regex='(', group_list='x'), 'give one of'),
    (dict(group_regex='('), "--group-regex '\\(':"),
    (dict(group_regex=r'^Z'), "does not match DJI_0005-00000.jpg"),
])
def test_bad_group_options_are_one_line(kwargs, message):
    with pytest.raises(UserError, match=message):
        image_groups(NAMES, **kwargs)


def test_one_group_cannot_be_split():
    with pytest.raises(UserError, match='1 group\\(s\\): need at least 2'):
        split_by_group({'a': 'g', 'b': 'g'}, 0.5, 0)
