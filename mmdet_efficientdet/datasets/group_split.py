"""Train/val splits that keep a group together.

Consecutive video frames, several photos of one object, one site's drone
flight: images of a group are near-duplicates, so a group in both train and
val lets val score memorised images. :func:`image_groups` names each image's
group (a regular expression on the file name, or a list), and
:func:`split_by_group` puts whole groups into val.
"""
from __future__ import annotations
import csv
import random
import re
from typing import Dict, List, Optional, Sequence

from ..errors import UserError


def read_group_list(path: str) -> Dict[str, str]:
    """``{file name: group}`` from a CSV with ``filename,group`` columns, or
    lines ``NAME GROUP`` / ``NAME,GROUP``.

    Raises:
        UserError: a line without both fields, or a name given twice.
    """
    with open(path, newline='') as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    if lines and [c.strip() for c in lines[0].split(',')] == ['filename', 'group']:
        rows = [(r['filename'], r['group']) for r in csv.DictReader(lines)]
        start = 2
    else:
        rows = [tuple(re.split(r'[,\s]+', line.strip(), maxsplit=1)) for line in lines]
        start = 1
    groups: Dict[str, str] = {}
    for number, row in enumerate(rows, start=start):
        if len(row) != 2 or not all(str(v).strip() for v in row):
            raise UserError(f'{path}:{number}: expected NAME,GROUP')
        name, group = (str(v).strip() for v in row)
        if name in groups:
            raise UserError(f'{path}:{number}: {name} is given twice')
        groups[name] = group
    return groups


def image_groups(names: Sequence[str],
                 group_regex: Optional[str] = None,
                 group_list: Optional[str] = None) -> Dict[str, str]:
    """Each image's group: the regular expression's first group (or whole
    match) searched in the file name, or the list's entry.

    Example:
        >>> image_groups(['DJI_0005-00012.jpg', 'DJI_0005-00013.jpg', 'MOS74.jpg'],
        ...              group_regex=r'^(.*?)-?\\d+\\.\\w+$')
        {'DJI_0005-00012.jpg': 'DJI_0005', 'DJI_0005-00013.jpg': 'DJI_0005', 'MOS74.jpg': 'MOS'}

    Raises:
        UserError: both or neither source, a bad expression, an image it does
            not match, or an image the list does not name.
    """
    if bool(group_regex) == bool(group_list):
        raise UserError('give one of --group-regex and --groups')
    if group_list:
        listed = read_group_list(group_list)
        missing = sorted(set(names) - set(listed))
        if missing:
            raise UserError(f'{group_list}: {len(missing)} image(s) have no group, first: '
                            f'{missing[0]}')
        return {n: listed[n] for n in names}
    try:
        pattern = re.compile(group_regex)
    except re.error as err:
        raise UserError(f'--group-regex {group_regex!r}: {err}')
    groups = {}
    for name in names:
        match = pattern.search(name)
        if match is None:
            raise UserError(f'--group-regex {group_regex!r} does not match {name}')
        groups[name] = match.group(1) if pattern.groups else match.group(0)
    return groups


def split_by_group(groups: Dict[str, str], val_fraction: float, seed: int) -> Dict[str, List[str]]:
    """Whole groups into val, in a seeded order, until val holds at least
    ``round(val_fraction * images)`` images (one group at least, and one
    left for train); the rest is train. No group is in both.

    Example:
        >>> g = {'a1': 'a', 'a2': 'a', 'b1': 'b', 'c1': 'c', 'c2': 'c', 'c3': 'c'}
        >>> split = split_by_group(g, 0.3, 0)
        >>> sorted(split), sum(map(len, split.values()))
        (['train', 'val'], 6)

    Raises:
        UserError: a bad fraction, or fewer than two groups.
    """
    if not 0 < val_fraction < 1:
        raise UserError(f'--val-fraction {val_fraction} must be in (0, 1)')
    names_of: Dict[str, List[str]] = {}
    for name, group in sorted(groups.items()):
        names_of.setdefault(group, []).append(name)
    if len(names_of) < 2:
        raise UserError(f'{len(names_of)} group(s): need at least 2 to split into train and '
                        f'val by group')
    order = sorted(names_of)
    random.Random(seed).shuffle(order)
    wanted = max(1, round(val_fraction * len(groups)))
    val: List[str] = []
    for group in order[:-1]:  # the last group stays in train
        if len(val) >= wanted:
            break
        val += names_of[group]
    val_set = set(val)
    return {'train': sorted(n for n in groups if n not in val_set), 'val': sorted(val)}
