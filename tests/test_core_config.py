from dataclasses import dataclass
import pytest
from signal_lab.core.config import ConfigError, Invalid, cfield, load_config


@dataclass
class Grid:
    fmin: float = cfield(1.0, lo=0, lo_open=True)
    fmax: float = cfield(50.0, lo=0, lo_open=True)
    n: int = cfield(64, lo=2, hi=4096)
    def validate(self):
        if self.fmin >= self.fmax: raise Invalid('fmin', f'must be < fmax ({self.fmax})')


@dataclass
class Cfg:
    wave: str = cfield('rayleigh', choices=['rayleigh', 'love'])
    thickness: tuple[float, float] = cfield((0.01, 0.2), lo=0, lo_open=True)
    grid: Grid = cfield(Grid)
    debug: bool = False


CASES = [
    ('unknown key', 'grid:\n  nn: 3\n', 'grid.nn', "unknown key (did you mean 'n'?); allowed: fmin, fmax, n"),
    ('unknown section', 'gird: {}\n', 'gird', 'unknown key'),
    ('wrong type', 'grid:\n  n: many\n', 'grid.n', "expected an integer, got str 'many'"),
    ('float for int', 'grid:\n  n: 2.5\n', 'grid.n', 'expected an integer'),
    ('bool for number', 'grid:\n  fmin: true\n', 'grid.fmin', 'expected a number, got bool'),
    ('out of range', 'grid:\n  fmin: -1\n', 'grid.fmin', 'out of range; allowed: > 0'),
    ('above max', 'grid:\n  n: 10000\n', 'grid.n', 'allowed: >= 2 and <= 4096'),
    ('bad choice', 'wave: sh\n', 'wave', "allowed: one of 'rayleigh', 'love'"),
    ('min > max', 'thickness: [0.5, 0.1]\n', 'thickness', 'range min 0.5 > max 0.1'),
    ('range not a pair', 'thickness: [0.5]\n', 'thickness', 'expected 2 values'),
    ('negative range end', 'thickness: [-0.1, 0.1]\n', 'thickness', 'out of range'),
    ('cross-field', 'grid:\n  fmin: 60\n', 'grid.fmin', 'must be < fmax'),
    ('section not mapping', 'grid: 3\n', 'grid', 'expected a mapping'),
    ('bool field', 'debug: yes please\n', 'debug', 'expected true or false'),
]


@pytest.mark.parametrize('name,text,key,msg', CASES, ids=[c[0] for c in CASES])
def test_error_names_file_key_and_allowed(tmp_path, name, text, key, msg):
    f = tmp_path / 'run.yaml'
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(Cfg, f)
    assert e.value.file == str(f) and e.value.key == key
    assert msg in str(e.value)
    assert str(e.value).startswith(f'{f}: {key}: ')


def test_parse_errors_and_formats(tmp_path):
    (tmp_path / 'a.yaml').write_text('grid: [unclosed\n')
    with pytest.raises(ConfigError, match='cannot parse'): load_config(Cfg, tmp_path / 'a.yaml')
    (tmp_path / 'a.ini').write_text('x=1')
    with pytest.raises(ConfigError, match='unknown config format'): load_config(Cfg, tmp_path / 'a.ini')
    with pytest.raises(ConfigError, match='config file not found'): load_config(Cfg, tmp_path / 'none.toml')
    (tmp_path / 'l.json').write_text('[1, 2]')
    with pytest.raises(ConfigError, match='top level must be a mapping'): load_config(Cfg, tmp_path / 'l.json')


def test_overlay_env_and_overrides_name_their_source(tmp_path, monkeypatch):
    (tmp_path / 'default.toml').write_text('wave = "love"\n[grid]\nn = 16\n')
    (tmp_path / 'dev.toml').write_text('[grid]\nn = 1\n')
    with pytest.raises(ConfigError) as e:
        load_config(Cfg, tmp_path / 'default.toml', overlays=[tmp_path / 'dev.toml'])
    assert e.value.file == str(tmp_path / 'dev.toml') and e.value.key == 'grid.n'
    with pytest.raises(ConfigError) as e:
        load_config(Cfg, tmp_path / 'default.toml', overrides=['grid.fmax=-3'])
    assert e.value.file == '<command line>' and e.value.key == 'grid.fmax'
    monkeypatch.setenv('SIGNAL_LAB_CONFIG', str(tmp_path / 'default.toml'))
    c = load_config(Cfg, env_var='SIGNAL_LAB_CONFIG', overrides={'grid': {'fmin': 2}})
    assert (c.wave, c.grid.n, c.grid.fmin) == ('love', 16, 2.0)
