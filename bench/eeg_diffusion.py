"""EEG diffusion benchmark, one torch thread (as `eeg diffuse` runs on CPU):

1. the anchor: a bare diffusers DiT (64×64×1, patch 4, 4 layers, hidden 128, ≈1.4 M parameters, batch 16) forward +
   backward + AdamW step — training images/s per core (anchor measured on this box before the project: ≈ 40/s);
2. the shipped `dit-tiny` config: the same bare loop on its model, then a real `train_diffusion` run (data, CFG dropout,
   min-SNR weights, EMA, logging; checkpoints excluded) on a synthetic dataset — and the ratio bare / real (target ≤ 1.15);
3. sampling images/s of the trained tiny model (25 DDIM steps with classifier-free guidance, batch 32).

    python bench/eeg_diffusion.py [--steps 40]
"""
import argparse, json, tempfile, time, sys
from pathlib import Path
import numpy as np


def bare_loop(net, x, cond, steps, batch=16, kind='dit'):
    "Images/s of noise + add_noise + forward + MSE + backward + AdamW step, data already in memory."
    import torch
    from diffusers import DDPMScheduler
    sch = DDPMScheduler(num_train_timesteps=1000, beta_schedule='squaredcos_cap_v2')
    opt = torch.optim.AdamW(net.parameters(), 1e-4); g = torch.Generator().manual_seed(0)
    def step(i):
        idx = torch.randint(0, len(x), (batch,), generator=g)
        x0 = x[idx]; n = torch.randn(x0.shape, generator=g); t = torch.randint(0, 1000, (batch,), generator=g)
        out = net(sch.add_noise(x0, n, t), timestep=t, class_labels=cond[idx]).sample
        loss = ((out - n) ** 2).mean(); opt.zero_grad(); loss.backward(); opt.step()
    for i in range(3): step(i)                     # warm-up
    t0 = time.perf_counter()
    for i in range(steps): step(i)
    return steps * batch / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=40, help='timed steps per bare loop')
    a = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    from diffusers import DiTTransformer2DModel
    from signal_lab.eeg.diffusion import (load_diffusion_config, train_diffusion, load_diffusion_data, SpectrogramDiffusion, load_generator,
                                          balanced_classes, disable_block_label_dropout)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))
    from test_eeg_train import _dataset
    res = {}
    torch.manual_seed(0)
    anchor = DiTTransformer2DModel(num_attention_heads=4, attention_head_dim=32, in_channels=1, num_layers=4, sample_size=64, patch_size=4, num_embeds_ada_norm=2)
    disable_block_label_dropout(anchor)
    res['anchor_params_M'] = round(sum(p.numel() for p in anchor.parameters()) / 1e6, 3)
    res['anchor_images_per_s'] = round(bare_loop(anchor, torch.randn(64, 1, 64, 64), torch.randint(0, 2, (64,)), a.steps), 1)
    print(f"anchor DiT 64×64×1 patch 4 ({res['anchor_params_M']} M): {res['anchor_images_per_s']} training images/s/core (bare diffusers loop, batch 16)")
    tmp = Path(tempfile.mkdtemp())
    folder = _dataset(tmp, 24, seconds=48, seed=5)
    n_real = a.steps * 3
    cfg = load_diffusion_config('dit-tiny', [f'data.folder={folder}', f'runs_root={tmp / "runs"}', f'train.steps={n_real}', f'train.log_every={n_real}',
                                             f'train.checkpoint_every={n_real}', 'train.threads=1'])
    d = load_diffusion_data(cfg)
    gen = SpectrogramDiffusion(cfg, d['space'], d['shape'], d['db_range']); gen.set_norm(d['x'])
    res['tiny_params_M'] = round(sum(p.numel() for p in gen.net.parameters()) / 1e6, 3)
    res['tiny_bare_images_per_s'] = round(bare_loop(gen.net, gen.encode_images(d['x']), torch.as_tensor(d['cond']), a.steps), 1)
    run = train_diffusion(cfg, log=None)
    summ = json.loads((run.path / 'train_summary.json').read_text())
    res['tiny_train_images_per_s'] = summ['images_per_s']
    res['ratio_bare_over_train'] = round(res['tiny_bare_images_per_s'] / res['tiny_train_images_per_s'], 3)
    print(f"dit-tiny ({res['tiny_params_M']} M, {d['x'].shape[1]}×{cfg.data.image_size}² per sample): bare {res['tiny_bare_images_per_s']} images/s, "
          f"train_diffusion {res['tiny_train_images_per_s']} images/s → ratio {res['ratio_bare_over_train']} (target ≤ 1.15)")
    g = load_generator(run.path, 'cpu')
    t0 = time.perf_counter(); n = 32
    g.sample(balanced_classes(g.space, n), list(range(n)), steps=25, guidance=3.0, batch_size=32)
    res['sample_images_per_s'] = round(n / (time.perf_counter() - t0), 2)
    print(f"sampling dit-tiny: {res['sample_images_per_s']} images/s/core (25 DDIM steps, guidance 3, batch 32)")
    print(json.dumps(res))


if __name__ == '__main__':
    main()
