"""EEG classifier training benchmark: training windows/s per core for each trunk on (20 ch x 129 f x 32 frames)
windows, batch 64, gender + age heads, one torch thread (as `train` runs on CPU); then for each trunk a real
`signal_lab.eeg.train.train` run on a dataset folder of the same windows and the ratio of bare steps to it
(target <= 1.2: the data pipeline must not be the bottleneck); and the default trunk at 2 threads.

    python bench/eeg_train.py [--steps 30] [--epochs 3]

Anchors measured on this 2-core box (1 thread): legacy cnn_light ~245/s, a small CNN ~430/s, a 2-layer
transformer ~500/s; target >= 400/s for the default trunk.
"""
import argparse, json, tempfile, time
from pathlib import Path
import numpy as np

SHAPE = (20, 129, 32)


def bare(trunk, steps, folder, threads=1, width=16):
    "Windows/s of forward + backward + AdamW step on the same dataset's batches, already cast and in memory (the irreducible kernel)."
    import torch
    from signal_lab.eeg.models import make_task, MultiTaskNet, multitask_loss
    from signal_lab.eeg.train import read_metadata, task_specs, load_split, _norm_stats
    torch.set_num_threads(threads); torch.manual_seed(0)
    md = read_metadata(folder); specs = task_specs(md, ['age', 'gender']); tr = load_split(folder, md, 'train', specs)
    tasks = [make_task(specs[n], tr['y'][n]) for n in specs]
    mean, sd = _norm_stats(tr['x'])
    m = MultiTaskNet(tasks, SHAPE, trunk, width, norm_mean=mean, norm_std=sd)   # as train builds it
    opt = torch.optim.AdamW(m.parameters(), 1e-3)
    xs = [torch.from_numpy(tr['x'][i * 64:(i + 1) * 64]).float() for i in range(4)]
    ys = [{k: torch.from_numpy(v[i * 64:(i + 1) * 64]) for k, v in tr['y'].items()} for i in range(4)]
    def step(i):
        m.train(); opt.zero_grad(); l, _, _ = multitask_loss(m(xs[i % 4]), ys[i % 4], tasks); l.backward(); opt.step()
    for i in range(2): step(i)   # warm-up
    t = time.perf_counter()
    for i in range(steps): step(i)
    return 64 * steps / (time.perf_counter() - t), sum(p.numel() for p in m.parameters())


def dataset(root, n_train=640, n_val=64):
    "A dataset folder of random dB windows of SHAPE, laid out as the preprocessors write it."
    import pandas as pd
    g = np.random.default_rng(0); rows = []
    for split, n in (('train', n_train), ('val', n_val), ('test', n_val)):
        for s in range(n // 16):
            f = f'{split}/s{s}.npy'; (root / split).mkdir(parents=True, exist_ok=True)
            np.save(root / f, (g.normal(-120, 10, (16, *SHAPE))).astype(np.float16))
            sex = 'F' if s % 2 else 'M'
            rows += [dict(file_name=f, window_index=k, split=split, subject_id=f'{split}{s}', dataset='math', gender=sex, age=20 + s) for k in range(16)]
    pd.DataFrame(rows).to_csv(root / 'metadata.csv', index=False)
    return root


def real(trunk, folder, runs, epochs, width=16):
    "Windows/s of the real training loop (batching from the in-memory split, casting, masked loss, scheduler; evaluations excluded)."
    from signal_lab.eeg.train import train
    r = train('gender', [f'data.folder={folder}', f'runs_root={runs}', 'tasks.age={}', f'model.trunk={trunk}',
                        f'model.width={width}', f'train.epochs={epochs}', 'train.batch_size=64', 'train.tensorboard=false', f'name=bench-{trunk}'], log=None, progress=False)
    return json.loads((r.path / 'train_summary.json').read_text())['windows_per_s']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=60); ap.add_argument('--epochs', type=int, default=6)
    a = ap.parse_args()
    from signal_lab.eeg.models import TRUNKS
    with tempfile.TemporaryDirectory() as tmp:
        folder = dataset(Path(tmp) / 'data')
        print(f'windows {SHAPE}, batch 64, gender + age heads, 1 torch thread\n')
        print(f"{'trunk':12s} {'params':>9s} {'bare steps':>12s} {'real train':>12s} {'ratio':>6s}")
        for t in [t for t in TRUNKS if t != 'riemann']:   # riemann reads covariances, not these windows; its step is one eigh per window
            r = real(t, folder, Path(tmp) / 'runs', a.epochs)
            b, n = bare(t, a.steps, folder)
            print(f'{t:12s} {n:9,d} {b:9.0f} w/s {r:9.0f} w/s {b / r:6.2f}')
        b2, _ = bare(TRUNKS[0], a.steps, folder, threads=2)
        b1, _ = bare(TRUNKS[0], a.steps, folder, threads=1)
        print(f'\n{TRUNKS[0]} (default), 2 threads: {b2:.0f} windows/s vs 1 thread {b1:.0f} ({b2 / b1:.2f}x)')


if __name__ == '__main__': main()
