import numpy as np
from signal_lab.core.manifest import Manifest, make_record, validate_manifest


def _npz(path, i=0):
    np.savez(path, x=np.arange(3) + i)


def _rec(i, params, path):
    return make_record(params, {'record': path}, seed=7, index=i, config_hash='h')


def test_validation_catches_planted_problems(tmp_path):
    m = Manifest(tmp_path / 'manifests' / 'labels.jsonl')
    (tmp_path / 'data').mkdir()
    for i in range(4): _npz(tmp_path / 'data' / f'{i}.npz', i)
    m.append([_rec(i, {'i': i}, f'../data/{i}.npz') for i in range(4)])
    assert m.validate().ok
    # a second run appends to the same manifest: still valid
    _npz(tmp_path / 'data' / '9.npz', 9)
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
    (root / 'd').mkdir(parents=True); _npz(root / 'd' / 'x.npz')
    m.append([_rec(0, {'x': 1}, 'd/x.npz')])
    root.rename(tmp_path / 'b')
    assert validate_manifest(tmp_path / 'b' / 'labels.jsonl').ok


def test_validate_reads_what_it_vouches_for(tmp_path):
    "#35 item 7: a truncated record, a record unlike its manifest sha256, and an empty manifest are INVALID, each named."
    from signal_lab.core.io import file_hash
    (tmp_path / 'm').mkdir(); _npz(tmp_path / 'm' / 'a.npz'); _npz(tmp_path / 'm' / 'b.npz', 1)
    m = Manifest(tmp_path / 'm' / 'labels.jsonl')
    m.append([make_record({'i': 0}, {'record': 'a.npz'}, seed=0, index=0, config_hash='h', file_sha256={'record': file_hash(tmp_path / 'm' / 'a.npz')}),
              _rec(1, {'i': 1}, 'b.npz')])
    assert m.validate().ok
    (tmp_path / 'm' / 'a.npz').write_bytes((tmp_path / 'm' / 'a.npz').read_bytes()[:-20])       # cut short: sha256 differs
    (tmp_path / 'm' / 'b.npz').write_bytes((tmp_path / 'm' / 'b.npz').read_bytes()[:50])        # no hash stored: the archive itself is checked
    rep = m.validate()
    assert not rep.ok and len(rep.bad_files) == 2 and 'a.npz (sha256' in rep.bad_files[0] and 'b.npz (not a readable .npz)' in rep.bad_files[1], rep
    (tmp_path / 'empty.jsonl').write_text('')
    rep = validate_manifest(tmp_path / 'empty.jsonl')
    assert not rep.ok and 'the manifest is empty' in str(rep) and 'INVALID' in str(rep)
