"""Defects pillar benchmark: generated images/s per process including PNG writes (image + mask), and the
1 -> 2 process scaling. (Training images/s will be added with the CNN classifier.)

    python bench/defects.py [--num-images 600]
"""
import argparse, tempfile, time
import numpy as np
from signal_lab.defects.config import load_defects_config, CLASSES
from signal_lab.defects.generate import generate_dataset
from signal_lab.defects.generator import generate_image
from signal_lab.core.io import png_bytes


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--num-images', type=int, default=600)
    n = ap.parse_args().num_images
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


if __name__ == '__main__':
    main()
