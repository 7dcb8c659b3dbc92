import subprocess, sys
import pytest
from conftest import cli, assert_user_error


def test_import_does_not_pull_heavy_packages():
    code = ("import sys, signal_lab, signal_lab.cli, signal_lab.core.config, signal_lab.core.parallel, "
            "signal_lab.core.splits, signal_lab.core.manifest, signal_lab.core.runs\n"
            "bad = [m for m in ('torch', 'mne', 'diffusers', 'disba', 'pylops', 'sklearn') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, '-c', code], check=True)


def test_help_does_not_import_torch():
    code = ("import sys\nfrom signal_lab.cli import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "assert 'torch' not in sys.modules")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'quickstart' in r.stdout and 'doctor' in r.stdout


def test_user_errors_exit_2_with_one_line():
    assert_user_error(cli('frobnicate'), "invalid choice: 'frobnicate'")
    assert_user_error(cli('quickstart', '--seed', 'x'), 'invalid int value')


def test_doctor():
    r = cli('doctor', '--no-gpu', check=True)
    assert 'versions:' in r.stdout and 'caches:' in r.stdout and 'numpy' in r.stdout


def test_quickstart_end_to_end(tmp_path):
    r = cli('quickstart', '--out', tmp_path / 'qs', check=True)
    rep = (tmp_path / 'qs' / 'REPORT.md').read_text()
    assert '## Dispersion' in rep and 'valid' in rep
    assert (tmp_path / 'qs' / 'dispersion' / 'preview.png').stat().st_size > 10000
    assert '## Defects' in rep and (tmp_path / 'qs' / 'defects' / 'preview.png').stat().st_size > 10000
    assert '## Active learning' in rep and '| random |' in rep
    assert (tmp_path / 'qs' / 'al' / 'learning_curves.png').stat().st_size > 10000
    assert (tmp_path / 'qs' / 'al' / 'al_experiments' / 'summary.csv').exists()
    assert '## EEG' in rep and 'parkinsons: 9 recordings' in rep
    assert (tmp_path / 'qs' / 'eeg' / 'spectrograms.png').stat().st_size > 10000
