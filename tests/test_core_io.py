import json, os, signal, subprocess, sys, textwrap, time, warnings
from pathlib import Path
import numpy as np
import pytest
from signal_lab.core.io import write_text, write_npz, JsonlWriter, read_jsonl, file_hash, atomic_write
from signal_lab.core.config import UserError


def test_sigkill_mid_write_keeps_old_file(tmp_path):
    target = tmp_path / 'data.bin'
    write_text(target, 'old content')
    ready = tmp_path / 'ready'
    code = textwrap.dedent(f'''
        import time
        from pathlib import Path
        from signal_lab.core.io import atomic_write
        with atomic_write({str(target)!r}) as f:
            f.write(b'new partial ' * 100000); f.flush()
            Path({str(ready)!r}).write_text('1')
            time.sleep(60)
    ''')
    p = subprocess.Popen([sys.executable, '-c', code])
    for _ in range(600):
        if ready.exists(): break
        time.sleep(0.05)
    assert ready.exists(), 'writer never got going'
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL
    assert target.read_text() == 'old content'
    # the orphan temp file is hidden and a later write still works
    write_text(target, 'next')
    assert target.read_text() == 'next'


def test_torn_jsonl_line_is_skipped_and_appending_repairs(tmp_path):
    log = tmp_path / 'm.jsonl'
    with JsonlWriter(log, fsync_every=2) as w:
        for i in range(5): w.write({'i': i, 'x': [i] * 3})
    raw = log.read_bytes()
    log.write_bytes(raw + b'{"i": 5, "x": [5, ')  # died mid-line
    with pytest.warns(UserWarning, match='torn'):
        assert [r['i'] for r in read_jsonl(log)] == list(range(5))
    with pytest.warns(UserWarning, match='torn'):
        with JsonlWriter(log) as w: w.write({'i': 5})
    assert [r['i'] for r in read_jsonl(log)] == list(range(6))


def test_corrupt_middle_line_is_an_error(tmp_path):
    log = tmp_path / 'm.jsonl'
    log.write_text('{"a":1}\n{oops\n{"a":3}\n')
    with pytest.raises(UserError, match=r'm.jsonl: line 2'):
        read_jsonl(log)


def test_npz_is_deterministic_and_loadable(tmp_path):
    a = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    write_npz(tmp_path / 'a.npz', x=a, y=np.arange(3))
    time.sleep(1.1)  # numpy's own savez would stamp a different time here
    write_npz(tmp_path / 'b.npz', x=a, y=np.arange(3))
    assert file_hash(tmp_path / 'a.npz') == file_hash(tmp_path / 'b.npz')
    with np.load(tmp_path / 'a.npz') as z:
        np.testing.assert_array_equal(z['x'], a)


def test_exception_inside_atomic_write_leaves_no_temp(tmp_path):
    t = tmp_path / 'x.json'
    with pytest.raises(ZeroDivisionError):
        with atomic_write(t, 'w') as f:
            f.write('{'); 1 / 0
    assert list(tmp_path.iterdir()) == []
