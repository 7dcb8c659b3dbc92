"""Scale-out benchmark: items/s of every data builder on a Dask `LocalCluster` of 1, 2 and 4 workers, beside one
local process (`--workers 1`, no Dask) and the machine's ceiling: two independent `--workers 1` runs at once.

    python bench/scale.py [--builders dispersion,defects,eeg,corpus,cache,al] [--quick]

Each figure is a whole CLI command as a user runs it (interpreter start, imports, cluster start-up included), so
the per-command overhead shows: sizes are chosen so one local worker takes 10-30 s on a 2-core box. The ceiling
runs two commands side by side, each with one worker, on separate outputs: what two cores give when nothing is
shared; `ceiling / 1 worker` is the most any scheduler can reach here. A ratio `N workers / ceiling` near 1 means
the map adds nothing to the work.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

EXE = [shutil.which('signal-lab', path=os.path.dirname(sys.executable)) or 'signal-lab']   # the console script a user runs


def builders(tmp, quick):
    "name -> (items, what, prepare(), command(out) as a list)."
    k = 4 if quick else 1
    eeg_raw, corpus = tmp / 'eeg_raw', tmp / 'corpus_src'
    def prep_eeg():
        from signal_lab.eeg.preprocess import make_math_fixture
        if not eeg_raw.exists(): make_math_fixture(eeg_raw / 'math', n_subjects=16 // k, seconds=60)
    def settings(out):
        f = Path(f'{out}.toml'); f.write_text(f'data_root = "{eeg_raw}"\noutput_root = "{out}"\n[datasets.math]\nroot = "math"\n'); return f
    n_tunes = 4 // k if quick else 4
    def prep_cache():
        if not corpus.exists(): subprocess.run([*EXE, 'codec', 'corpus', '--out', str(corpus), '--n-tunes', str(n_tunes)], check=True, capture_output=True)
    def prep_al():
        import numpy as np
        from signal_lab.al.simulate import synthetic_embeddings
        d = tmp / 'emb'
        if d.exists(): return
        e = synthetic_embeddings(n_train=400, n_test=200, dim=16, seed=4); d.mkdir()
        for s in ('train', 'test'):
            np.savez(d / f'{s}_embeddings.npz', embeddings=e[s]['X'], labels=e[s]['y'], classes=np.array(e['classes']), file_names=np.array(e[s]['file_names']))
    n_disp, n_def = 600 // k, 1200 // k
    return {
        'dispersion': (n_disp, 'samples', None, lambda o: ['dispersion', 'generate', '--config', 'config_example.yaml', '--set', f'paths.output_root={o}', '--samples', str(n_disp)]),
        'defects': (n_def, 'images', None, lambda o: ['defects', 'generate', '--output', str(o), '--num-images', str(n_def)]),
        'eeg': (2 * (16 // k), 'recordings', prep_eeg, lambda o: ['eeg', 'preprocess', '--config', str(settings(o)), '--datasets', 'math']),
        'corpus': (n_tunes * 24, 'clips', None, lambda o: ['codec', 'corpus', '--out', str(o), '--n-tunes', str(n_tunes)]),
        'cache': (n_tunes * 24, 'tracks', prep_cache, lambda o: ['codec', 'cache', '--manifest', str(corpus / 'tracks.csv'), '--out', str(o)]),
        'al': (24, 'cells', prep_al, lambda o: ['al', 'experiments', '--embeddings-dir', str(tmp / 'emb'), '--out-dir', str(o), '--rounds', '40' if not quick else '10',
                                               '--repeats', '2', '--classifiers', 'lr,svc', '--strategies', 'random,margin,entropy', '--no-report']),
    }


def timed(cmds):
    "Run the commands at once; the wall time until the last one ends."
    t = time.perf_counter()
    ps = [subprocess.Popen([*EXE, *c], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for c in cmds]
    for p, c in zip(ps, cmds):
        err = p.communicate()[1]
        if p.returncode: raise SystemExit(f'{" ".join(c)} failed:\n{err}')
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--builders', default='dispersion,defects,eeg,corpus,cache,al')
    ap.add_argument('--quick', action='store_true', help='a quarter of the sizes (a smoke run of this script)')
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='bench_scale_'))
    try:
        B = builders(tmp, a.quick)
        print(f'{os.cpu_count()} CPUs; items/s of a whole command (start-up included)\n')
        print('| builder | items | 1 local process | Dask 1 worker | Dask 2 workers | Dask 4 workers | ceiling (2 × 1 process) | 2 workers / ceiling |')
        print('|---|---|---|---|---|---|---|---|')
        for name in a.builders.split(','):
            n, what, prep, cmd = B[name]
            if prep: prep()
            run = 0
            def out():
                nonlocal run; run += 1; return tmp / f'{name}_{run}'
            local = n / timed([cmd(out()) + ['--workers', '1']])
            dask = {w: n / timed([cmd(out()) + ['--workers', str(w), '--scheduler', 'local']]) for w in (1, 2, 4)}
            ceiling = 2 * n / timed([cmd(out()) + ['--workers', '1'], cmd(out()) + ['--workers', '1']])
            print(f'| {name} | {n} {what} | {local:.1f}/s | {dask[1]:.1f}/s | {dask[2]:.1f}/s | {dask[4]:.1f}/s | {ceiling:.1f}/s | {dask[2] / ceiling:.2f} |', flush=True)
            for p in tmp.glob(f'{name}_*'): shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
