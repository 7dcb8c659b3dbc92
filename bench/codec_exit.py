"""Codec exit audits, side by side: the built-in corpus and a held-out General MIDI bank entered as user audio.

Each column is the whole job a user runs, through the CLI, timed from the first command to the audit:
`codec corpus` → (held-out: a plain track manifest `track_id, path, genre, source, group` with absolute paths, as for
one's own audio) → `codec cache` → `codec analyze` → `codec train` (defaults, exit audit included). The held-out bank
is the built-in tunes rendered with another SoundFont (Debian's fluid-soundfont-gm: FluidR3_GM.sf2); without it that
column is skipped with the reason. Prints each exit criterion with its reference and the judges' top-1 per target style.

    python bench/codec_exit.py [--out DIR] [--n-tunes 24] [--heldout-tunes 12] [--soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2]
                               [--instruments piano ... flute] [--seed 0] [--only built-in|held-out]
"""
import argparse, csv, json, subprocess, sys, tempfile, time
from pathlib import Path


def sh(*args):
    "Run `signal-lab` with `args`; stop with its message if it fails."
    exe = Path(sys.executable).parent / 'signal-lab'
    r = subprocess.run([str(exe) if exe.exists() else 'signal-lab', *map(str, args)], capture_output=True, text=True)
    if r.returncode: sys.exit(f"signal-lab {' '.join(map(str, args))} failed:\n{r.stderr[-2000:]}")
    return r.stdout


def user_manifest(corpus:Path, out:Path):
    "The corpus's clips as a plain user manifest: only the columns a user's own CSV has, absolute paths."
    rows = list(csv.DictReader(open(corpus / 'tracks.csv')))
    with open(out, 'w', newline='') as f:
        w = csv.writer(f); w.writerow(['track_id', 'path', 'genre', 'source', 'group'])
        for r in rows: w.writerow([r['track_id'], (corpus / r['path']).resolve(), r['genre'], r['source'], r['group']])


def job(root:Path, corpus_args:list, user:bool, seed:int=0) -> dict:
    "corpus → cache → analyze → train (+ audit) in `root`, every step with `seed`; the audit record and the seconds taken."
    t0 = time.perf_counter()
    sh('codec', 'corpus', '--out', root / 'corpus', *corpus_args, '--seed', seed)
    manifest = root / 'corpus' / 'tracks.csv'
    if user: manifest = root / 'user_tracks.csv'; user_manifest(root / 'corpus', manifest)
    sh('codec', 'cache', '--manifest', manifest, '--out', root / 'cache', '--chunks-per-track', 2, '--workers', 2, '--seed', seed)
    sh('codec', 'analyze', '--cache', root / 'cache', '--seed', seed)
    sh('codec', 'train', '--cache', root / 'cache', '--runs', root / 'runs', '--seed', seed)
    res = json.loads(next((root / 'runs').glob('codec/run*/exit_audit.json')).read_text())
    res['job_seconds'] = round(time.perf_counter() - t0, 1); return res


def rows(a:dict) -> list:
    "(name, value) lines of one audit."
    e, b, f = a['exit_criteria'], a['baselines'], lambda v: '-' if v is None else f'{v:.3f}'
    ok = lambda c: {True: 'PASS', False: 'fail', None: '-'}[c.get('passed')]
    out = [('job (corpus → audit), s', f"{a['job_seconds']:.0f}"),
           ('MPS / oracle / negative', f"{f(a['mps']['output']['mean'])} / {f(a['mps']['oracle']['mean'])} / {f(a['mps']['negative_control']['mean'])}"),
           ('  ≥ 0.85 × oracle', f"{ok(e['mps_vs_oracle'])} (ratio {f(e['mps_vs_oracle']['ratio'])})"),
           ('MPS direct / oracle / negative', f"{f(b['mps_direct']['output']['mean'])} / {f(b['mps_direct']['oracle']['mean'])} / {f(b['mps_direct']['negative_control']['mean'])}"),
           ('MPS baselines: train mean / style mean / copy', f"{f(b['train_mean']['mps_griffin_lim'])} / {f(b['target_style_mean']['mps_griffin_lim'])} / {f(b['source_copied']['mps_griffin_lim'])}"),
           ('decoder ignores content', str(b['decoder_ignores_content'])),
           ('chroma vs score / oracle / negative', f"{f(a['content_vs_score'].get('output'))} / {f(a['content_vs_score'].get('oracle'))} / {f(a['content_vs_score'].get('negative'))}"),
           ('  ≥ 0.8 × oracle', ok(e['chroma_vs_oracle'])),
           ('stage-1 L1 / style mean / train mean', f"{f(a['stage1']['logmel_l1'])} / {f(b['stage1']['own_style_mean']['logmel_l1'])} / {f(b['stage1']['train_mean']['logmel_l1'])}"),
           ('  ≤ 0.8 × style mean', ok(e['stage1_vs_style_mean'])),
           ('SF judge: outputs / real target audio', f"{f(a['sf']['judge_on_output'])} / {f(a['sf']['judge_on_real_target_audio'])}"),
           ('intra-FD(z_style) per target style: outputs / unshifted', f"{f(a['frechet_z_style'].get('intra_output'))} / {f(a['frechet_z_style'].get('intra_unshifted_source'))}"),
           ('FD(z_style) pooled: outputs / unshifted', f"{f(a['frechet_z_style']['output_vs_real_target'])} / {f(a['frechet_z_style']['unshifted_source_vs_real_target'])}")]
    for j in ('judge', 'mfcc_judge'):
        per = a['sf']['per_target_style']
        out.append((f'{j} top-1 per target style (on real)', ', '.join(f"{k} {v[j]['top1_on_output']:.2f} ({v[j].get('top1_on_real', float('nan')):.2f})" for k, v in per.items() if j in v)))
        sv = e['style_vs_chance'].get(j)
        if sv: out.append((f'  every style ≥ {sv["threshold"]:.2f} (2 × chance)', 'PASS' if sv['passed'] else f"fail: {', '.join(sv['failing'])}"))
    out += [('legacy MPS ≥ 0.90', ok(e['legacy_mps'])), ('legacy SF ≥ 0.85', ok(e['legacy_sf']))]
    return out


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--out', default=None, help='keep the runs here (default: a temporary folder)')
    ap.add_argument('--n-tunes', type=int, default=24); ap.add_argument('--heldout-tunes', type=int, default=12)
    ap.add_argument('--soundfont', default='/usr/share/sounds/sf2/FluidR3_GM.sf2')
    ap.add_argument('--instruments', nargs='+', default=None, help='styles of both banks (default: the corpus default)')
    ap.add_argument('--seed', type=int, default=0, help='seed of every step'); ap.add_argument('--only', choices=['built-in', 'held-out'], default=None)
    a = ap.parse_args(); inst = ['--instruments', *a.instruments] if a.instruments else []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(a.out or tmp); cols = {}
        if a.only != 'held-out':
            print('built-in corpus ...', flush=True); cols['built-in'] = rows(job(root / 'builtin', ['--n-tunes', a.n_tunes, *inst], False, a.seed))
        if a.only != 'built-in' and Path(a.soundfont).exists():
            print(f'held-out bank ({Path(a.soundfont).name}) as user audio ...', flush=True)
            cols['held-out'] = rows(job(root / 'heldout', ['--n-tunes', a.heldout_tunes, '--soundfont', a.soundfont, *inst], True, a.seed))
        elif a.only != 'built-in': print(f'held-out bank skipped: {a.soundfont} absent (Debian/Ubuntu: apt-get install fluid-soundfont-gm)')
        if not cols: sys.exit('nothing was run')
        names = [n for n, _ in next(iter(cols.values()))]
        print('\n| | ' + ' | '.join(cols) + ' |\n|---|' + '---|' * len(cols))
        for i, n in enumerate(names): print(f'| {n} | ' + ' | '.join(c[i][1] for c in cols.values()) + ' |')


if __name__ == '__main__':
    main()
