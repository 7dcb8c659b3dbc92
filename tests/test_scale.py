"""Every data builder on a Dask cluster: the same bytes as one local worker, workers in another working
directory, a worker killed mid-run, the client killed mid-run, and a worker that cannot see the input.

The cluster is real: a scheduler in this process and `dask worker` processes started from the command line
in a folder of their own (so a relative path that reached a worker would land in the wrong place)."""
import csv, hashlib, io, json, os, signal, subprocess, sys, time
from pathlib import Path
from types import SimpleNamespace
import numpy as np
import pytest
from conftest import cli, assert_user_error

pytest.importorskip('distributed', reason='the Dask tests need signal_lab[scale]')

TIMING = {'seconds', 'created', 'images_per_second', 'workers', 'elapsed_seconds', 'fit_seconds', 'query_seconds'}


def digest(root):
    """{relative path: sha256} of an output tree; wall-clock fields (JSON keys and CSV columns named in TIMING or
    holding 'seconds') are left out, every other byte counts."""
    out = {}
    for p in sorted(Path(root).rglob('*')):
        if not p.is_file(): continue
        b = p.read_bytes()
        if p.suffix == '.json':
            d = json.loads(b)
            if isinstance(d, dict): b = json.dumps({k: v for k, v in d.items() if k not in TIMING}, sort_keys=True).encode()
        elif p.suffix == '.csv' and b:
            rows = list(csv.reader(io.StringIO(b.decode())))
            keep = [i for i, c in enumerate(rows[0]) if c not in TIMING and 'seconds' not in c]
            b = '\n'.join(','.join(r[i] for i in keep if i < len(r)) for r in rows).encode()
        out[p.relative_to(root).as_posix()] = hashlib.sha256(b).hexdigest()
    return out


def _start_workers(address, n, cwd, *wrap):
    cmd = [*wrap, sys.executable, '-m', 'dask', 'worker', address, '--nworkers', str(n), '--nthreads', '1', '--no-dashboard',
           '--local-directory', str(cwd / 'dask-scratch')]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    "A scheduler here and two single-thread `dask worker` processes whose working directory is another folder."
    from distributed import Client, LocalCluster
    elsewhere = tmp_path_factory.mktemp('workers_cwd')
    lc = LocalCluster(n_workers=0, processes=True, dashboard_address=':0', scheduler_port=0)
    proc = _start_workers(lc.scheduler_address, 2, elsewhere)
    client = Client(lc)
    try:
        client.wait_for_workers(2, timeout=120)
        yield SimpleNamespace(address=lc.scheduler_address, client=client, cwd=elsewhere)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try: proc.wait(20)
        except subprocess.TimeoutExpired: os.killpg(proc.pid, signal.SIGKILL)
        client.close(); lc.close()


def _same(local, dask):
    a, b = digest(local), digest(dask)
    assert a and a == b, sorted(set(a.items()) ^ set(b.items()))[:6]
    return a


def _executed(cluster):
    "Tasks each worker has run so far."
    return cluster.client.run(lambda dask_worker: dask_worker.state.executed_count)


def _ran_on_both_workers(cluster, before):
    "Both workers took items (the run really went through the cluster), and nothing landed in their own folder."
    after = _executed(cluster)
    assert all(after[w] > before.get(w, 0) for w in after), (before, after)
    stray = [p for p in cluster.cwd.rglob('*') if p.is_file() and 'dask-scratch' not in p.parts]   # a relative path would land here
    assert not stray, stray[:5]


def _warm(cluster):
    """Both workers up, each with the dispersion code imported and its numba kernels loaded. A worker the nanny has just
    restarted is cold: the first batch it takes finishes seconds after everything the warm one ran, and the manifest
    (written in index order) then jumps from nothing to every line at once."""
    cluster.client.wait_for_workers(2, timeout=120)
    took = cluster.client.run(lambda: __import__('signal_lab.dispersion.curves', fromlist=['warmup']).warmup())
    assert len(took) == 2, took


# -- one test per builder: a 2-worker cluster gives the bytes of one local worker (relative paths, run from tmp_path)

def test_dispersion_generate_on_dask(cluster, tmp_path):
    before = _executed(cluster)
    for name, flags in (('local', ['--workers', '1']), ('dask', ['--scheduler', cluster.address])):
        cli('dispersion', 'generate', '--config', 'config_example.yaml', '--set', f'paths.output_root={name}',
            '--samples', 12, '--seed', 3, *flags, cwd=tmp_path, check=True)
    d = _same(tmp_path / 'local', tmp_path / 'dask')
    assert sum(k.startswith('records/') for k in d) == 12
    _ran_on_both_workers(cluster, before)


def test_defects_generate_on_dask(cluster, tmp_path):
    before = _executed(cluster)
    for name, flags in (('local', ['--workers', '1']), ('dask', ['--scheduler', cluster.address])):
        cli('defects', 'generate', '--output', name, '--num-images', 24, '--seed', 5, *flags, cwd=tmp_path, check=True)
    d = _same(tmp_path / 'local', tmp_path / 'dask')
    assert sum(k.endswith('.png') for k in d) == 48
    _ran_on_both_workers(cluster, before)


@pytest.fixture(scope='module')
def eeg_raw(tmp_path_factory):
    from signal_lab.eeg.preprocess import make_math_fixture
    d = tmp_path_factory.mktemp('eeg_raw_scale')
    make_math_fixture(d / 'math', n_subjects=4, seconds=16)
    return d


def test_eeg_preprocess_on_dask(cluster, eeg_raw, tmp_path):
    before = _executed(cluster)
    for name, flags in (('local', ['--workers', '1']), ('dask', ['--scheduler', cluster.address])):
        (tmp_path / f'{name}.toml').write_text(f'data_root = "{eeg_raw}"\noutput_root = "{name}"\n[datasets.math]\nroot = "math"\n')
        cli('eeg', 'preprocess', '--config', f'{name}.toml', '--datasets', 'math', *flags, cwd=tmp_path, check=True)
    d = _same(tmp_path / 'local', tmp_path / 'dask')
    assert sum(k.endswith('.npy') for k in d) >= 16   # 8 recordings: spectrograms + covariances
    _ran_on_both_workers(cluster, before)


CORPUS = ['--n-tunes', 2, '--instruments', 'flute', 'guitar', '--sources', 'studio', 'radio', '--clip-sec', 2]


def test_codec_corpus_and_cache_on_dask(cluster, tmp_path):
    before = _executed(cluster)
    for name, flags in (('local', ['--workers', '1']), ('dask', ['--scheduler', cluster.address])):
        cli('codec', 'corpus', '--out', f'{name}/corpus', *CORPUS, *flags, cwd=tmp_path, check=True)
        cli('codec', 'cache', '--manifest', f'{name}/corpus/tracks.csv', '--out', f'{name}/cache', '--chunk-sec', 1,
            '--chunks-per-track', 1, *flags, cwd=tmp_path, check=True)
    _same(tmp_path / 'local' / 'corpus', tmp_path / 'dask' / 'corpus')
    # the cache names its audio by absolute path (index.csv) and its manifest (building.json): equal once those are
    # mapped between the two folders; the arrays and everything else are the same bytes
    a, b = digest(tmp_path / 'local' / 'cache'), digest(tmp_path / 'dask' / 'cache')
    assert {k for k in a if a[k] != b[k]} <= {'index.csv', 'building.json', 'cache.json'}
    assert sum(k.startswith('chunks/') for k in a) == 8
    idx = lambda n: (tmp_path / n / 'cache' / 'index.csv').read_text().replace(str(tmp_path / n), '')
    assert idx('local') == idx('dask')
    _ran_on_both_workers(cluster, before)


def test_al_experiments_on_dask(cluster, tmp_path):
    from test_al import _write_synthetic
    _write_synthetic(tmp_path / 'emb', n_train=120)
    args = ['al', 'experiments', '--embeddings-dir', 'emb', '--seed-size', 2, '--rounds', 3, '--query-size', 2, '--repeats', 1,
            '--classifiers', 'lr', '--strategies', 'random,margin', '--diversity', 'off', '--no-report']
    before = _executed(cluster)
    for name, flags in (('local', ['--workers', '1']), ('dask', ['--scheduler', cluster.address])):
        cli(*args, '--out-dir', name, *flags, cwd=tmp_path, check=True)
    d = _same(tmp_path / 'local', tmp_path / 'dask')
    assert 'summary.csv' in d and sum(k.endswith('_metrics.csv') for k in d) == 2
    _ran_on_both_workers(cluster, before)


# -- faults

def test_killed_dask_worker_still_gives_identical_bytes(cluster, tmp_path):
    "SIGKILL one worker process mid-run: Dask reruns its items on the other, and the dataset is the one of one local worker."
    n = 48
    cli('dispersion', 'generate', '--config', 'config_example.yaml', '--set', f'paths.output_root={tmp_path / "ref"}',
        '--samples', n, '--seed', 8, '--workers', 1, check=True)
    pids = cluster.client.run(os.getpid)
    root = tmp_path / 'killed'
    p = subprocess.Popen([sys.executable, '-m', 'signal_lab.dispersion.cli', 'generate', '--config', 'config_example.yaml',
                          '--set', f'paths.output_root={root}', '--samples', str(n), '--seed', '8', '--scheduler', cluster.address],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    recs = root / 'records'
    deadline = time.time() + 120
    while time.time() < deadline and not (recs.is_dir() and sum(1 for _ in recs.glob('*.npz')) >= 4): time.sleep(0.02)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert f'{n} samples: {n} done' in out, out
    assert digest(root) == digest(tmp_path / 'ref')
    assert not list(root.rglob('*.tmp'))   # the killed worker's half-written file is gone
    cluster.client.wait_for_workers(2, timeout=120)   # the nanny starts a new one
    assert victim not in cluster.client.run(os.getpid).values()


def test_killed_client_resumes_to_identical_bytes(cluster, tmp_path):
    "SIGKILL the command itself mid-run; `--resume` on the cluster continues and ends as an uninterrupted run."
    n = 96   # tasks of 8 items or more: the kill lands after the first lines and well before the last
    cfg = ['--config', 'config_example.yaml', '--samples', str(n), '--seed', '2']
    cli('dispersion', 'generate', *cfg, '--set', f'paths.output_root={tmp_path / "ref"}', '--workers', 1, check=True)
    _warm(cluster)   # the test before this one killed a worker
    root = tmp_path / 'run'; man = root / 'manifests' / 'labels.jsonl'
    p = subprocess.Popen([sys.executable, '-m', 'signal_lab.dispersion.cli', 'generate', *cfg, '--set', f'paths.output_root={root}',
                          '--scheduler', cluster.address], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (man.exists() and man.read_bytes().count(b'\n') >= 6): time.sleep(0.02)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    before = man.read_bytes().count(b'\n')
    assert 6 <= before < n, f'{before} of {n} manifest lines when the command was killed'
    r = cli('dispersion', 'generate', *cfg, '--set', f'paths.output_root={root}', '--scheduler', cluster.address, '--resume', check=True)
    assert f'{before} skipped' in r.stdout, r.stdout
    assert digest(root) == digest(tmp_path / 'ref')


def test_worker_that_cannot_see_the_input_is_refused(cluster, tmp_path):
    """A worker whose filesystem lacks the input (its own mount namespace hides the folder) stops the command before any
    item runs: exit 2, one line naming the path and the worker, nothing written."""
    from distributed import Client, LocalCluster
    probe = subprocess.run(['unshare', '-m', 'true'], capture_output=True)
    if probe.returncode != 0: pytest.skip('needs `unshare -m` (root or user namespaces) to give a worker another view of the filesystem')
    from signal_lab.eeg.preprocess import make_math_fixture
    raw = tmp_path / 'raw'; make_math_fixture(raw / 'math', n_subjects=2, seconds=8)
    (tmp_path / 'wd').mkdir()
    lc = LocalCluster(n_workers=0, processes=True, dashboard_address=':0', scheduler_port=0)
    hidden = _start_workers(lc.scheduler_address, 1, tmp_path / 'wd', 'unshare', '-m', 'sh', '-c',
                            f'mount -t tmpfs none {raw} && exec "$0" "$@"')
    try:
        with Client(lc) as c: c.wait_for_workers(1, timeout=120)
        (tmp_path / 's.toml').write_text(f'data_root = "{raw}"\noutput_root = "{tmp_path / "out"}"\n[datasets.math]\nroot = "math"\n')
        r = cli('eeg', 'preprocess', '--config', tmp_path / 's.toml', '--datasets', 'math', '--scheduler', lc.scheduler_address)
        assert_user_error(r, f'{raw / "math"}: Dask worker tcp://', 'cannot see this input', 'shared filesystem')
        assert not list((tmp_path / 'out').rglob('*.npy'))
    finally:
        os.killpg(hidden.pid, signal.SIGKILL); hidden.wait(); lc.close()
