"""EEG data layer end to end through the CLI, on real-format files the tests write: settings,
preprocess (math, parkinsons, mit), label joins by id, subject splits, SIGKILL + resume, corrupt files."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from conftest import cli, assert_user_error


def _settings(tmp, raw, out, extra=''):
    f = tmp / 'eeg.toml'
    f.write_text(f'data_root = "{raw}"\noutput_root = "{out}"\n[datasets.math]\nroot = "math"\n[datasets.parkinsons]\nroot = "pd"\n'
                 f'[datasets.mit]\nroot = "mit"\n' + extra)
    return f


@pytest.fixture(scope='module')
def raw(tmp_path_factory):
    from signal_lab.eeg.preprocess import make_math_fixture
    from signal_lab.eeg.sources import make_parkinsons_fixture, make_mit_fixture
    d = tmp_path_factory.mktemp('eeg_raw')
    info = make_math_fixture(d / 'math', n_subjects=8, seconds=24)
    make_parkinsons_fixture(d / 'pd', 6, 16)
    make_mit_fixture(d / 'mit', 2, 2, 24)
    return d, info


def _tree(root):
    "Relative path -> bytes for every output file (except timing-bearing summaries)."
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(Path(root).rglob('*'))
            if p.is_file() and p.name != 'run_summary.json'}


def test_preprocess_cli_all_datasets(raw, tmp_path):
    d, info = raw
    cfg = _settings(tmp_path, d, tmp_path / 'out')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'math', 'parkinsons', 'mit', '--workers', 2, '--images', check=True)
    assert 'math: 16 recordings' in r.stdout and 'parkinsons: 6 recordings' in r.stdout and 'mit: 8 recordings' in r.stdout
    # chb24 has no SUBJECT-INFO row: said plainly, per label, not left as blank labels
    assert 'warning: mit: label gender is missing in 6 of 24 windows (1 subjects: chb24)' in r.stderr, r.stderr
    assert 'warning: math' not in r.stderr and 'warning: parkinsons' not in r.stderr, r.stderr
    md = pd.read_csv(tmp_path / 'out' / 'math' / 'metadata.csv', dtype={'subject_id': str})
    # labels join by subject id (info rows are shuffled, subjects numbered from 00)
    for sid, row in info.items():
        sub = md[md.subject_id == sid]
        assert len(sub) == 6 and (sub.gender == row['Gender']).all() and (sub.age == row['Age']).all(), sid
        assert set(sub.state) == {'rest', 'arithmetic'}
    assert md.groupby('subject_id').split.nunique().max() == 1 and set(md.split) == {'train', 'val', 'test'}
    assert (md.fs_in == 500).all() and (md.fs_out == 128).all()
    for s in ('train', 'val', 'test'):
        part = pd.read_csv(tmp_path / 'out' / 'math' / f'{s}-metadata.csv')
        assert len(part) == (md.split == s).sum()
    assert {'source_sha256', 'source_size', 'start_sample', 'stop_sample', 'channels', 'n_fft', 'hop_length', 'caption', 'image_file_name'} <= set(md.columns)
    from signal_lab.eeg.preprocess import load_window
    a = load_window(tmp_path / 'out' / 'math', md.iloc[0]); assert a.dtype == np.float16 and a.shape[0] == 19
    # storage: one array per recording, not one file per window
    assert len([p for p in (tmp_path / 'out' / 'math').glob('*/*/*.npy') if not p.name.endswith('.cov.npy')]) == 16 and len(md) == 48
    # the PNG for diffusion uses the dB range of the settings: its pixels spread out, neither black nor clipped
    from PIL import Image
    img = np.asarray(Image.open(tmp_path / 'out' / 'math' / md.image_file_name[0]))
    assert img.shape == (19 * a.shape[1], a.shape[2]) and img.dtype == np.uint8
    assert 50 < img.mean() < 200 and ((img == 0) | (img == 255)).mean() < 0.05 and img.std() > 10
    # the dataset reads it back, checking disjointness
    from signal_lab.eeg.dataset import SpectrogramDataset
    item = SpectrogramDataset(tmp_path / 'out' / 'parkinsons', 'train', targets=['health', 'age'])[0]
    assert item['targets']['health'].item() in (0, 1)


def test_kill_and_resume_identical(raw, tmp_path):
    d, _ = raw
    cfg_a = _settings(tmp_path, d, tmp_path / 'a'); cli('eeg', 'preprocess', '--config', cfg_a, '--datasets', 'math', check=True)
    cfg_b = tmp_path / 'b.toml'; cfg_b.write_text(cfg_a.read_text().replace(str(tmp_path / 'a'), str(tmp_path / 'b')))
    exe = Path(sys.executable).parent / 'signal-lab'
    p = subprocess.Popen([str(exe), 'eeg', 'preprocess', '--config', str(cfg_b), '--datasets', 'math'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while len(list((tmp_path / 'b' / 'math' / 'parts').glob('*.json'))) < 4 and p.poll() is None and time.time() - t0 < 120: time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    n_done = len(list((tmp_path / 'b' / 'math' / 'parts').glob('*.json')))
    assert 4 <= n_done < 16, n_done
    assert_user_error(cli('eeg', 'preprocess', '--config', cfg_b, '--datasets', 'math'), 'not empty', '--resume')
    r = cli('eeg', 'preprocess', '--config', cfg_b, '--datasets', 'math', '--resume', check=True)
    assert f'({n_done} already done' in r.stdout
    ta, tb = _tree(tmp_path / 'a' / 'math'), _tree(tmp_path / 'b' / 'math')
    assert ta.keys() == tb.keys() and all(ta[k] == tb[k] for k in ta), (set(ta) ^ set(tb))


def test_adding_a_subject_keeps_splits(raw, tmp_path):
    d, _ = raw
    src = tmp_path / 'raw'; shutil.copytree(d / 'math', src / 'math')
    cfg = _settings(tmp_path, src, tmp_path / 'out')
    cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'math', check=True)
    before = json.loads((tmp_path / 'out/math/splits.json').read_text())['assignment']
    from signal_lab.eeg.preprocess import make_math_fixture
    make_math_fixture(tmp_path / 'more', n_subjects=9, seconds=24)
    for k in '12': shutil.copy(tmp_path / 'more' / f'Subject08_{k}.edf', src / 'math')
    shutil.copy(tmp_path / 'more' / 'subject-info.csv', src / 'math' / 'subject-info.csv')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'math', '--resume', check=True)
    after = json.loads((tmp_path / 'out/math/splits.json').read_text())['assignment']
    assert {k: after[k] for k in before} == before and '08' in after
    assert '(16 already done' in r.stdout


def test_corrupt_file_reported_rest_completes(raw, tmp_path):
    d, _ = raw
    src = tmp_path / 'raw'; shutil.copytree(d / 'math', src / 'math')
    good = (src / 'math' / 'Subject03_2.edf').read_bytes()
    (src / 'math' / 'Subject03_2.edf').write_bytes(good[:1000])  # truncated EDF
    cfg = _settings(tmp_path, src, tmp_path / 'out')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'math')
    assert r.returncode == 2 and 'Subject03_2.edf' in r.stderr and 'Traceback' not in r.stderr
    s = json.loads((tmp_path / 'out/math/run_summary.json').read_text())
    assert s['n_failed'] == 1 and s['errors'][0]['file'].endswith('Subject03_2.edf') and s['n_windows'] == 15 * 3
    assert len([l for l in r.stderr.splitlines() if 'failed' in l]) == 1 and 'all listed in' in r.stderr      # one summary line (#35 item 11)
    assert 'Subject03_2.edf' in (tmp_path / 'out/math/failures.csv').read_text()
    (src / 'math' / 'Subject03_2.edf').write_bytes(good)
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'math', '--resume', check=True)
    assert '(15 already done, 0 failed)' in r.stdout
    assert json.loads((tmp_path / 'out/math/run_summary.json').read_text())['n_windows'] == 16 * 3
    assert not (tmp_path / 'out/math/failures.csv').exists()                                          # no stale list after a clean rerun


def test_bad_settings_and_missing_channels(raw, tmp_path):
    d, _ = raw
    cfg = _settings(tmp_path, d, tmp_path / 'out', '[spectrogram]\nhop_length = 999\n')
    assert_user_error(cli('eeg', 'preprocess', '--config', cfg), 'eeg.toml', 'spectrogram.hop_length')
    assert_user_error(cli('eeg', 'preprocess', '--config', _settings(tmp_path, tmp_path / 'nothing', tmp_path / 'out')), 'raw data folder')
    # a recording without a required channel fails that file, naming the channel
    from signal_lab.eeg.synthetic import synthetic_eeg, write_recording
    src = tmp_path / 'raw'; shutil.copytree(d / 'math', src / 'math')
    x, names = synthetic_eeg(18, 24, 500.0)
    write_recording(src / 'math' / 'Subject00_1.edf', x, ['EEG ' + c for c in ['Fp1', 'Fp2', 'F3', 'F4', 'F7', 'F8', 'T3', 'T4', 'C3', 'C4', 'T5', 'T6', 'P3', 'P4', 'O1', 'O2', 'Fz', 'Cz']], 500.0)
    r = cli('eeg', 'preprocess', '--config', _settings(tmp_path, src, tmp_path / 'out2'), '--datasets', 'math')
    assert r.returncode == 2 and 'Pz' in r.stderr and 'Subject00_1.edf' in r.stderr


def test_tasks_cli():
    r = cli('eeg', 'tasks', 'mit', check=True)
    assert 'seizure' in r.stdout and 'no,yes' in r.stdout
    assert_user_error(cli('eeg', 'tasks', 'sleep'), "'sleep' is not allowed")


def test_meta_cli(raw, tmp_path):
    d, _ = raw
    cfg = _settings(tmp_path, d, tmp_path / 'out')
    assert_user_error(cli('eeg', 'meta', '--config', cfg, '--datasets', 'math', 'parkinsons'), 'metadata.csv', '--preprocess')
    r = cli('eeg', 'meta', '--config', cfg, '--datasets', 'math', 'parkinsons', '--preprocess', '--group', 'gender', check=True)
    meta = tmp_path / 'out' / 'meta'
    assert 'meta-dataset of math, parkinsons' in r.stdout
    import yaml
    head = yaml.safe_load((meta / 'README.md').read_text().split('---')[1])
    assert {f['split'] for f in head['configs'][0]['data_files']} == {'train', 'val', 'test'}
    diag = pd.read_csv(meta / 'weight_diagnostics.csv')
    assert np.allclose(diag.share_after, 1 / len(diag))
    md = pd.read_csv(meta / 'metadata.csv')
    assert {'gender', 'health', 'age', 'caption', 'weight'} <= set(md.columns)
    assert all((meta / f).exists() for f in md.file_name)
    assert_user_error(cli('eeg', 'meta', '--config', cfg, '--datasets', 'math', 'parkinsons'), 'not empty', '--overwrite')
    cli('eeg', 'meta', '--config', cfg, '--datasets', 'math', 'parkinsons', '--overwrite', check=True)


def _seed_fixture(root, bad_header=False):
    "SEED-V layout: .cnt files (1000 Hz, int32) incl. one with a corrupt sample count, shuffled participants, trial times."
    from cnt_writer import write_cnt
    from signal_lab.eeg.synthetic import synthetic_eeg
    from signal_lab.eeg.preprocess import MathPreprocessor
    root.mkdir(parents=True)
    names = [c.upper() for c in MathPreprocessor.channels]
    for sid in (1, 2, 7):
        for ses in (1, 2):
            x, _ = synthetic_eeg(19, 30, 1000.0, seed=sid * 10 + ses)
            corrupt = (sid, ses) == (7, 1)
            write_cnt(root / f'{sid}_{ses}_2018041{ses}.cnt', x, names, 1000.0, header_n_samples=123 if corrupt else None,
                      header_n_channels=4000 if (bad_header and (sid, ses) == (2, 2)) else None)
    pd.DataFrame(dict(subject=['7', '1', '2'], gender=['M', 'F', 'F'], age=[23, 21, 30])).to_csv(root / 'participants_info.csv', index=False)
    pd.DataFrame(dict(session=[1, 1, 2, 2], trial=[1, 2, 1, 2], start_s=[1, 12, 2, 15], end_s=[10, 29, 14, 30],
                      emotion=['happy', 'fear', 'neutral', 'sad'])).to_csv(root / 'trial_info.csv', index=False)


def test_seed_cnt(tmp_path):
    _seed_fixture(tmp_path / 'raw' / 'seed')
    cfg = _settings(tmp_path, tmp_path / 'raw', tmp_path / 'out', '[datasets.seed]\nroot = "seed"\nrecompute_n_samples = ["7_1_20180411.cnt"]\n')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'seed', check=True)
    md = pd.read_csv(tmp_path / 'out' / 'seed' / 'metadata.csv', dtype={'subject_id': str})
    # trials of 9+17 s (session 1) and 12+15 s (session 2) hold 1+2 and 1+1 windows of 8 s
    assert md.groupby('session').size().to_dict() == {1: 3 * 3, 2: 3 * 2}
    assert set(md[md.session == 1].emotion) == {'happy', 'fear'} and set(md[md.session == 2].emotion) == {'neutral', 'sad'}
    assert (md.fs_in == 1000).all() and (md[md.subject_id == '7'].gender == 'M').all() and (md[md.subject_id == '1'].age == 21).all()
    assert '7_1' in set(md.recording)  # the corrupt-count file was read with its count recomputed
    # without the per-file override that file fails alone, with a clear per-file error
    cfg2 = _settings(tmp_path, tmp_path / 'raw', tmp_path / 'out2', '[datasets.seed]\nroot = "seed"\nrecompute_n_samples = []\n')
    r = cli('eeg', 'preprocess', '--config', cfg2, '--datasets', 'seed')
    assert r.returncode == 2 and '7_1_20180411.cnt' in r.stderr and 'Traceback' not in r.stderr


def test_seed_bad_header_reported(tmp_path):
    _seed_fixture(tmp_path / 'raw' / 'seed', bad_header=True)
    cfg = _settings(tmp_path, tmp_path / 'raw', tmp_path / 'out', '[datasets.seed]\nroot = "seed"\ndata_format = "int32"\n')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'seed')
    s = json.loads((tmp_path / 'out/seed/run_summary.json').read_text())
    files = sorted(Path(e['file']).name for e in s['errors'])
    assert r.returncode == 2 and '2_2_20180412.cnt' in files and s['n_recordings'] - s['n_failed'] >= 4, s['errors']


def test_a_missing_label_column_is_named_with_its_file(raw, tmp_path):
    "#35 item 6: subject-info.csv without Gender: the warning names the file and the column (it named neither)."
    import pandas as pd
    d, _ = raw
    src = tmp_path / 'raw'; shutil.copytree(d / 'math', src / 'math')
    info = pd.read_csv(src / 'math' / 'subject-info.csv'); info.drop(columns='Gender').to_csv(src / 'math' / 'subject-info.csv', index=False)
    r = cli('eeg', 'preprocess', '--config', _settings(tmp_path, src, tmp_path / 'out'), '--datasets', 'math', check=True)
    assert f"{src / 'math' / 'subject-info.csv'}: no Gender (or Sex) column" in r.stderr and 'gender is missing for every subject' in r.stderr, r.stderr
