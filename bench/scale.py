"""Scale-out benchmark: items/s of every data builder with one local process, on a Dask `LocalCluster` of 1, 2 and
4 single-thread workers, and the machine's ceiling: two independent one-process builds side by side.

    python bench/scale.py [--builders dispersion,defects,eeg,corpus,cache,al] [--quick]

Figures are the builder's steady state, as on a cluster that is already up: each build is timed in this process
after a warm-up build (imports, JIT caches, and on Dask every worker has run an item), with the same thread limits
as the product (one BLAS thread per worker). The one-off costs are printed apart: starting a `LocalCluster` and a
whole `signal-lab` command. The ceiling runs this script's `--one` mode twice at once (two fresh processes, each a
warm-up, a wait for the other, then a timed one-process build on its own output): what the cores give when nothing is shared, so
`Dask 2 workers / ceiling` near 1 means the cluster adds nothing to the work.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time, warnings
from pathlib import Path

SIZES = dict(dispersion=800, defects=1000, eeg=40, corpus=8, cache=8, al=40)   # samples, images, subjects, tunes, tunes, rounds


def make(name, tmp, size):
    "(items, unit, build(out, n_or_None, workers, scheduler)) for one builder; inputs are prepared once under tmp."
    if name == 'dispersion':
        from signal_lab.dispersion.config import load_dispersion_config
        from signal_lab.dispersion.generate import generate
        def build(out, small, w, s):
            cfg = load_dispersion_config('config_example.yaml', [f'paths.output_root={out}'])
            r = generate(cfg, 40 if small else size, 0, workers=w, scheduler=s, progress=False); assert r.ok, r.summary()
        return size, 'samples', build
    if name == 'defects':
        from signal_lab.defects.config import load_defects_config
        from signal_lab.defects.generate import generate_dataset
        return size, 'images', lambda out, small, w, s: generate_dataset(load_defects_config(), out, 60 if small else size, 1, w, s, progress=False)
    if name == 'eeg':
        from signal_lab.eeg.cli import preprocessor
        from signal_lab.eeg.preprocess import make_math_fixture
        from signal_lab.eeg.settings import load_settings
        raw = tmp / 'eeg_raw'
        if not raw.exists():
            make_math_fixture(raw / 'math', n_subjects=size, seconds=60); make_math_fixture(raw / 'small' / 'math', n_subjects=4, seconds=60)
        def build(out, small, w, s):
            f = Path(f'{out}.toml'); f.write_text(f'data_root = "{raw / "small" if small else raw}"\noutput_root = "{out}"\n[datasets.math]\nroot = "math"\n')
            r = preprocessor('math', load_settings(f)).run(workers=w, scheduler=s, progress=False); assert not r['n_failed'], r['errors']
        return 2 * size, 'recordings', build
    if name in ('corpus', 'cache'):
        from signal_lab.codec.corpus import build_corpus, CorpusConfig
        from signal_lab.codec.cache import build_cache
        n_clips = size * 24   # 6 instruments x 4 recording chains per tune
        if name == 'corpus':
            return n_clips, 'clips', lambda out, small, w, s: build_corpus(out, CorpusConfig(n_tunes=1 if small else size), w, False, s)
        src = tmp / 'corpus_src'
        if not src.exists(): build_corpus(src, CorpusConfig(n_tunes=size), workers=2, progress=False); build_corpus(tmp / 'corpus_small', CorpusConfig(n_tunes=1), progress=False)
        return n_clips, 'tracks', lambda out, small, w, s: build_cache((tmp / 'corpus_small' if small else src) / 'tracks.csv', out, workers=w, progress=False, scheduler=s)
    if name == 'al':
        import numpy as np
        from signal_lab.al.experiments import run_experiments
        from signal_lab.al.simulate import synthetic_embeddings
        e = synthetic_embeddings(n_train=400, n_test=200, dim=16, seed=4)
        kw = dict(classifiers=('lr', 'svc'), strategies=('random', 'margin', 'entropy'), diversity=('off', 'kcenter'), repeats=2, seed_size=8, progress=False)
        def build(out, small, w, s):
            run_experiments(None, out, rounds=5 if small else size, workers=w, scheduler=s, data=e, **kw)
        return 24, 'cells', build
    raise SystemExit(f'unknown builder {name!r}')


def timed(build, out, w=1, s=None):
    t = time.perf_counter(); build(out, None, w, s); return time.perf_counter() - t


def one(name, tmp, size):
    "A fresh process's steady state with one local process: warm-up, then the timed build (the `--one` mode)."
    n, _, build = make(name, tmp, size)
    build(tmp / f'warm_{os.getpid()}', True, 1, None)
    (tmp / f'ready_{name}_{os.getpid()}').touch()   # both processes warm before either starts its timed build
    while len(list(tmp.glob(f'ready_{name}_*'))) < 2: time.sleep(0.01)
    return n / timed(build, tmp / f'one_{os.getpid()}')


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--builders', default=','.join(SIZES))
    ap.add_argument('--quick', action='store_true', help='a quarter of the sizes (a smoke run of this script)')
    ap.add_argument('--one', default=None, help=argparse.SUPPRESS); ap.add_argument('--tmp', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    warnings.simplefilter('ignore')
    import logging; logging.getLogger('distributed').setLevel(logging.ERROR)
    size = lambda k: max(1, SIZES[k] // 4) if a.quick else SIZES[k]
    if a.one:
        print(one(a.one, Path(a.tmp), size(a.one))); return
    env = dict(os.environ)   # before any LocalCluster: it sets MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS… in this process
    from distributed import Client
    from signal_lab.core.parallel import local_cluster   # the cluster `--scheduler local` starts
    tmp = Path(tempfile.mkdtemp(prefix='bench_scale_'))
    try:
        t = time.perf_counter()
        with local_cluster(2) as lc, Client(lc) as c: c.wait_for_workers(2)
        print(f'{os.cpu_count()} CPUs. One-off costs: a 2-worker LocalCluster starts and stops in {time.perf_counter() - t:.1f} s.\n')
        print('| builder | items | 1 local process | Dask 1 worker | Dask 2 workers | Dask 4 workers | ceiling (2 × 1 process) | Dask 2 / ceiling |')
        print('|---|---|---|---|---|---|---|---|')
        for name in a.builders.split(','):
            n, unit, build = make(name, tmp, size(name))
            k = iter(range(10 ** 6)); out = lambda: tmp / f'{name}_{next(k)}'
            build(out(), True, 1, None)
            local = n / timed(build, out())
            # the ceiling before any cluster: nothing of a closed cluster's shutdown in its way
            ps = [subprocess.Popen([sys.executable, __file__, '--one', name, '--tmp', str(tmp)] + (['--quick'] if a.quick else []),
                                   stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
            ceiling = sum(float(p.communicate()[0].strip().splitlines()[-1]) for p in ps)
            dask = {}
            for w in (1, 2, 4):
                with local_cluster(w) as lc, Client(lc):
                    build(out(), True, w, lc.scheduler_address)   # every worker imports and runs an item first
                    dask[w] = n / timed(build, out(), w, lc.scheduler_address)
            print(f'| {name} | {n} {unit} | {local:.1f}/s | {dask[1]:.1f}/s | {dask[2]:.1f}/s | {dask[4]:.1f}/s | {ceiling:.1f}/s | {dask[2] / ceiling:.2f} |', flush=True)
            for p in tmp.glob(f'{name}_*'): shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
