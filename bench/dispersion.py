"""Dispersion pillar benchmark: samples/s with 1 and 2 worker processes, the ratio of full-pipeline time to
disba-only time on the same models in this process, and the numba warm-up cost of a fresh worker.

    python bench/dispersion.py [--samples 200] [--scale-samples 1000]

The worker-scaling runs use a larger batch (`--scale-samples`) so process start-up and the numba cache load
(about 0.8 s per worker) are amortised, as in a real dataset build.
"""
import argparse, subprocess, sys, tempfile, time
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
        # interleaved in blocks of 10 so that both see the same machine (a shared box drifts by 30% within a minute)
        for k in ('records', 'masks'): (Path(tmp) / 'inproc' / k).mkdir(parents=True)
        v = package_versions(); h = generation_hash(cfg)
        t_disba = t_full = 0.0
        for b in range(0, n, 10):
            block = range(b, min(b + 10, n))
            t = time.perf_counter()
            for i in block: sample_curves(cfg.physics, freqs, item_rng(a.seed, i))
            t_disba += time.perf_counter() - t
            t = time.perf_counter()
            for i in block: _item(i, item_rng(a.seed, i), cfg, h, a.seed, v)
            t_full += time.perf_counter() - t
        print(f'disba only:    {n / t_disba:7.1f} samples/s ({1000 * t_disba / n:.1f} ms/sample)')
        print(f'full pipeline: {n / t_full:7.1f} samples/s ({1000 * t_full / n:.1f} ms/sample)')
        print(f'ratio full/disba: {t_full / t_disba:.2f} (target <= 1.35)')
        rates, ns = {}, a.scale_samples
        for w in (1, 2):
            c = load_dispersion_config('config_example.yaml', [f'paths.output_root={tmp}/w{w}'])
            t = time.perf_counter(); r = generate(c, ns, a.seed, workers=w, progress=False); dt = time.perf_counter() - t
            assert r.ok, r.summary()
            rates[w] = ns / dt
            print(f'generate --workers {w} ({ns} samples): {rates[w]:7.1f} samples/s (wall, incl. process start-up)')
        print(f'scaling 1 -> 2 workers: {rates[2] / rates[1]:.2f}x (target >= 1.7)')


if __name__ == '__main__':
    main()
