"""Do the EEG classifiers learn what holds across subjects? A benchmark on data made here (never the quickstart's fixtures).

    python bench/eeg_generalise.py                       # 20 subjects, 5 split seeds, every trunk, baselines (about 20 min on a core)
    python bench/eeg_generalise.py --inputs relative,db  # also every trunk on the stored dB
    python bench/eeg_generalise.py --quick               # 20 subjects, 2 seeds, fbank + bandpower only (about a minute)
    python bench/eeg_generalise.py --cohort-seed 1       # another cohort: other subjects, effects and gains

Data: `signal_lab.eeg.synthetic.make_state_cohort` — EEGMAT layout (rest `_1` / mental arithmetic `_2`, 60 s, 21 channels
at 500 Hz with the real files' names); the task recording has frontal theta up and parietal alpha down by an amount
drawn per subject, over per-subject channel gains (lognormal σ 0.3), per-file jitter, mains and DC offsets. It goes
through `signal-lab eeg preprocess` (the `math` preprocessor) once; each split seed then re-assigns subjects
(grouped, 60/20/20: e.g. 12/4/4 of 20) with `core.splits.assign_splits`.

Models, each trained by `signal_lab.eeg.train.train` and scored by `signal_lab.eeg.evaluate.evaluate` on the test
subjects, all with the shipped `state` config's training settings: every deep trunk (`fbank`, the default, first), the
`bandpower` trunk (log band power per channel + a linear head: logistic regression), the `riemann` trunk (tangent-space
logistic regression on the channel covariances stored at preprocess, pyRiemann's mean), scikit-learn's
LogisticRegression on band-power features (the reference baseline, with a shuffled control), and the default trunk
with shuffled labels (the control). Printed per
model: window, recording and paired-subject accuracy, mean ± std over split seeds. Same thread limits as the product
(`train.threads` = 1 per run).
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np


def cohort(out:Path, n_subjects:int, seconds:float, seed:int=0) -> Path:
    "Raw EDF cohort + one preprocessing run (cached in `out`)."
    from signal_lab.eeg.synthetic import make_state_cohort
    from signal_lab.eeg.settings import load_settings
    from signal_lab.eeg.preprocess import MathPreprocessor
    raw, proc = out / 'raw', out / 'processed'
    if not (raw / 'eegmat').exists(): make_state_cohort(raw / 'eegmat', n_subjects, seconds, seed=seed)
    st = load_settings(None, overrides=[f'data_root={raw}', f'output_root={proc}', 'splits={"train": 0.6, "val": 0.2, "test": 0.2}'])
    MathPreprocessor(st).run(progress=False)   # resumes: recordings preprocessed with these settings are skipped
    return proc / 'math'


def resplit(folder:Path, out:Path, seed:int) -> Path:
    "A dataset folder whose metadata.csv points at `folder`'s arrays with subjects re-assigned to splits by `seed`."
    import pandas as pd
    from signal_lab.core.splits import assign_splits
    out.mkdir(parents=True, exist_ok=True)
    md = pd.read_csv(folder / 'metadata.csv', dtype={'subject_id': str, 'session': str})
    a = assign_splits(sorted(md.subject_id.unique()), {'train': 0.6, 'val': 0.2, 'test': 0.2}, seed=seed)
    md['split'] = md.subject_id.map(a); md['file_name'] = [str((folder / f).resolve()) for f in md.file_name]
    md.to_csv(out / 'metadata.csv', index=False)
    return out


def band_features(x:np.ndarray, freqs:np.ndarray) -> np.ndarray:
    "Log band power per channel: log of the mean linear power in each standard band, averaged over frames."
    from signal_lab.eeg.models import band_bins
    p = 10 ** (x.astype(np.float64) / 10)
    return np.concatenate([np.log(p[:, :, i].mean((2, 3))) for i in band_bins(freqs).values()], 1)


def sklearn_baseline(folder:Path, shuffle:bool=False, seed:int=0) -> dict:
    "StandardScaler + LogisticRegression on log band power (each channel's mean log power removed, as model.input=relative)."
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from signal_lab.eeg.train import read_metadata, task_specs, load_split, bin_freqs, shuffle_labels
    from signal_lab.eeg.evaluate import by_subject, paired_subject
    md = read_metadata(folder); specs = task_specs(md, ['state'])
    tr, te = load_split(folder, md, 'train', specs), load_split(folder, md, 'test', specs)
    f = bin_freqs(tr['rows'], tr['x'].shape[2])
    def feats(d):
        b = band_features(d['x'], f).reshape(len(d['x']), -1, 5)
        return (b - b.mean((1, 2), keepdims=True)).reshape(len(d['x']), -1)   # each window's mean log power removed
    ytr = shuffle_labels(tr['y'], tr['subjects'], seed)['state'] if shuffle else tr['y']['state']
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)).fit(feats(tr), ytr.astype(int))
    p = clf.predict_proba(feats(te)); y = te['y']['state'].astype(int)
    out = dict(window=float((p.argmax(1) == y).mean()))
    recs, ry, rp = by_subject(te['rows'].file_name.to_numpy(), y, p, False)
    out['recording'] = float((rp.argmax(1) == ry).mean())
    rs = np.array([te['subjects'][te['rows'].file_name.to_numpy() == r][0] for r in recs])
    out['paired'] = paired_subject(rs, ry.astype(int), rp[:, 1])['accuracy']
    return out


def deep(folder:Path, runs:Path, trunk:str, inp:str, seed:int, epochs:int, shuffle:bool=False, extra=()) -> dict:
    from signal_lab.eeg.train import train
    from signal_lab.eeg.evaluate import evaluate
    name = f'{trunk}-{inp}' + ('-shuffled' if shuffle else '')
    if trunk == 'riemann': extra = [*extra, 'model.channel_dropout=0']   # covariances: no spectrogram augmentation
    sets = [f'data.folder={folder}', f'runs_root={runs}', f'name={name}', f'model.trunk={trunk}', f'model.input={inp}',
            f'train.epochs={epochs}', f'train.seed={seed}', 'train.tensorboard=false', *extra] + (['train.shuffle_labels=true'] if shuffle else [])
    run = train('state', sets, log=None, progress=False)
    s = evaluate(run.path, 'test', n_boot=50, n_perm=200, plots=False, log=None)['tasks']['state']
    return dict(window=s['window']['accuracy'], recording=(s.get('recording') or {}).get('accuracy', float('nan')),
                paired=(s.get('paired_subject') or {}).get('accuracy', float('nan')), steps=run.state.get('step'))


def plot(table:dict, path:Path, title:str):
    "Window and paired-subject accuracy per model (mean ± std over split seeds), chance marked."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = list(table)[::-1]; y = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(names) + 1.2))
    for j, (q, c, lab) in enumerate((('window', 'C0', 'window'), ('recording', 'C2', 'recording'), ('paired', 'C1', 'paired subject'))):
        m = [table[n][q][0] for n in names]; sd = [table[n][q][1] for n in names]
        ax.barh(y + (j - 1) * 0.27, m, 0.27, xerr=sd, color=c, label=lab, error_kw=dict(lw=0.8))
    ax.axvline(0.5, color='k', ls=':', lw=1, label='chance')
    ax.set_yticks(y, names, fontsize=8); ax.set_xlim(0, 1.05); ax.set_xlabel('accuracy on unseen subjects (mean ± std over split seeds)')
    ax.legend(fontsize=7, loc='upper center', bbox_to_anchor=(0.5, -0.09 * 14 / len(names)), ncol=4); ax.set_title(title, fontsize=9)   # below: never over a bar
    fig.savefig(path, dpi=80, bbox_inches='tight'); plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--subjects', type=int, default=20, help='subjects in the cohort (20: 12/4/4 per split)'); p.add_argument('--seconds', type=float, default=60.0)
    p.add_argument('--seeds', type=int, default=None, help='split seeds (default 5; --quick: 2)'); p.add_argument('--epochs', type=int, default=60, help='as the shipped state config')
    p.add_argument('--trunks', default=None, help='comma list (default: fbank,cnn,cnn_light,resnet2d,transformer,spectral,bandpower,riemann; --quick: fbank,bandpower); the first gets the shuffled control')
    p.add_argument('--inputs', default='relative', help='comma list of relative,db (riemann runs once: covariances)')
    p.add_argument('--quick', action='store_true', help='20 subjects, 2 seeds, fbank + bandpower, relative input only')
    p.add_argument('--cohort-seed', type=int, default=0, help='seed of the synthetic cohort (another seed: other subjects, effects and gains)')
    p.add_argument('--out', default='bench/out/eeg_generalise')
    p.add_argument('--set', action='append', default=[], help='KEY=VALUE for every deep run (e.g. model.channel_dropout=0.2)')
    p.add_argument('--plot-only', default=None, help="redraw the figure from a results.json (no training)")
    a = p.parse_args(argv)
    if a.plot_only:
        r = json.loads(Path(a.plot_only).read_text()); png = Path(a.plot_only).with_suffix('.png')
        plot(r['table'], png, f"EEG state (rest vs arithmetic) on {r['args']['subjects']} synthetic subjects, {r['args']['seeds']} split seeds"); print(png); return
    a.seeds = a.seeds or (2 if a.quick else 5)
    a.trunks = a.trunks or ('fbank,bandpower' if a.quick else 'fbank,cnn,cnn_light,resnet2d,transformer,spectral,bandpower,riemann')
    out = Path(a.out); t0 = time.perf_counter()
    folder = cohort(out / (f'cohort_{a.subjects}x{a.seconds:g}s' + (f'_seed{a.cohort_seed}' if a.cohort_seed else '')), a.subjects, a.seconds, a.cohort_seed)
    print(f'cohort: {a.subjects} subjects × (rest, arithmetic) × {a.seconds:g} s, preprocessed in {time.perf_counter() - t0:.0f} s -> {folder}', flush=True)
    rows = {}
    for s in range(a.seeds):
        f = resplit(folder, out / f'split{s}', s)
        runs = out / f'runs{s}'
        for trunk in a.trunks.split(','):
            for inp in (a.inputs.split(',') if trunk != 'riemann' else ['relative']):
                t = time.perf_counter(); r = deep(f, runs, trunk, inp, s, a.epochs, extra=a.set)
                rows.setdefault(trunk if trunk == 'riemann' else f'{trunk} ({inp})', []).append(r)
                print(f'seed {s} {trunk:11s} {inp:8s} window {r["window"]:.3f} recording {r["recording"]:.3f} paired {r["paired"]:.3f} '
                      f'({r["steps"]} steps, {time.perf_counter() - t:.0f} s)', flush=True)
        default = a.trunks.split(',')[0]
        r = deep(f, runs, default, 'relative', s, a.epochs, shuffle=True, extra=a.set); rows.setdefault(f'{default} (relative), shuffled labels', []).append(r)
        print(f'seed {s} {default} shuffled: window {r["window"]:.3f}', flush=True)
        for sh in (False, True):
            r = sklearn_baseline(f, sh, s); rows.setdefault('band power + LogisticRegression' + (', shuffled labels' if sh else ''), []).append(r)
        print(f'seed {s} sklearn band power + LR: window {rows["band power + LogisticRegression"][-1]["window"]:.3f}', flush=True)
    print(f'\n{a.subjects} subjects ({int(0.2 * a.subjects + 0.5)} unseen test subjects per split), {a.seeds} split seeds, {a.epochs} epochs; '
          f'mean ± std over seeds; {time.perf_counter() - t0:.0f} s in all')
    print(f'| model | window acc | recording acc | paired-subject acc |\n|---|---|---|---|')
    table = {}
    for k, v in rows.items():
        m = {q: (float(np.nanmean([r[q] for r in v])), float(np.nanstd([r[q] for r in v]))) for q in ('window', 'recording', 'paired')}
        table[k] = m
        print(f'| {k} | ' + ' | '.join(f'{m[q][0]:.3f} ± {m[q][1]:.3f}' for q in ('window', 'recording', 'paired')) + ' |')
    (out / 'results.json').write_text(json.dumps(dict(args=vars(a), table=table, runs=rows), indent=1))
    plot(table, out / 'results.png', f'EEG state (rest vs arithmetic) on {a.subjects} synthetic subjects, {a.seeds} split seeds'); print(f'figure: {out / "results.png"}')


if __name__ == '__main__':
    main()
