"""Dispersion picker benchmark (#34): generate MASW-like training and held-out sets, train the U-Net picker on CPU,
score it beside the argmax control per mode on three held-out sets (clean, interference-rich, low-velocity layers),
and pick the real WGHS field records (when ../shared has them), with the agreement between the three source positions.

    python bench/dispersion_picker.py [--out bench/out/picker] [--train 3000] [--extra 3500] [--test 300] [--epochs 15]   # about 45 minutes on 2 cores

Figures: train time, the benchmark table, the field agreement; the ratio against the control is the point of a picker.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np

def interference_settings() -> list:
    "`--set` pairs that give config_test_interference.yaml's spectrum noise and augmentations on another config's grid."
    from dataclasses import asdict
    from signal_lab.dispersion.config import load_dispersion_config
    c = load_dispersion_config('config_test_interference.yaml')
    return ['--set', f'spectrum.snr_db={c.spectrum.snr_db}', '--set', 'augmentation=' + json.dumps(asdict(c.augmentation))]
LVL = ['--set', 'physics.low_velocity_layers=true', '--set', 'physics.vs_increasing=false']
WGHS = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'real-masw' / 'wghs'


def sl(*a):
    subprocess.run(['signal-lab', *map(str, a)], check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default='bench/out/picker'); ap.add_argument('--train', type=int, default=3000)
    ap.add_argument('--extra', type=int, default=3500, help='interference-rich and low-velocity-layer training records each (0: none)')
    ap.add_argument('--test', type=int, default=300); ap.add_argument('--epochs', type=int, default=15)
    a = ap.parse_args(); out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    gen = lambda name, n, seed, *extra: (out / name).exists() or sl('dispersion', 'generate', '--config', 'config_masw.yaml', '--samples', n, '--seed', seed,
                                                                    '--workers', 2, '--set', f'paths.output_root={out / name}', *extra)
    interf = interference_settings(); t = time.perf_counter()
    gen('train', a.train, 1); gen('clean', a.test, 101); gen('interf', a.test, 102, *interf); gen('lvl', a.test, 103, *LVL)
    data = [out / 'train']
    if a.extra: gen('train_lvl', a.extra, 11, *LVL); gen('train_int', a.extra, 12, *interf); data += [out / 'train_lvl', out / 'train_int']
    print(f'data: {time.perf_counter() - t:.0f} s')
    from signal_lab.dispersion.picker import PickerConfig, train_picker, evaluate_picker, benchmark_table
    t = time.perf_counter()
    run = train_picker(PickerConfig(data=[str(d) for d in data], epochs=a.epochs), out / 'runs', log=None)
    print(f'train: {time.perf_counter() - t:.0f} s on {PickerConfig().threads} threads ({run.path})')
    res = evaluate_picker(run.path, {'clean': out / 'clean', 'interference': out / 'interf', 'low-velocity layers': out / 'lvl'}, out=out / 'bench.json')
    print(benchmark_table(res))
    if WGHS.is_dir():
        import pandas as pd
        sl('dispersion', 'image', *sorted(WGHS.glob('*.dat')), '--config', 'config_masw.yaml', '--out', out / 'wghs', '--overwrite')
        sl('dispersion', 'pick', run.path, *sorted((out / 'wghs').glob('*.npz')), '--out', out / 'wghs_picks', '--overwrite')
        from PIL import Image   # the docs figure: the three source positions side by side
        ims = [Image.open(out / 'wghs_picks' / f'source_{x}m_picks.png').convert('RGB') for x in (-5, -10, -20)]
        row = Image.new('RGB', (sum(i.width for i in ims), max(i.height for i in ims)), 'white')
        for k, im in enumerate(ims): row.paste(im, (sum(i.width for i in ims[:k]), 0))
        row.save(out / 'wghs_picks.png'); print(f'figure: {out / "wghs_picks.png"} (the docs keep it as nbs/images/dispersion_wghs_picks.png)')
        p = pd.read_csv(out / 'wghs_picks' / 'picks.csv'); p = p[p['mode'] == 0].pivot(index='freq_hz', columns='image', values='velocity')
        spread = (p.max(axis=1) - p.min(axis=1)) / p.median(axis=1)
        for lo, hi in ((5, 10), (10, 20), (20, 40), (40, 60)):
            s = spread[(spread.index >= lo) & (spread.index < hi)]
            print(f'WGHS fundamental, {lo}-{hi} Hz: median spread between the 3 source positions {100 * s.median():.1f}% (max {100 * s.max():.1f}%), '
                  f'velocities {p[(p.index >= lo) & (p.index < hi)].median().round(0).to_dict()}')


if __name__ == '__main__':
    main()
