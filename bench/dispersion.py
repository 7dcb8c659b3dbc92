"""Dispersion pillar benchmark: samples/s with 1 and 2 worker processes, the ratio of full-pipeline time to
disba-only time on the same models in this process, and the numba warm-up cost of a fresh worker.

    python bench/dispersion.py [--samples 200] [--scale-samples 1000]

The worker-scaling runs use a larger batch (`--scale-samples`), as in a real dataset build; with 2 workers the
calling process works while the other one starts (imports + numba cache load, about 1 s), see `core.parallel.pmap`.
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from signal_lab.core.parallel import item_rng, reuse_freed_memory
from signal_lab.dispersion.config import load_dispersion_config
from signal_lab.dispersion.curves import frequency_axis, sample_curves, warmup
from signal_lab.dispersion.generate import generate, _item, generation_hash
from signal_lab.core.manifest import package_versions


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--samples', type=int, default=200); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--scale-samples', type=int, default=1000)
    a = ap.parse_args()
    n = a.samples
    cold = subprocess.run([sys.executable, '-c', 'from signal_lab.dispersion.curves import warmup; print(warmup())'],
                          capture_output=True, text=True, check=True).stdout.strip()
    print(f'numba warm-up in a fresh worker process (kernels loaded from the on-disk cache): {float(cold):.2f} s')
    warmup(); reuse_freed_memory()   # what `generate` does in its process and in each worker
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_dispersion_config('config_example.yaml', [f'paths.output_root={tmp}/inproc'])
        freqs = frequency_axis(cfg.grid)
        # disba only (model sampling + curves + the label check, same item generators as the pipeline) against the
        # full pipeline (curves + gather + spectrum + augmentation + masks + atomic writes) on the same items,
        # interleaved in blocks of 8 so that both see the same machine (a shared box drifts by 30% within a minute).
        # The full leg runs as `generate` does: a batch of 8 items whose writes run in the helper thread, then
        # `_finish_writes` waits for all of them (pmap's `batch=8, finalize=...`)
        for k in ('records', 'masks'): (Path(tmp) / 'inproc' / k).mkdir(parents=True)
        v = package_versions(); h = generation_hash(cfg)
        # a third leg leaves the files unwritten (their sha256 still computed): what the writes themselves cost here
        import hashlib, signal_lab.dispersion.generate as G
        write_and_hash, B = G._write_and_hash, 8
        t_disba = t_full = t_nowrite = 0.0
        def full(block):   # one batch as `generate` runs it
            G._finish_writes([_item(i, item_rng(a.seed, i), cfg, h, a.seed, v, defer=True) for i in block])
        for b in range(0, n, B):
            block = range(b, min(b + B, n))
            t = time.perf_counter()
            for i in block: sample_curves(cfg.physics, freqs, item_rng(a.seed, i))
            t_disba += time.perf_counter() - t
            t = time.perf_counter()
            full(block)
            t_full += time.perf_counter() - t
            G._write_and_hash = lambda path, data: hashlib.sha256(data).hexdigest()
            try:
                t = time.perf_counter()
                full(block)
                t_nowrite += time.perf_counter() - t
            finally: G._write_and_hash = write_and_hash
        print(f'disba only:    {n / t_disba:7.1f} samples/s ({1000 * t_disba / n:.1f} ms/sample)')
        print(f'full pipeline: {n / t_full:7.1f} samples/s ({1000 * t_full / n:.1f} ms/sample)')
        print(f'ratio full/disba: {t_full / t_disba:.2f} (target <= 1.35)')
        print(f'  the same with the files not written (sha256 only): {t_nowrite / t_disba:.2f}; writes {1000 * (t_full - t_nowrite) / n:.1f} ms/sample')
        # 1, 2, 2, 1 workers (each a whole `generate` call, start-up included): the order cancels a steady drift
        # of the machine's speed, which otherwise decides a sequential comparison
        # the machine's busy CPU seconds (quiet box: this run's processes and threads) tell how many cores a run
        # kept busy: one worker also uses part of a second core for its file writes (helper thread)
        ns, secs, cpus = a.scale_samples, {1: 0.0, 2: 0.0}, {1: 0.0, 2: 0.0}
        for k, w in enumerate((1, 2, 2, 1)):
            c = load_dispersion_config('config_example.yaml', [f'paths.output_root={tmp}/w{w}_{k}'])
            t, c0 = time.perf_counter(), _cpu(); r = generate(c, ns, a.seed, workers=w, progress=False)
            dt, dc = time.perf_counter() - t, _cpu() - c0
            assert r.ok, r.summary()
            secs[w] += dt; cpus[w] += dc
            print(f'generate --workers {w} ({ns} samples): {ns / dt:7.1f} samples/s (wall, incl. process start-up), {dc / dt:.2f} cores busy')
        print(f'scaling 1 -> 2 workers: {secs[1] / secs[2]:.2f}x (target >= 1.7)')
        print(f'  cores busy: {cpus[1] / secs[1]:.2f} with 1 worker, {cpus[2] / secs[2]:.2f} with 2; samples per CPU-second '
              f'{2 * ns / cpus[1]:.1f} vs {2 * ns / cpus[2]:.1f} (parallel efficiency {cpus[1] / cpus[2]:.2f})')
        # one worker pinned to one core (a fresh process, so its writer thread is pinned too): the per-core figure,
        # since one free-running worker also uses part of the second core
        if hasattr(os, 'sched_setaffinity') and len(os.sched_getaffinity(0)) >= 2:
            pin = [float(subprocess.run([sys.executable, '-c', PINNED, f'{tmp}/pinned{k}', str(a.seed), str(ns)], capture_output=True,
                                        text=True, check=True).stdout) for k in range(2)]
            print(f'generate --workers 1 pinned to one core ({ns} samples): {np.mean(pin):7.1f} samples/s; '
                  f'2 workers on 2 cores: {2 * ns / secs[2] / np.mean(pin):.2f}x that (per-core scaling)')
        # the machine's own ceiling: the same per-item pipeline in 1, then 2 independent processes (no pmap, no
        # manifest), so a scaling figure below 2 can be read against what this box gives two processes at all
        rate = {}
        for k in (1, 2):
            ps = [subprocess.Popen([sys.executable, '-c', CEILING, f'{tmp}/ceiling{k}_{j}', str(a.seed), '300'], stdout=subprocess.PIPE, text=True)
                  for j in range(k)]
            rate[k] = sum(float(p.communicate()[0]) for p in ps)
        print(f'ceiling: 2 independent processes {rate[2]:.1f} vs 1 process {rate[1]:.1f} samples/s = {rate[2] / rate[1]:.2f}x')


def _cpu():
    "CPU seconds the whole machine spent busy so far (/proc/stat; workers are forkserver children, not ours), or nan."
    try: fields = [int(x) for x in open('/proc/stat').readline().split()[1:]]
    except OSError: return float('nan')
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf('SC_CLK_TCK')   # all but idle and iowait


PINNED = '''
import os, sys, time
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
from signal_lab.dispersion.config import load_dispersion_config
from signal_lab.dispersion.generate import generate
out, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = load_dispersion_config('config_example.yaml', [f'paths.output_root={out}'])
t = time.perf_counter(); r = generate(cfg, n, seed, workers=1, progress=False); dt = time.perf_counter() - t
assert r.ok, r.summary()
print(n / dt)
'''

CEILING = '''
import sys, time
from pathlib import Path
from threadpoolctl import threadpool_limits
from signal_lab.core.parallel import item_rng, reuse_freed_memory
from signal_lab.core.manifest import package_versions
from signal_lab.dispersion.config import load_dispersion_config
from signal_lab.dispersion.curves import warmup
import signal_lab.dispersion.generate as G
from signal_lab.dispersion.generate import _item, generation_hash
out, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
warmup(); reuse_freed_memory()
cfg = load_dispersion_config('config_example.yaml', [f'paths.output_root={out}'])
for k in ('records', 'masks'): Path(out, k).mkdir(parents=True)
v, h = package_versions(), generation_hash(cfg)
with threadpool_limits(1):
    t = time.perf_counter()
    for b in range(0, n, 8): G._finish_writes([_item(i, item_rng(seed, i), cfg, h, seed, v, defer=True) for i in range(b, min(b + 8, n))])
    print(n / (time.perf_counter() - t))
'''


if __name__ == '__main__':
    main()
