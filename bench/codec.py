"""Codec pillar benchmark (one process, BLAS and torch at one thread unless --threads):

- corpus rendering (SoundFont synthesis + recording chain + WAV write) in seconds of audio per second (x real time),
  with score parsing timed apart; target >= 200x
- cache building (decode + resample + log-mel + z_content + descriptor32 + atomic writes) in x real time; target >= 50x,
  and its ratio to the irreducible part: audio decode + log-mel alone on the same chunks
- decoder training clips/s per stage (stage 1: L1; stage 2: all losses), and generation real-time factor
  (decoder forward, and decoder + Griffin-Lim to audio)
- the EnCodec-latent track, for the tiny and the published-size (24 kHz, random weights) frozen codec: latent cache
  building in x real time, translator training clips/s per stage (gradients through the frozen decoder), generation
  real-time factor of the full path (z_content + resample + encode + translate + decode + resample) and its ratio to
  EnCodec encode + decode alone on the same clips; target <= 1.3

    python bench/codec.py [--n-tunes 8] [--threads 1] [--encodec tiny 24khz]
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--n-tunes', type=int, default=8); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--encodec', nargs='*', default=['tiny', '24khz'], help='EnCodec sizes for the latent track (none: skip it)')
    a = ap.parse_args()
    from threadpoolctl import threadpool_limits
    import torch
    torch.set_num_threads(a.threads)
    from signal_lab.codec.corpus import build_corpus, CorpusConfig, pick_tunes
    from signal_lab.codec.cache import build_cache, read_manifest, load_audio
    from signal_lab.codec.analysis import AudioConfig, logmel, mel_to_audio
    from signal_lab.codec.labels import analyze
    from signal_lab.codec.config import TrainConfig
    from signal_lab.codec.train import train_decoder, load_train_data
    from signal_lab.codec.generators import load_decoder
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(a.threads):
        tmp = Path(tmp)
        cfg = CorpusConfig(n_tunes=a.n_tunes, instruments=['piano', 'guitar', 'strings', 'flute', 'clarinet', 'trumpet'], sources=['studio', 'hall', 'radio', 'cassette'])
        t = time.perf_counter(); pick_tunes(cfg.n_tunes, cfg.seed); parse = time.perf_counter() - t
        t = time.perf_counter(); info = build_corpus(tmp / 'corpus', cfg, workers=1, progress=False); dt = time.perf_counter() - t
        audio_s = info['seconds_of_audio']
        print(f"corpus: {info['n_clips']} clips, {audio_s:.0f} s of audio in {dt:.2f} s = {audio_s / dt:.0f}x real time per core "
              f"(of which score parsing {parse:.2f} s; rendering alone {audio_s / (dt - parse):.0f}x)")
        t = time.perf_counter(); ci = build_cache(tmp / 'corpus' / 'tracks.csv', tmp / 'cache', chunks_per_track=2, workers=1, progress=False); dc = time.perf_counter() - t
        chunk_s = ci['n_chunks'] * AudioConfig().chunk_sec
        print(f"cache: {ci['n_chunks']} chunks ({chunk_s:.0f} s of chunk audio, {ci['n_tracks']} files) in {dc:.2f} s = {chunk_s / dc:.0f}x real time per core")
        rows = read_manifest(tmp / 'corpus' / 'tracks.csv'); ac = AudioConfig()
        t = time.perf_counter()
        for r in rows:
            x, _ = load_audio(r['file'], ac.sr)
            for s in (0, ac.chunk_samples): logmel(x[s:s + ac.chunk_samples], ac)
        dk = time.perf_counter() - t
        print(f"  decode + resample + log-mel alone: {dk:.2f} s ({chunk_s / dk:.0f}x real time); cache / that = {dc / dk:.2f}")
        t = time.perf_counter(); analyze(tmp / 'cache', epochs=4, say=lambda s: None); print(f'analyze (style net + judge, 4 epochs each, probes): {time.perf_counter() - t:.1f} s')
        n_train = None
        for s1, s2 in ((2, 0), (0, 2)):
            tc = TrainConfig(cache=str(tmp / 'cache'), stage1_epochs=s1, stage2_epochs=s2, threads=a.threads)
            t = time.perf_counter(); run = train_decoder(tc, tmp / 'runs', audit=False, say=lambda s: None); dtr = time.perf_counter() - t
            import pandas as pd
            h = pd.read_csv(run.path / 'history.csv'); sec = h.seconds.sum()
            n_train = n_train or len(load_train_data(tc)[3])
            n = (n_train // tc.batch) * tc.batch * (s1 + s2)
            print(f'train stage {1 if s1 else 2}: {n / sec:.1f} clips/s ({n} clips in {sec:.1f} s of epochs; {dtr:.1f} s with loading)')
        G, _ = load_decoder(run.path)
        zc, st = torch.zeros(16, 128), torch.zeros(16, 160); ch = torch.zeros(16, G.K, 256) if G.frames else None   # the run's frame-level content
        with torch.no_grad():
            G(zc, st, None, ch); t = time.perf_counter(); out = G(zc, st, None, ch).numpy(); dg = time.perf_counter() - t
        t = time.perf_counter(); mel_to_audio(out, ac, 32); dgl = time.perf_counter() - t
        dur = 16 * ac.chunk_sec
        print(f'generation: decoder {dur / dg:.0f}x real time (16 chunks in {dg * 1e3:.0f} ms); with Griffin-Lim (32 iterations) {dur / (dg + dgl):.1f}x real time')
        if a.encodec: encodec_track(tmp, a.encodec, a.threads)


def encodec_track(tmp, sizes, threads):
    "The EnCodec-latent track on a small corpus of its own (the published-size codec encodes at ~4x real time per core)."
    import torch, pandas as pd
    from signal_lab.codec.corpus import build_corpus, CorpusConfig
    from signal_lab.codec.cache import build_cache, load_cache
    from signal_lab.codec.labels import analyze, load_analysis
    from signal_lab.codec.analysis import AudioConfig
    import torchaudio
    from signal_lab.codec.config import TrainConfig
    from signal_lab.codec.train import train_decoder
    from signal_lab.codec.latent import build_latents, ENCODEC_SR
    from signal_lab.codec.generators import load_latent_generator
    build_corpus(tmp / 'ec' / 'corpus', CorpusConfig(n_tunes=2, instruments=['flute', 'guitar', 'trumpet'], sources=['studio', 'radio'], clip_sec=8.192), workers=1, progress=False)
    build_cache(tmp / 'ec' / 'corpus' / 'tracks.csv', tmp / 'ec' / 'cache', chunks_per_track=2, workers=1, progress=False)
    cache = tmp / 'ec' / 'cache'; analyze(cache, epochs=2, say=lambda s: None)
    idx, arr = load_cache(cache); ac = AudioConfig(); A = load_analysis(cache)
    for size in sizes:
        t = time.perf_counter(); build_latents(cache, size, say=lambda s: None); dl = time.perf_counter() - t
        print(f'encodec {size}: latent cache {len(idx)} chunks at {len(idx) * ac.chunk_sec / dl:.1f}x real time')
        tc = TrainConfig(cache=str(cache), track='encodec', encodec=size, stage1_epochs=1, stage2_epochs=1, batch=8, threads=threads)
        run = train_decoder(tc, tmp / 'ec' / 'runs', audit=False, say=lambda s: None)
        h = pd.read_csv(run.path / 'history.csv')
        n_train = int(((idx.split == 'train').to_numpy() & (A['label'] >= 0) & idx.source.isin(A['info']['style_sources']).to_numpy()).sum()) // 8 * 8
        print('  translator training: ' + ', '.join(f'stage {int(r.stage)} {n_train / r.seconds:.2f} clips/s' for r in h.itertuples()) + f' ({n_train} clips per epoch, batch 8)')
        gen = load_latent_generator(run.path, arr)
        rows = np.arange(min(8, len(idx))); x = gen.path.source_audio(rows).numpy(); st = A['centroids'][np.zeros(len(rows), int)]
        gen.transfer(x[:1], st[:1])                                     # warm-up
        t = time.perf_counter(); y = gen.transfer(x, st); full = time.perf_counter() - t
        x24 = torchaudio.functional.resample(torch.from_numpy(x), ac.sr, ENCODEC_SR)[:, None]; m = gen.path.model
        with torch.no_grad():
            t = time.perf_counter(); m.decoder(m.encoder(x24)); codec = time.perf_counter() - t
        dur = len(rows) * ac.chunk_sec
        print(f'  generation: {dur / full:.1f}x real time ({len(rows)} chunks of {ac.chunk_sec} s in {full:.2f} s; EnCodec encode + decode alone {codec:.2f} s); '
              f'ratio full/codec {full / codec:.2f} (target <= 1.3)')


if __name__ == '__main__': main()
