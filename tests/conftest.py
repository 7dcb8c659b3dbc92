import os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    config.addinivalue_line('markers', 'gpu: needs a CUDA GPU (skipped on CPU-only machines)')
    config.addinivalue_line('markers', 'slow: long-running end-to-end test')


def _has_cuda():
    try:
        import torch
        return torch.cuda.is_available()
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    if any('gpu' in it.keywords for it in items) and not _has_cuda():
        skip = pytest.mark.skip(reason='needs a CUDA GPU')
        for it in items:
            if 'gpu' in it.keywords: it.add_marker(skip)


def cli(*args, cwd=None, env=None, timeout=600, check=False):
    "Run the installed `signal-lab` console script; return CompletedProcess with text output."
    exe = shutil.which('signal-lab', path=os.path.dirname(sys.executable)) or shutil.which('signal-lab')
    e = dict(os.environ, **(env or {}))
    r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=e, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f'signal-lab {" ".join(map(str, args))} exited {r.returncode}\n{r.stdout}\n{r.stderr}')
    return r


def cli_here(*args):
    "The same `signal-lab` entry point, in this process (no interpreter start and heavy imports per call); a CompletedProcess-like result."
    import contextlib, io, types
    from signal_lab.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: rc = main([str(a) for a in args])
        except SystemExit as e: rc = e.code if isinstance(e.code, int) else 1
    return types.SimpleNamespace(returncode=rc, stdout=out.getvalue(), stderr=err.getvalue())


def assert_user_error(r, *needles):
    "Exit code 2, exactly one line on stderr, no traceback, and each needle in it."
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert 'Traceback' not in r.stderr
    for n in needles: assert n in lines[0], (n, lines[0])


def tree(root):
    "{relative path: sha256} of every file under `root`: hash an output tree before and after a command that must not change it."
    import hashlib
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(root).rglob('*')) if p.is_file()}
