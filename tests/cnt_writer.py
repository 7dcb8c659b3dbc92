"""A small Neuroscan .cnt (SETUP 900-byte header, 75-byte channel records, interleaved int16/int32
samples, event table) writer for tests. MNE has no CNT writer; this covers what its reader uses."""
import struct
from pathlib import Path
import numpy as np


def write_cnt(path, data, ch_names, fs, n_bytes=4, header_n_samples=None, event_offset_delta=0, header_n_channels=None, resolution_uv=0.01,
              date='08/04/18', time='10:00:00'):
    """Write `data` (channels, samples) in volts. `header_n_samples` overrides the SETUP sample count
    (a corrupt count, as in some SEED-V files); `event_offset_delta` shifts the event-table pointer and
    `header_n_channels` overrides the channel count (broken headers)."""
    data = np.asarray(data, float)
    C, N = data.shape
    h = bytearray(900)
    h[0:12] = b'Version 3.0\x00'
    h[21:23] = b'1\x00'
    h[121:127] = b'Test X'
    h[205:225] = b'session'.ljust(20, b'\x00')
    h[225:235] = date.encode().ljust(10, b'\x00'); h[235:247] = time.encode().ljust(12, b'\x00')
    struct.pack_into('<H', h, 370, C if header_n_channels is None else header_n_channels)
    struct.pack_into('<H', h, 376, int(fs))
    struct.pack_into('<hh', h, 402, -1, -1)
    h[438] = 0; h[439] = 0
    struct.pack_into('<i', h, 864, N if header_n_samples is None else header_n_samples)
    data_start = 900 + 75 * C
    event_pos = data_start + C * N * n_bytes
    struct.pack_into('<i', h, 886, event_pos + event_offset_delta)
    struct.pack_into('<f', h, 890, N / fs)
    struct.pack_into('<i', h, 894, 0)  # channel offset 0 -> samples interleaved one by one
    recs = bytearray()
    for i, name in enumerate(ch_names):
        r = bytearray(75)
        r[0:10] = name.encode()[:9].ljust(10, b'\x00')
        struct.pack_into('<ff', r, 19, float(np.cos(i)), float(np.sin(i)))  # distinct electrode positions
        struct.pack_into('<h', r, 47, 0)
        struct.pack_into('<f', r, 59, 204.8)   # sensitivity: cals = cal * sens * 1e-6 / 204.8
        struct.pack_into('<f', r, 71, resolution_uv)
        recs += r
    counts = np.round(data / (resolution_uv * 1e-6)).astype('<i4' if n_bytes == 4 else '<i2')
    body = counts.T.tobytes()  # interleaved: sample by sample, all channels
    teeg = struct.pack('<Bll', 1, 0, 0)
    p = Path(path); p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(bytes(h) + bytes(recs) + body + teeg)
    return p
