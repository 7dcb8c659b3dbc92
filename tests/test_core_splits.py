import random
from collections import Counter
import pytest
from signal_lab.core.splits import assign_splits, load_or_assign, check_disjoint, load_splits
from signal_lab.core.config import UserError


@pytest.mark.parametrize('method', ['balanced', 'hash'])
def test_adding_groups_moves_nobody(tmp_path, method):
    rnd = random.Random(0)
    groups = [f'subj{i}' for i in range(30)]
    path = tmp_path / f'{method}.json'
    first = load_or_assign(path, groups, seed=3, method=method)
    current = dict(first)
    for step in range(5):
        new = [f'new{step}_{k}' for k in range(rnd.randint(1, 6))]
        groups = groups + new
        a = load_or_assign(path, groups, seed=3, method=method)
        assert {g: a[g] for g in current} == current
        current = a
    check_disjoint(current.items())
    assert load_splits(path) == current


def test_balanced_is_stratified():
    groups = [f's{i}' for i in range(40)]
    strata = {g: 'PD' if i < 10 else 'H' for i, g in enumerate(groups)}
    a = assign_splits(groups, strata=strata, seed=1)
    c = Counter((strata[g], s) for g, s in a.items())
    assert c[('PD', 'train')] == 8 and c[('PD', 'val')] == 1 and c[('PD', 'test')] == 1
    assert c[('H', 'train')] == 24 and c[('H', 'val')] == 3 and c[('H', 'test')] == 3


def test_items_of_one_group_never_straddle():
    items = [(f'g{i % 7}', None) for i in range(100)]
    a = assign_splits({g for g, _ in items})
    check_disjoint((g, a[g]) for g, _ in items)
    with pytest.raises(UserError, match='straddle'):
        check_disjoint([('g1', 'train'), ('g2', 'val'), ('g1', 'val')])


def test_changed_seed_is_refused(tmp_path):
    load_or_assign(tmp_path / 's.json', ['a', 'b', 'c'], seed=0)
    with pytest.raises(UserError, match='delete the file to re-split'):
        load_or_assign(tmp_path / 's.json', ['a', 'b', 'c'], seed=1)
