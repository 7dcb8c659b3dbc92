"""Fidelity-metrics benchmark: KID (100 subsets x 1000) and precision/recall on 10,000 x 2,048 features per side,
signal_lab vs torch-fidelity 0.4.0 in the same process on the same arrays (ratio = torch-fidelity time / ours,
target >= 1), with the largest difference of the values; then feature extraction images/s for each offline
extractor (seeded random CNN; a trained EEG classifier trunk; InceptionV3 / DINOv2 / CLIP architectures at
real size with random weights saved to a local folder, since nothing may be downloaded).

    python bench/metrics.py [--n 10000] [--d 2048] [--threads 1] [--skip-extractors]

Anchor (DESIGN.md): torch-fidelity KID 100 x 1000 took 6.8 s at d = 384, 11.8 s at d = 1024 on one thread here.
BLAS threads are limited to --threads for both (numpy via threadpoolctl, torch via set_num_threads).
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np


def timed(f):
    t = time.perf_counter(); out = f(); return out, time.perf_counter() - t


def metric_bench(n, d, seed=0):
    import torch
    from torch_fidelity.metric_kid import kid_features_to_metric
    from torch_fidelity.metric_prc import prc_features_to_metric
    from signal_lab.metrics.fidelity import kid, manifold
    rng = np.random.default_rng(seed)
    real = np.abs(rng.normal(size=(n, d))).astype(np.float32)               # non-negative, like pooled CNN features
    fake = np.abs(rng.normal(0.05, 1.05, size=(n, d))).astype(np.float32)
    ours, t_ours = timed(lambda: kid(real, fake))
    ref, t_ref = timed(lambda: kid_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), verbose=False))
    print(f'KID 100 x 1000, {n} x {d}: signal_lab {t_ours:.2f} s ({ours["method"]}), torch-fidelity {t_ref:.2f} s, '
          f'ratio {t_ref / t_ours:.2f}; |diff| {abs(ours["value"] - ref["kernel_inception_distance_mean"]):.1e}', flush=True)
    ours, t_ours = timed(lambda: manifold(real, fake, ('prc',)))
    ref, t_ref = timed(lambda: prc_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), verbose=False))
    print(f'PRC k=3, {n} x {d}: signal_lab {t_ours:.2f} s, torch-fidelity {t_ref:.2f} s, ratio {t_ref / t_ours:.2f}; '
          f'precision {ours["precision"]["value"]:.4f} vs {ref["precision"]:.4f}, recall {ours["recall"]["value"]:.4f} vs {ref["recall"]:.4f}', flush=True)
    _, t_dc = timed(lambda: manifold(real, fake, ('prc', 'dc')))
    print(f'PRC + density/coverage in one pass: {t_dc:.2f} s', flush=True)


def extractor_bench(n=64):
    from signal_lab.metrics.features import bench_extractors
    for name, ips in bench_extractors(n):
        print(f'extract {name}: {ips:.1f} inputs/s', flush=True)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=10000); p.add_argument('--d', type=int, default=2048)
    p.add_argument('--threads', type=int, default=1); p.add_argument('--skip-extractors', action='store_true')
    a = p.parse_args()
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(a.threads)
    with threadpool_limits(a.threads):
        print(f'{a.threads} thread(s)')
        metric_bench(a.n, a.d)
        if not a.skip_extractors: extractor_bench()
