"""The search space as data: validation, sampling, mutation, block strings."""
import random

import pytest

from mmdet_efficientdet.models.search_space import SearchSpace, SearchSpaceError, SubnetChoice

SPACE = dict(
    stages=[
        dict(kernel=[3], expand=[1], depth=[1]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[1, 2]),
        dict(kernel=[5, 3], expand=[3, 6], depth=[2, 3, 4]),
    ],
    neck_repeats=[2, 3],
    head_depth=[3],
    image_size=[256, 320])


def test_size_largest_smallest():
    space = SearchSpace.from_config(SPACE)
    assert space.size() == 1 * 8 * 12 * 2 * 1 * 2
    assert space.largest() == SubnetChoice(((3, 1.0, 1), (5, 6.0, 2), (5, 6.0, 4)), 3, 3, 320)
    assert space.smallest() == SubnetChoice(((3, 1.0, 1), (3, 4.0, 1), (3, 3.0, 2)), 2, 3, 256)


def test_sampling_covers_every_option():
    space = SearchSpace.from_config(SPACE)
    rng = random.Random(0)
    seen = [set() for _ in space.stages]
    sizes = set()
    for _ in range(400):
        choice = space.sample(rng)
        space.check(choice)
        for i, stage in enumerate(choice.stages):
            seen[i].add(stage)
        sizes.add(choice.image_size)
    assert [len(s) for s in seen] == [1, 8, 12]
    assert sizes == {256, 320}


def test_mutation_changes_something_and_stays_inside():
    space = SearchSpace.from_config(SPACE)
    rng = random.Random(1)
    parent = space.smallest()
    for _ in range(50):
        child = space.mutate(parent, rng, prob=0.1)
        assert child != parent
        space.check(child)


def test_sample_distinct_excludes_and_stops_when_the_space_runs_out():
    space = SearchSpace.from_config(SPACE)  # 384 sub-networks
    exclude = [space.smallest(), space.largest()]
    drawn = space.sample_distinct(random.Random(0), 20, exclude, image_size=256)
    assert len(drawn) == 20 == len(set(drawn))
    assert not set(drawn) & set(exclude)
    assert {c.image_size for c in drawn} == {256}
    tiny = SearchSpace([dict(kernel=[3], expand=[4, 6], depth=[1])], [2], [3], [256])
    assert sorted(
        tiny.sample_distinct(random.Random(0), 5), key=lambda c: c.stages) == [
            SubnetChoice(((3, 4.0, 1), ), 2, 3, 256),
            SubnetChoice(((3, 6.0, 1), ), 2, 3, 256)
        ]
    assert tiny.sample_distinct(random.Random(0), 5, [tiny.smallest(), tiny.largest()]) == []


def test_json_round_trip_and_name():
    choice = SearchSpace.from_config(SPACE).largest()
    assert SubnetChoice.from_dict(choice.to_dict()) == choice
    assert choice.name() == 'k3e1d1-k5e6d2-k5e6d4|bifpn3|head3|320'


def test_subnet_blocks_keep_strides_and_widths():
    space = SearchSpace.from_config(SPACE)
    parent = ['ds_r1_k3_s1_e1_c16', 'ir_r2_k3_s2_e6_c24', 'ir_r2_k5_s2_e6_c40_se0.25']
    assert space.subnet_blocks(parent,
                               space.smallest()) == ('ds_r1_k3_s1_e1_c16', 'ir_r1_k3_s2_e4_c24',
                                                     'ir_r2_k3_s2_e3_c40_se0.25')


@pytest.mark.parametrize('change, message', [
    (dict(head_depth=[]), 'search_space.head_depth=[]: expected a non-empty list'),
    (dict(image_size=[256, 256]), 'search_space.image_size=[256, 256]: repeated value'),
    (dict(stages=[dict(kernel=[4], expand=[6], depth=[1])]),
     'search_space.stages[0].kernel=[4]: kernels must be odd'),
    (dict(stages=[dict(kernel=[3], expand=[1, 6], depth=[1])]),
     'search_space.stages[0].expand=[1.0, 6.0]: 1 (no expansion conv) cannot be mixed'),
    (dict(stages=[dict(kernel=[3], expand=[6])]), 'search_space.stages[0]='),
    (dict(neck_repeats=[0]), 'search_space.neck_repeats: 0 is not a positive int'),
])
def test_bad_space_is_one_line(change, message):
    with pytest.raises(SearchSpaceError) as err:
        SearchSpace.from_config(dict(SPACE, **change))
    assert message in str(err.value) and '\n' not in str(err.value)


def test_missing_key_and_foreign_choice():
    with pytest.raises(SearchSpaceError, match=r"expected the keys \['head_depth'"):
        SearchSpace.from_config(dict(stages=SPACE['stages']))
    space = SearchSpace.from_config(SPACE)
    with pytest.raises(SearchSpaceError, match=r'choice image_size=512 is not in'):
        space.check(SubnetChoice(space.largest().stages, 3, 3, 512))
    with pytest.raises(SearchSpaceError, match=r'choice stage 1 \(7, 6.0, 2\) is not in'):
        space.check(SubnetChoice(((3, 1.0, 1), (7, 6.0, 2), (5, 6.0, 4)), 3, 3, 320))
