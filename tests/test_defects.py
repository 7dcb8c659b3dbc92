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
    cli('defects', 'generate', '--output', out, '--num-images', '10', '--seed', '1', check=True)
    before = digest(out)
    assert_user_error(cli('defects', 'generate', '--output', out, '--num-images', '10'), 'pass --overwrite')
    p = subprocess.Popen([sys.executable, '-m', 'signal_lab.defects.generate', '--output', str(out), '--num-images', '3000',
                          '--seed', '2', '--overwrite', '--workers', '2'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        st = list(tmp_path.glob('.ds.staging-*'))
        if st and sum(1 for _ in st[0].rglob('*.png')) > 40: break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    assert digest(out) == before      # the old dataset is untouched
    # the next run cleans the stale staging folder and replaces the dataset once complete
    cli('defects', 'generate', '--output', out, '--num-images', '12', '--seed', '2', '--overwrite', check=True)
    assert not list(tmp_path.glob('.ds.staging-*'))
    assert len(list(csv.DictReader(open(out / 'metadata.csv')))) == 12


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
    cli('defects', 'generate', '--output', tmp_path / 'd', '--num-images', '10', check=True)
    cli('defects', 'preview', tmp_path / 'd', '--output', tmp_path / 'p.png', check=True)
    assert (tmp_path / 'p.png').stat().st_size > 10000
    assert_user_error(cli('defects', 'preview', tmp_path, '--output', tmp_path / 'q.png'), 'no metadata.csv')
