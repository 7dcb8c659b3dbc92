"""The install: exact pins, a lock that matches them, `signal-lab doctor` that flags a wrong pair and `--check` that names
a broken package, long commands that refuse to start in a broken environment, and README/docs that agree."""
import json, os, re, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT, cli, assert_user_error


def _settings_reqs():
    import shlex
    from configparser import ConfigParser
    c = ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini')
    return {k: shlex.split(v) for k, v in c['DEFAULT'].items() if k.endswith('requirements')}   # as setup.py reads them


def test_torch_family_pinned_exactly_everywhere():
    "A wildcard once paired torch 2.11.0 with a torchaudio that does not load: every mention is an exact pin, the same one."
    from packaging.requirements import Requirement
    pins = {}
    for key, reqs in _settings_reqs().items():
        for r in map(Requirement, reqs):
            if r.name in ('torch', 'torchaudio', 'torchvision'):
                spec = str(r.specifier)
                assert spec.startswith('==') and '*' not in spec and ',' not in spec, (key, str(r))
                pins.setdefault(r.name, set()).add(spec)
    assert {k: len(v) for k, v in pins.items()} == {'torch': 1, 'torchaudio': 1, 'torchvision': 1}, pins
    for doc in ('README.md', 'nbs/index.ipynb'):
        text = (ROOT / doc).read_text()
        assert not re.search(r'torch(audio|vision)?==[0-9.]*\*', text), f'{doc} names a wildcard torch pin'


def test_constraints_pin_every_package_and_agree_with_settings():
    "constraints.txt: one exact version per package, covering every requirement of [dev], never contradicting settings.ini."
    from packaging.requirements import Requirement
    norm = lambda n: re.sub(r'[-_.]+', '-', n).lower()
    lines = [l for l in (ROOT / 'constraints.txt').read_text().splitlines() if l.strip() and not l.startswith('#')]
    lock = {}
    for l in lines:
        r = Requirement(l)
        assert str(r.specifier).startswith('==') and len(r.specifier) == 1, l
        assert norm(r.name) not in lock, f'{r.name} locked twice'
        lock[norm(r.name)] = next(iter(r.specifier)).version
    for key, reqs in _settings_reqs().items():
        for x in reqs:
            r = Requirement(x)
            if r.marker is not None and not r.marker.evaluate(): continue
            assert norm(r.name) in lock, f'{key}: {r.name} is not in constraints.txt (refresh it: bash .ci/lock)'
            assert r.specifier.contains(lock[norm(r.name)], prereleases=True), f'{key} asks {r}, constraints.txt has {lock[norm(r.name)]}'


def _fake_torchaudio(root:Path, version:str|None=None) -> Path:
    "A torchaudio that fails to load its library as the mismatched 2.11.1 did (optionally with that version's metadata), first on the path."
    (root / 'torchaudio').mkdir(parents=True)
    (root / 'torchaudio' / '__init__.py').write_text("raise OSError('libtorchaudio.so: undefined symbol: torch_exception_get_what_without_backtrace')\n")
    if version:
        d = root / f'torchaudio-{version}.dist-info'; d.mkdir()
        (d / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: torchaudio\nVersion: {version}\n')
    return root


def test_doctor_flags_a_wrong_torchaudio_without_importing_it(tmp_path):
    "The pair the resolver once picked (torch 2.11.0 + torchaudio 2.11.1): the plain doctor names it from the metadata alone."
    assert cli('doctor', '--no-gpu').returncode == 0
    env = {'PYTHONPATH': str(_fake_torchaudio(tmp_path / 'broken', '2.11.1'))}
    r = cli('doctor', '--no-gpu', env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r'torchaudio\s+2\.11\.1\s+<- wrong version', r.stdout), r.stdout
    assert 'BROKEN torchaudio 2.11.1 (torch 2.11.0): signal_lab[' in r.stderr and 'needs torchaudio==2.11.0' in r.stderr, r.stderr


@pytest.mark.slow   # imports every module twice (about 20 s); fast twins: the test above, the stand-in example in nbs/07_core.doctor.ipynb
def test_doctor_check_passes_here_and_names_a_broken_torchaudio(tmp_path):
    r = cli('doctor', '--check', '--no-gpu')
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'doctor --check: OK' in r.stdout and 'modules imported' in r.stdout
    env = {'PYTHONPATH': str(_fake_torchaudio(tmp_path / 'broken', '2.11.1'))}
    r = cli('doctor', '--check', '--no-gpu', env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    broken = [l for l in r.stderr.splitlines() if l.startswith('BROKEN')]
    assert len(broken) == 1, r.stderr                   # one line per broken package, however many modules touch it
    line = broken[0]
    for needle in ('torchaudio 2.11.1 (torch 2.11.0)', 'needs torchaudio==2.11.0', 'undefined symbol', 'fix: pip install', 'constraints.txt'):
        assert needle in line, (needle, line)


def test_long_commands_refuse_to_start_in_a_broken_environment(tmp_path):
    "codec train --smoke would train for minutes before touching torchaudio: it stops at once, one line, nothing written."
    env = {'PYTHONPATH': str(_fake_torchaudio(tmp_path / 'broken'))}
    r = cli('codec', 'train', '--smoke', '--runs', tmp_path / 'runs', env=env, timeout=120)
    assert_user_error(r, 'codec train: the environment is broken', 'torchaudio', 'undefined symbol', 'fix:')
    assert not (tmp_path / 'runs').exists()
    r = cli('quickstart', '--out', tmp_path / 'qs', env=env, timeout=120)
    assert_user_error(r, 'quickstart: the environment is broken', 'torchaudio')
    assert not (tmp_path / 'qs').exists()


def _readme_cmd(marker):
    m = re.search(rf'<!-- {marker} -->\n```sh\n(.*)\n', (ROOT / 'README.md').read_text())
    assert m, marker
    return m.group(1)


def test_readme_commands_are_ci_and_docs_commands():
    "The README's install and test commands are what .ci/run runs and what the docs home page shows."
    install, fast, slow = (_readme_cmd(m) for m in ('install-command', 'test-command', 'slow-test-command'))
    assert install == 'pip install -e ".[dev]" -c constraints.txt'
    assert '-m "not slow"' in fast and '--flags slow' not in fast and '-m slow' in slow and '--flags slow' in slow
    ci = (ROOT / '.ci' / 'run').read_text()
    for m in ('install-command', 'test-command', 'slow-test-command'): assert m in ci
    assert 'doctor --check' in ci
    idx = ''.join(''.join(c['source']) for c in json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())['cells'])
    for cmd in (install, fast, slow): assert cmd in idx, cmd
