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


def _images(root, n, size=256):
    from PIL import Image
    rng = np.random.default_rng(0); root.mkdir(parents=True)
    for i in range(n): Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(root / f'{i:04d}.png')
    return root


def _arrays(root, n, shape=(20, 129, 32)):
    import pandas as pd
    root.mkdir(parents=True); np.save(root / 'x.npy', np.random.default_rng(0).normal(-100, 10, (n,) + shape).astype(np.float16))
    pd.DataFrame(dict(file_name='x.npy', window_index=range(n), split='train')).to_csv(root / 'metadata.csv', index=False)
    return root


def extractor_bench(n=64):
    """Inputs/s of `features.extract` (read + preprocess + forward, no cache) for each extractor. InceptionV3, DINOv2 ViT-S/14
    and CLIP ViT-B/32 are built at their real sizes with random weights and saved locally (their speed does not depend on
    the weight values); the classifier trunk is the default `cnn` trunk of the EEG classifiers on (20, 129, 32) windows."""
    import torch, transformers as tr
    from unittest import mock
    import torch_fidelity.feature_extractor_inceptionv3 as tfi
    from signal_lab.metrics.features import open_input, resolve_extractor, extract, Extractor
    from signal_lab.eeg.models import MultiTaskNet, Task
    from signal_lab.eeg.labels import registry
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); imgs, arrs = open_input(_images(d / 'img', n)), open_input(_arrays(d / 'arr', n))
        class _Init(tfi.FeatureExtractorInceptionV3):
            def load_state_dict(self, sd, strict=True): return None
        with mock.patch.object(tfi, 'load_state_dict_from_url', lambda *a, **k: {}):
            torch.save(_Init('inception-v3-compat', ['2048']).state_dict(), d / 'inception.pth')
        tr.Dinov2Model(tr.Dinov2Config(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536,
                                       image_size=224, patch_size=14)).save_pretrained(d / 'dinov2-small')
        tr.CLIPVisionModel(tr.CLIPVisionConfig(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                                               image_size=224, patch_size=32)).save_pretrained(d / 'clip-b32')
        class Trunk(Extractor):   # the classifier-run extractor without a training run: same model, same features() call
            kind, id = 'arrays', 'eeg cnn trunk'
            def __init__(self):
                super().__init__(); self.m = MultiTaskNet([Task(registry('parkinsons')['gender'])], (20, 129, 32), 'cnn', 16).eval()
            def batch(self, items): return np.stack(items).astype(np.float32)
            def features(self, x):
                with torch.no_grad(): return self.m.features(torch.from_numpy(x)).numpy()
        cases = [('random-cnn, 256x256 PNG', 'random-cnn', imgs), ('random-cnn, (20,129,32) arrays', 'random-cnn', arrs),
                 ('EEG classifier cnn trunk, (20,129,32) arrays', Trunk(), arrs),
                 ('InceptionV3 (torch-fidelity), 256x256 PNG -> 299', d / 'inception.pth', imgs),
                 ('DINOv2 ViT-S/14, 256x256 PNG -> 224', d / 'dinov2-small', imgs), ('CLIP ViT-B/32, 256x256 PNG -> 224', d / 'clip-b32', imgs)]
        for name, spec, inp in cases:
            ex = spec if isinstance(spec, Extractor) else resolve_extractor(spec, 'cpu'); ex.prepare(inp)
            extract(inp, ex, cache=False, batch_size=16, progress=False)                     # warm-up
            _, info = extract(inp, ex, cache=False, batch_size=32, progress=False)
            yield name, len(inp) / info['seconds']


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
        if not a.skip_extractors:
            for name, ips in extractor_bench(): print(f'extract {name}: {ips:.1f} inputs/s', flush=True)
