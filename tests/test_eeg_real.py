"""The EEG readers on real third-party files and metadata (../shared/data/real-eeg, read in place, never copied into
the project), and the quirks of the four public datasets as the fixtures reproduce them."""
import json, shutil
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from conftest import cli

REAL = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'real-eeg'
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f'real third-party EEG samples not found at {REAL} (../shared is absent)')


@needs_real
def test_ds004584_participants_as_published(tmp_path):
    from signal_lab.eeg.sources import ParkinsonsPreprocessor, DS004584_COLUMNS
    shutil.copy(REAL / 'meta' / 'ds004584_participants.tsv', tmp_path / 'participants.tsv')
    t = pd.read_csv(tmp_path / 'participants.tsv', sep='\t', dtype=str)
    assert tuple(t.columns) == DS004584_COLUMNS                     # the fixture writes exactly these columns
    info = ParkinsonsPreprocessor(root=tmp_path, output=tmp_path / 'out').participants()
    assert len(info) == len(t) > 100
    assert all(v['health'] in ('PD', 'H') and v['gender'] in ('F', 'M') and isinstance(v['age'], (int, float)) for v in info.values())
    assert sum(v['health'] == 'PD' for v in info.values()) == (t.GROUP == 'PD').sum()
    # Pz is the reference and in no channels.tsv: the shipped settings say so
    ref = json.loads((REAL / 'meta' / 'ds004584_sub-001_task-Rest_eeg.json').read_text())['EEGReference']
    chans = pd.read_csv(REAL / 'meta' / 'ds004584_sub-001_task-Rest_channels.tsv', sep='\t').name.tolist()
    from signal_lab.eeg.settings import load_settings
    assert ref == 'Pz' == load_settings().datasets['parkinsons'].reference and 'Pz' not in chans


@needs_real
def test_chbmit_summary_as_published():
    from signal_lab.eeg.sources import parse_mit_summary, parse_mit_channels, MIT_MONTAGE, MITPreprocessor
    f = REAL / 'meta' / 'chb01-summary.txt'
    ch = parse_mit_channels(f)
    assert ch == MIT_MONTAGE and ch.count('T8-P8') == 2                 # the fixture's montage is the real one
    from signal_lab.eeg.spectrogram import pick_channels
    mne_names = [f'{c}-{ch[:i].count(c)}' if ch.count(c) > 1 else c for i, c in enumerate(ch)]   # how MNE renames them
    idx = pick_channels(mne_names, MITPreprocessor.channels)
    assert idx[MITPreprocessor.channels.index('T8-P8')] == 14
    sz = parse_mit_summary(f)
    assert sz['chb01_03.edf'] == [(2996.0, 3036.0)] and sum(len(v) for v in sz.values()) == 7


@needs_real
def test_bci2000_and_nihon_kohden_labels_resolve():
    import mne
    from signal_lab.eeg.spectrogram import pick_channels
    from signal_lab.eeg.preprocess import MathPreprocessor
    bci = mne.io.read_raw(REAL / 'edf' / 'test_edf_overlapping_annotations.edf', verbose='error').ch_names   # 'Fp1.', 'C3..'
    idx = pick_channels(bci, ['Fp1', 'C3', 'Cz', 'O1'])
    assert [bci[i] for i in idx] == ['Fp1.', 'C3..', 'Cz..', 'O1..']
    nk = mne.io.read_raw(REAL / 'edf' / 'chtypes_edf.edf', verbose='error').ch_names                        # 'EEG Fp1-Ref'
    assert len(set(pick_channels(nk, MathPreprocessor.channels))) == 19


@needs_real
def test_dc_coupled_edf_keeps_precision(tmp_path):
    "A real EDF with 0.18-0.22 V offsets: stored PSDs match scipy on the float64 signal within float16 rounding."
    import mne, scipy.signal as ss
    from signal_lab.eeg.preprocess import MathPreprocessor, load_window
    from signal_lab.eeg.spectrogram import psd_stft
    raw = REAL / 'edf' / 'test_edf_stim_channel.edf'
    d = tmp_path / 'eegmat'; d.mkdir()
    for k in '12': (d / f'Subject00_{k}.edf').symlink_to(raw)
    shutil.copy(REAL / 'meta' / 'eegmat_subject-info.csv', d / 'subject-info.csv')
    pre = MathPreprocessor(root=d, output=tmp_path / 'out')
    s = pre.run(progress=False)
    assert s['n_failed'] == 0 and s['n_windows'] == 2
    md = pd.read_csv(tmp_path / 'out' / 'metadata.csv', dtype={'subject_id': str})
    got = load_window(tmp_path / 'out', md.iloc[0]).astype(np.float64)
    r = mne.io.read_raw(raw, verbose='error')
    x = r.get_data(picks=[r.ch_names.index('EEG ' + c.replace('T7', 'T3').replace('T8', 'T4').replace('P7', 'T5').replace('P8', 'T6'))
                          for c in MathPreprocessor.channels])
    assert np.abs(x.mean(1)).min() > 0.05                            # it is DC-coupled: offsets of 0.1-0.22 V
    xw = x[:, :1024] - x.mean(1, keepdims=True)
    f, t, P = ss.spectrogram(xw, fs=128, window='hann', nperseg=256, noverlap=256 - 32, detrend=False, scaling='density', mode='psd')
    ref = 10 * np.log10(np.maximum(P, 1e-20))
    sig = ref > -150                      # the EEG; weaker bins (down to the EDF's quantisation) differ by float32 STFT rounding
    err = np.abs(got - ref)[sig]
    assert sig.mean() > 0.5 and np.percentile(err, 99.9) < 0.1 and err.max() < 0.35   # float16 near -150 dB rounds by 0.06
    # control: the former path (float32, mean kept) lets the 0.2 V offset leak into every bin
    old = 10 * np.log10(np.maximum(psd_stft(x[:, :1024].astype(np.float32), 128, 256, 256, 32).numpy().astype(np.float64), 1e-20))
    assert np.abs(old - ref)[sig].max() > 10


@needs_real
def test_real_eeglab_recording_in_a_ds004584_folder(tmp_path):
    "The real EEGLAB file in the BIDS layout with the real participants.tsv: labels present, all 19 channels."
    from signal_lab.eeg.sources import ParkinsonsPreprocessor
    e = tmp_path / 'pd' / 'sub-001' / 'eeg'; e.mkdir(parents=True)
    shutil.copy(REAL / 'eeglab' / 'test_raw_chanloc.set', e / 'sub-001_task-Rest_eeg.set')
    shutil.copy(REAL / 'eeglab' / 'test_raw_chanloc.fdt', e / 'test_raw_chanloc.fdt')   # the .set names its data file
    shutil.copy(REAL / 'meta' / 'ds004584_participants.tsv', tmp_path / 'pd' / 'participants.tsv')
    pre = ParkinsonsPreprocessor(root=tmp_path / 'pd', output=tmp_path / 'out')
    pre.sp.chunk_seconds = 2.0; pre.sp.n_fft = pre.sp.win_length = 128; pre.sp.hop_length = 16
    s = pre.run(progress=False)
    assert s['n_failed'] == 0 and s['n_windows'] == 1, s['errors']
    md = pd.read_csv(tmp_path / 'out' / 'metadata.csv')
    assert md.health[0] == 'PD' and md.gender[0] == 'M' and md.age[0] == 80 and s['missing_labels'] == {}


def test_mit_fixture_quirks_through_the_cli(tmp_path):
    from signal_lab.eeg.sources import make_mit_fixture
    make_mit_fixture(tmp_path / 'raw' / 'mit', 2, 2, 24, unlisted=True)
    cfg = tmp_path / 'eeg.toml'
    cfg.write_text('data_root = "raw"\noutput_root = "out"\n[datasets.mit]\nroot = "mit"\n')   # relative to this file
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'mit', cwd='/')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    line = next(l for l in r.stderr.splitlines() if 'chb02_02.edf' in l)
    assert line.count('chb02_02.edf') == 1 and 'not listed in chb02-summary.txt' in line       # the path once
    s = json.loads((tmp_path / 'out' / 'mit' / 'run_summary.json').read_text())
    assert s['n_recordings'] == 8 and s['n_failed'] == 1 and s['missing_labels']['age']['subject_ids'] == ['chb24']
    assert 'warning: mit: label gender is missing' in r.stderr
    md = pd.read_csv(tmp_path / 'out' / 'mit' / 'metadata.csv', dtype={'subject_id': str})
    assert set(md.subject_id) == {'chb01', 'chb02', 'chb24'} and md[md.subject_id == 'chb01'].case.nunique() == 2


def test_cnt_sample_format_is_checked(tmp_path):
    "An int16 .cnt read as int32 would silently lose half its length: it fails, naming the value to set."
    from cnt_writer import write_cnt
    from signal_lab.eeg.synthetic import synthetic_eeg
    from signal_lab.eeg.sources import SEEDPreprocessor, cnt_layout
    from signal_lab.eeg.preprocess import MathPreprocessor
    from signal_lab.eeg.settings import load_settings
    root = tmp_path / 'seed'; root.mkdir()
    x, _ = synthetic_eeg(19, 40, 200.0, seed=1)
    write_cnt(root / '3_1_20180501.cnt', x, [c.upper() for c in MathPreprocessor.channels], 200.0, n_bytes=2)
    L = cnt_layout(root / '3_1_20180501.cnt'); assert L['data_bytes'] == 19 * 2 * L['n_samples']
    (root / 'trial_info.csv').write_text('session,trial,start_s,end_s,emotion\n1,1,2,30,happy\n')
    bad = SEEDPreprocessor(load_settings(overrides=['datasets.seed.data_format=int32']), root=root, output=tmp_path / 'o1').run(progress=False)
    assert bad['n_failed'] == 1 and 'set data_format = "int16"' in bad['errors'][0]['error']
    ok = SEEDPreprocessor(load_settings(overrides=['datasets.seed.data_format=int16']), root=root, output=tmp_path / 'o2').run(progress=False)
    assert ok['n_failed'] == 0 and ok['n_windows'] == 3 and set(ok['missing_labels']) == {'gender', 'age'}


def test_too_few_subjects_for_the_splits_is_said(tmp_path):
    from signal_lab.eeg.sources import make_mit_fixture
    make_mit_fixture(tmp_path / 'raw' / 'mit', 2, 1, 16, quirks=False)
    cfg = tmp_path / 'eeg.toml'; cfg.write_text('data_root = "raw"\noutput_root = "out"\n[datasets.mit]\nroot = "mit"\n')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'mit', check=True)
    assert 'warning: mit: split val has no windows' in r.stderr or 'warning: mit: split test has no windows' in r.stderr, r.stderr
    s = json.loads((tmp_path / 'out' / 'mit' / 'run_summary.json').read_text())
    assert sorted(s['subjects_per_split'].values()).count(0) >= 1


def test_seed_as_published_uses_the_documented_trials(tmp_path):
    "No trial_info.csv: session 1's first clip (30-102 s, happy) comes from the built-in SEED-V table."
    from cnt_writer import write_cnt
    from signal_lab.eeg.synthetic import synthetic_eeg
    from signal_lab.eeg.preprocess import MathPreprocessor
    root = tmp_path / 'raw' / 'seed_v'; root.mkdir(parents=True)
    x, _ = synthetic_eeg(19, 110, 1000.0, seed=3)
    write_cnt(root / '4_1_20180805.cnt', x, [c.upper() for c in MathPreprocessor.channels], 1000.0)
    (root / 'participants_info.csv').write_text('Subject,Gender,Age\n4,M,22\n')
    cfg = tmp_path / 'eeg.toml'; cfg.write_text('data_root = "raw"\noutput_root = "out"\n')
    r = cli('eeg', 'preprocess', '--config', cfg, '--datasets', 'seed', check=True)
    md = pd.read_csv(tmp_path / 'out' / 'seed' / 'metadata.csv')
    assert len(md) == 9 and set(md.emotion) == {'happy'} and (md.gender == 'M').all() and (md.age == 22).all()
    assert md.start_sample.min() == 30_000 and md.stop_sample.max() <= 102_000 and 'label' not in r.stderr   # one subject: only split warnings
