"""Codec pillar benchmark (one process, BLAS and torch at one thread unless --threads):

- corpus rendering (SoundFont synthesis + recording chain + WAV write) in seconds of audio per second (x real time),
  with score parsing timed apart; target >= 200x
- cache building (decode + resample + log-mel + z_content + descriptor32 + atomic writes) in x real time; target >= 50x,
  and its ratio to the irreducible part: audio decode + log-mel alone on the same chunks
- decoder training clips/s per stage (stage 1: L1; stage 2: all losses), and generation real-time factor
  (decoder forward, and decoder + Griffin-Lim to audio)

    python bench/codec.py [--n-tunes 8] [--threads 1]
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--n-tunes', type=int, default=8); ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    from threadpoolctl import threadpool_limits
    import torch
    torch.set_num_threads(a.threads)
    from signal_lab.codec.corpus import build_corpus, CorpusConfig, pick_tunes
    from signal_lab.codec.cache import build_cache, read_manifest, load_audio
    from signal_lab.codec.analysis import AudioConfig, logmel, mel_to_audio
    from signal_lab.codec.labels import analyze
    from signal_lab.codec.train import TrainConfig, train_decoder, load_decoder
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
            from signal_lab.codec.train import _load_data
            n_train = n_train or len(_load_data(tc)[3])
            n = (n_train // tc.batch) * tc.batch * (s1 + s2)
            print(f'train stage {1 if s1 else 2}: {n / sec:.1f} clips/s ({n} clips in {sec:.1f} s of epochs; {dtr:.1f} s with loading)')
        G, _ = load_decoder(run.path)
        zc, st = torch.zeros(16, 128), torch.zeros(16, 160)
        with torch.no_grad():
            G(zc, st); t = time.perf_counter(); out = G(zc, st).numpy(); dg = time.perf_counter() - t
        t = time.perf_counter(); mel_to_audio(out, ac, 32); dgl = time.perf_counter() - t
        dur = 16 * ac.chunk_sec
        print(f'generation: decoder {dur / dg:.0f}x real time (16 chunks in {dg * 1e3:.0f} ms); with Griffin-Lim (32 iterations) {dur / (dg + dgl):.1f}x real time')


if __name__ == '__main__': main()
