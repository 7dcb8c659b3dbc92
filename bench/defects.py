"""Defects pillar benchmark: generated images/s per process including PNG writes (image + mask), and the
1 -> 2 process scaling, and CNN training images/s on this machine's device (CPU unless a GPU is there)
against the bare forward/backward/step kernel on random tensors in the same process.

    python bench/defects.py [--num-images 600] [--train-epochs 2]
"""
import argparse, tempfile, time
import numpy as np
from signal_lab.defects.config import load_defects_config, CLASSES
from signal_lab.defects.generate import generate_dataset
from signal_lab.defects.generator import generate_image
from signal_lab.core.io import png_bytes


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--num-images', type=int, default=600)
    ap.add_argument('--train-epochs', type=int, default=2)
    a = ap.parse_args(); n = a.num_images
    cfg = load_defects_config()
    t = time.perf_counter()
    for i in range(200): generate_image(CLASSES[i % 5], cfg, np.random.default_rng([0, i]))
    kernel = 200 / (time.perf_counter() - t)
    print(f'generator only (no PNG, no files):  {kernel:6.1f} images/s')
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for w in (1, 2):
            t = time.perf_counter()
            generate_dataset(cfg, f'{tmp}/w{w}', n, seed=0, workers=w, progress=False)
            rates[w] = n / (time.perf_counter() - t)
            print(f'generate --workers {w} (PNG image + mask, metadata, atomic swap): {rates[w]:6.1f} images/s')
        print(f'per process with 1 worker: {rates[1]:.1f} images/s (target >= 80); ratio to generator only: {kernel / rates[1]:.2f}')
        print(f'scaling 1 -> 2 processes: {rates[2] / rates[1]:.2f}x')
        train_bench(f'{tmp}/w1', a.train_epochs)


def train_bench(root, epochs):
    import torch
    from signal_lab.defects.train import train_classifier, make_model, _device
    s, ds, _, dev = train_classifier(root, f'{root}_clf', epochs=epochs, human_labels=f'{root}/none.csv', progress=False)
    x = ds['train'].x[:32].to(dev); y = ds['train'].y[:32].to(dev)
    m = make_model(5).to(dev); opt = torch.optim.AdamW(m.parameters(), 1e-3)
    def step():
        opt.zero_grad(); torch.nn.functional.cross_entropy(m(x), y).backward(); opt.step()
    for _ in range(3): step()
    k = 20; t = time.perf_counter()
    for _ in range(k): step()
    if dev.type == 'cuda': torch.cuda.synchronize()
    kern = 32 * k / (time.perf_counter() - t)
    print(f'training on {dev} ({torch.get_num_threads()} threads), batch 32, input {tuple(x.shape[1:])}: '
          f"{s['train_images_per_second']:.1f} images/s incl. augmentation and per-epoch validation; "
          f'bare step kernel {kern:.1f} images/s; ratio {kern / s["train_images_per_second"]:.2f}')


if __name__ == '__main__':
    main()
