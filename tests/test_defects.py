import csv, hashlib, json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import cli, assert_user_error


def digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob('*')) if p.is_file() and p.name != 'summary.json'}


def test_same_seed_any_worker_count_is_byte_identical(tmp_path):
    for w in ('1', '2'):
        cli('defects', 'generate', '--output', tmp_path / f'w{w}', '--num-images', '30', '--seed', '5', '--workers', w, check=True)
    a, b = digest(tmp_path / 'w1'), digest(tmp_path / 'w2')
    assert a == b
    assert sum(k.endswith('.png') for k in a) == 60   # 30 images + 30 masks
    rows = list(csv.DictReader(open(tmp_path / 'w1' / 'metadata.csv')))
    assert len(rows) == 30 and {'file_name', 'split', 'label', 'defect_snr', 'area_px', 'bbox', 'seed', 'index'} <= set(rows[0])
    for r in rows:
        assert (tmp_path / 'w1' / r['file_name']).exists()
        assert r['file_name'].startswith(f"{r['split']}/{r['label']}/img_")
        if r['label'] != 'none': assert float(r['defect_snr']) >= 0.8 and int(r['area_px']) > 0
    s = json.loads((tmp_path / 'w1' / 'summary.json').read_text())
    assert sum(sum(c.values()) for c in s['counts'].values()) == 30 and 'versions' in s


def test_existing_output_needs_overwrite_and_sigkill_keeps_old(tmp_path):
    out = tmp_path / 'ds'
    cli('defects', 'generate', '--output', out, '--num-images', '25', '--seed', '1', check=True)
    before = digest(out)
    assert_user_error(cli('defects', 'generate', '--output', out, '--num-images', '25'), 'pass --overwrite')
    p = subprocess.Popen([sys.executable, '-m', 'signal_lab.defects.generate', '--output', str(out), '--num-images', '3000',
                          '--seed', '2', '--overwrite', '--workers', '2'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        st = list(tmp_path.glob('.ds.staging'))
        if st and sum(1 for _ in st[0].rglob('*.png')) > 40: break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    assert digest(out) == before      # the old dataset is untouched
    # the next run (other settings, no --resume) cleans the stale staging folder and replaces the dataset once complete
    cli('defects', 'generate', '--output', out, '--num-images', '26', '--seed', '2', '--overwrite', check=True)
    assert not list(tmp_path.glob('.ds.staging*'))
    assert len(list(csv.DictReader(open(out / 'metadata.csv')))) == 26


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    "A killed run leaves its finished images staged; `--resume` keeps them, makes the rest, and ends as an uninterrupted run."
    n, args = 240, ['--num-images', '240', '--seed', '3']
    cli('defects', 'generate', '--output', tmp_path / 'ref', *args, check=True)
    out, rows = tmp_path / 'ds', tmp_path / '.ds.staging' / '.rows'
    p = subprocess.Popen([sys.executable, '-m', 'signal_lab.defects.generate', '--output', str(out), *args, '--workers', '2'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (rows.is_dir() and len(list(rows.glob('0*.json'))) >= 30): time.sleep(0.02)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    done = len(list(rows.glob('0*.json')))
    assert 30 <= done < n and not out.exists(), done
    r = cli('defects', 'generate', '--output', out, *args, '--resume', check=True)
    assert f'({done} already done)' in r.stdout, r.stdout
    assert digest(out) == digest(tmp_path / 'ref')
    assert not list(tmp_path.glob('.ds.staging*')) and not list(out.rglob('.rows'))


@pytest.mark.parametrize('cfg,msg', [
    ({'classes': ['none', 'dent']}, "classes: 'dent' is not allowed"),
    ({'scratch': {'size': [0.5, 0.2]}}, 'scratch.size: range min 0.5 > max 0.2'),
    ({'stain': {'contrast': [0.0, 2.0]}}, 'stain.contrast: 0.0 is out of range; allowed: > 0'),
], ids=['unknown class', 'size min>max', 'contrast<=0'])
def test_bad_config_exits_2(tmp_path, cfg, msg):
    f = tmp_path / 'c.json'; f.write_text(json.dumps(cfg))
    assert_user_error(cli('defects', 'generate', '--config', f, '--output', tmp_path / 'o', '--num-images', '5'), str(f), msg)
    assert not (tmp_path / 'o').exists()


def test_preview(tmp_path):
    cli('defects', 'generate', '--output', tmp_path / 'd', '--num-images', '25', check=True)
    cli('defects', 'preview', tmp_path / 'd', '--output', tmp_path / 'p.png', check=True)
    assert (tmp_path / 'p.png').stat().st_size > 10000
    cli('defects', 'preview', tmp_path / 'd', '--output', tmp_path / 's.png', '--mask', 'side', '--split', 'train', check=True)
    assert_user_error(cli('defects', 'preview', tmp_path / 'd', '--output', tmp_path / 'q.png', '--mask', 'red'), '--mask', "invalid choice: 'red'")
    assert_user_error(cli('defects', 'preview', tmp_path, '--output', tmp_path / 'q.png'), 'no metadata.csv')


def test_train_and_embed_smoke_with_human_label_override(tmp_path):
    data = tmp_path / 'd'
    cli('defects', 'generate', '--output', data, '--num-images', '40', '--seed', '3', check=True)
    import csv as _csv
    rows = list(_csv.DictReader(open(data / 'metadata.csv')))
    tr = [r for r in rows if r['split'] == 'train']
    hl = tmp_path / 'human_labels.csv'
    hl.write_text('file_name,label\n' + f"{tr[0]['file_name']},stain\n")
    r = cli('defects', 'train', '--data-root', data, '--epochs', '2', '--batch-size', '8', '--out', tmp_path / 'clf', '--human-labels', hl, check=True)
    epochs = [l for l in r.stdout.splitlines() if l.startswith('epoch ')]
    assert [l.split()[1] for l in epochs] == ['1/2', '2/2'] and 'val loss' in epochs[0], r.stdout   # one line per epoch
    assert 'test acc' in r.stdout and 'nan' not in r.stdout
    s = json.loads((tmp_path / 'clf' / 'training_run_summary.json').read_text())
    assert s['label_sources'] == {'generated': len(tr) - 1, 'human': 1}
    assert 0 <= s['test_acc'] <= 1 and len(s['confusion_matrix']) == 5
    sc = list(_csv.DictReader(open(tmp_path / 'clf' / 'test_uncertainty_scores.csv')))
    assert len(sc) == sum(r['split'] == 'test' for r in rows)
    for row in sc:
        p = [float(row[f'p_{c}']) for c in ('none', 'scratch', 'pit_corrosion', 'stain', 'crack')]
        assert abs(sum(p) - 1) < 1e-4 and abs(float(row['least_confidence']) - (1 - max(p))) < 1e-5
    assert len(list(_csv.DictReader(open(tmp_path / 'clf' / 'training_metrics.csv')))) == 2
    cli('defects', 'embed', '--data-root', data, '--epochs', '1', '--emb-dim', '16', '--out', tmp_path / 'emb', check=True)
    import numpy as np
    for split in ('train', 'val', 'test'):
        with np.load(tmp_path / 'emb' / 'embeddings' / f'{split}_embeddings.npz') as z:
            assert z['embeddings'].shape == (sum(r['split'] == split for r in rows), 16)
        assert (tmp_path / 'emb' / 'embeddings' / f'{split}_embeddings_index.csv').exists()


@pytest.mark.parametrize('flags,needles', [
    (['--epochs', '0'], ['argument --epochs', 'expected an integer >= 1']),
    (['--batch-size', '0'], ['argument --batch-size', '>= 1']),
    (['--lr', '-1'], ['argument --lr', 'expected a number > 0 and <= 1, got -1']),
    (['--lr', 'fast'], ['argument --lr', "got 'fast'"]),
    (['--seed', '-5'], ['argument --seed', '>= 0']),
], ids=['epochs 0', 'batch 0', 'lr -1', 'lr text', 'seed<0'])
def test_numeric_flags_are_validated(tmp_path, flags, needles):
    "Each bad number is one line and exit 2 naming the flag and the allowed range, before any work starts."
    assert_user_error(cli('defects', 'train', '--data-root', tmp_path / 'missing', *flags), *needles)


def test_too_small_for_its_splits_is_refused(tmp_path):
    assert_user_error(cli('defects', 'generate', '--output', tmp_path / 'd', '--num-images', '3'),
                      '--num-images 3', 'val, test would be empty', 'use --num-images >= 21')
    assert not (tmp_path / 'd').exists()
    r = cli('defects', 'generate', '--output', tmp_path / 'e', '--num-images', '21', check=True)
    assert "warning: split test has no 'crack' image" in r.stderr   # usable, but said plainly


def test_layout_loads_with_huggingface_datasets(tmp_path):
    "The real `datasets` library reads every split, images and masks, and labels as a ClassLabel."
    datasets = pytest.importorskip('datasets', reason='pip install -e ".[dev]" installs datasets')
    import numpy as np
    data = tmp_path / 'd'
    cli('defects', 'generate', '--output', data, '--num-images', '30', '--seed', '4', check=True)
    rows = list(csv.DictReader(open(data / 'metadata.csv')))
    ds = datasets.load_dataset('imagefolder', data_dir=str(data), cache_dir=str(tmp_path / 'cache'))
    assert {k: len(v) for k, v in ds.items()} == {s: sum(r['split'] == ('val' if s == 'validation' else s) for r in rows)
                                                   for s in ('train', 'validation', 'test')}
    for split in ds:
        for row in ds[split]:
            img, mask = np.asarray(row['image']), np.asarray(row['mask'])
            assert img.shape == mask.shape == (256, 256)
            assert (mask.max() > 0) == (row['label'] != 'none'), row['label']
    from signal_lab.defects.generate import load_hf_dataset
    hf = load_hf_dataset(data, cache_dir=str(tmp_path / 'cache2'))
    names = hf['train'].features['label'].names
    assert names == ['none', 'scratch', 'pit_corrosion', 'stain', 'crack']
    got = sorted(names[l] for l in hf['train']['label'])
    assert got == sorted(r['label'] for r in rows if r['split'] == 'train')


def test_label_errors_name_the_file_that_holds_the_label(tmp_path, capsys):
    "#35 item 6: no label column, and a bad label in --human-labels, each blamed on the file that is actually wrong."
    import pandas as pd
    from signal_lab.cli import main
    assert main(['defects', 'generate', '--output', str(tmp_path / 'ds'), '--num-images', '25', '--seed', '1']) == 0
    md = pd.read_csv(tmp_path / 'ds' / 'metadata.csv', dtype=str, keep_default_na=False)
    capsys.readouterr()
    hl = tmp_path / 'hl.csv'; pd.DataFrame(dict(file_name=[md.file_name[md.split == 'train'].iloc[0]], label=['wormhole'])).to_csv(hl, index=False)
    assert main(['defects', 'train', '--data-root', str(tmp_path / 'ds'), '--human-labels', str(hl), '--epochs', '1', '--out', str(tmp_path / 'o')]) == 2
    err = capsys.readouterr().err
    assert err.startswith('signal-lab') and f"{hl}: label 'wormhole'" in err and 'metadata.csv' not in err, err
    md.drop(columns='label').to_csv(tmp_path / 'ds' / 'metadata.csv', index=False)
    assert main(['defects', 'train', '--data-root', str(tmp_path / 'ds'), '--human-labels', str(tmp_path / 'none.csv'), '--epochs', '1', '--out', str(tmp_path / 'o2')]) == 2
    err = capsys.readouterr().err
    assert 'metadata.csv: has no label column' in err and 'none.csv' in err, err
