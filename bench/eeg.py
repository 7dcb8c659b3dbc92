"""EEG benchmark: a 64-channel, 1-hour, 256 Hz EDF (written once, through MNE's exporter), then
hours of EEG processed per second in one process for read + resample + STFT + write (the preprocessor's
whole per-recording path: 8-s windows, one float16 array per recording), each step alone, the ratio of end to
end to the STFT alone, and how fast a dataset reads windows back. Threads are limited as in the pipeline
(one torch thread, one BLAS thread), whatever the environment says.

    python bench/eeg.py [--minutes 60] [--channels 64] [--fs 256]
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--minutes', type=float, default=60); ap.add_argument('--channels', type=int, default=64)
    ap.add_argument('--fs', type=float, default=256.0)
    a = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    from signal_lab.eeg.synthetic import synthetic_eeg, write_recording
    from signal_lab.eeg.settings import load_settings
    from signal_lab.eeg.preprocess import BaseSpectrogramPreprocessor, Recording
    from signal_lab.eeg.spectrogram import resample, psd_stft, to_db
    hours = a.minutes / 60
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        x, names = synthetic_eeg(a.channels, a.minutes * 60, a.fs, seed=0)
        f = write_recording(tmp / 'raw' / 'bench.edf', x, names, a.fs)
        print(f'wrote {f.stat().st_size / 1e6:.0f} MB EDF ({a.channels} ch, {a.minutes:g} min, {a.fs:g} Hz) in {time.perf_counter() - t:.1f} s')

        class Bench(BaseSpectrogramPreprocessor):
            name = 'math'
            channels = names
            def recordings(self): return [Recording('bench', 'b0', f)]
        pre = Bench(load_settings(), root=tmp / 'raw', output=tmp / 'out')
        sp = pre.sp
        import scipy.signal, mne.io  # one-off imports (about 1.5 s per process) are not per-hour costs
        pre.process_recording(pre.recordings()[0], 'train')  # warm-up run
        runs = []
        for i in range(3):  # each run writes a new output folder, as a preprocess does (replacing files is a different cost:
            pre.output = tmp / f'out{i}'  # on this ext4 with online discard, freeing the replaced blocks slows each run)
            t = time.perf_counter(); rows = pre.process_recording(pre.recordings()[0], 'train'); runs.append(time.perf_counter() - t)
        total = float(np.median(runs))
        from signal_lab.core.parallel import one_blas_thread
        from signal_lab.core.io import write_bytes
        import io
        with one_blas_thread():   # as process_recording does
            t = time.perf_counter(); data, fs = pre.read_raw(pre.recordings()[0]); t_read = time.perf_counter() - t
            t = time.perf_counter(); xr = resample(data, fs, sp.resample_hz); t_res = time.perf_counter() - t
            n_win = int(sp.chunk_seconds * sp.resample_hz)
            starts = list(range(0, xr.shape[1] - n_win + 1, n_win)); B = int(60 // sp.chunk_seconds)
            t = time.perf_counter(); out = []
            for b0 in range(0, len(starts), B):  # the same batching as the preprocessor
                xb = np.stack([xr[:, s:s + n_win] for s in starts[b0:b0 + B]]).reshape(-1, n_win)
                out.append(to_db(psd_stft(xb, sp.resample_hz, sp.n_fft, sp.win_length, sp.hop_length, sp.window), inplace=True).half().numpy())
            t_stft = time.perf_counter() - t
            arr = np.concatenate(out).reshape(len(starts), xr.shape[0], *out[0].shape[1:])
            t = time.perf_counter(); b = io.BytesIO(); np.save(b, arr); write_bytes(tmp / 'w' / 'bench.npy', b.getvalue(), fsync=False)
            t_write = time.perf_counter() - t
        # reading windows back as a dataset does: every window once, memory-mapped, vs one .npy file per window
        from signal_lab.eeg.preprocess import load_window
        import pandas as pd
        md = pd.DataFrame(rows); root = tmp / 'out2'; recs = md[['file_name', 'window_index']].to_dict('records')
        t = time.perf_counter()
        for r in recs: load_window(root, r).astype(np.float32)
        t_ds = time.perf_counter() - t
        (tmp / 'per').mkdir()
        for k in range(len(arr)): np.save(tmp / 'per' / f'w{k:05d}.npy', arr[k])
        t = time.perf_counter()
        for k in range(len(arr)): np.load(tmp / 'per' / f'w{k:05d}.npy').astype(np.float32)
        t_per = time.perf_counter() - t
        print(f'{len(rows)} windows of {sp.chunk_seconds:g} s; 1 process, 1 torch + 1 BLAS thread; median of 3 runs after a warm-up')
        print(f'  read (MNE EDF, picks, demean + float32)  {t_read:6.2f} s')
        print(f'  resample {fs:g}->{sp.resample_hz:g} Hz               {t_res:6.2f} s')
        print(f'  STFT + dB + float16                   {t_stft:6.2f} s  ({hours / t_stft:.2f} h of EEG/s)')
        print(f'  write one float16 array ({arr.nbytes / 1e6:.0f} MB)        {t_write:6.2f} s')
        print(f'end to end, runs {", ".join(f"{r:.2f}" for r in runs)} s; median {total:.2f} s = {hours / total:.2f} h of EEG per second per process (target >= 1.0)')
        print(f'ratio end to end / STFT alone: {total / t_stft:.2f}')
        print(f'dataset reads: {len(recs) / t_ds:.0f} windows/s memory-mapped from the recording array vs {len(arr) / t_per:.0f} windows/s from one file per window')
        print(f'files per 1,000 windows: {1000 / len(rows):.1f} (one per recording of {len(rows)} windows; was 1,000)')


if __name__ == '__main__':
    main()
