from signal_lab.core.manifest import Manifest, make_record, validate_manifest


def _rec(i, params, path):
    return make_record(params, {'record': path}, seed=7, index=i, config_hash='h')


def test_validation_catches_planted_problems(tmp_path):
    m = Manifest(tmp_path / 'manifests' / 'labels.jsonl')
    (tmp_path / 'data').mkdir()
    for i in range(4): (tmp_path / 'data' / f'{i}.npz').write_bytes(b'x')
    m.append([_rec(i, {'i': i}, f'../data/{i}.npz') for i in range(4)])
    assert m.validate().ok
    # a second run appends to the same manifest: still valid
    (tmp_path / 'data' / '9.npz').write_bytes(b'x')
    m.append([_rec(9, {'i': 9}, '../data/9.npz')])
    rep = m.validate()
    assert rep.ok and rep.n_records == 5
    # plant a duplicate (same params -> same id and hash) and a missing file
    m.append([_rec(10, {'i': 2}, '../data/2.npz'), _rec(11, {'i': 11}, '../data/gone.npz')])
    rep = validate_manifest(m.path)
    assert not rep.ok
    dup = _rec(0, {'i': 2}, '')['id']
    assert rep.duplicate_ids == [dup]
    assert len(rep.duplicate_hashes) == 1 and rep.duplicate_hashes[0].startswith(dup)
    assert len(rep.missing_files) == 1 and 'gone.npz' in rep.missing_files[0]
    assert 'INVALID' in str(rep)


def test_moving_the_folder_keeps_paths_valid(tmp_path):
    root = tmp_path / 'a'
    m = Manifest(root / 'labels.jsonl')
    (root / 'd').mkdir(parents=True); (root / 'd' / 'x.npz').write_bytes(b'1')
    m.append([_rec(0, {'x': 1}, 'd/x.npz')])
    root.rename(tmp_path / 'b')
    assert validate_manifest(tmp_path / 'b' / 'labels.jsonl').ok
