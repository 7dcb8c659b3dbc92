"""#35: bad input across every subcommand — one line on stderr naming the file or field, exit code 2, no traceback,
and every byte that was there before unchanged (the fixtures and the case's own folder are hashed before and after).

Run as a script for the table of commands × cases: `python tests/test_bad_input.py [FOLDER]`."""
import shutil, sys, time
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import cli_here, tree

pytestmark = pytest.mark.slow   # fast twins: tests/test_cli.py (one case of each kind)


def build(F):
    "Small real outputs of every pillar, through the CLI: the inputs the cases damage (copies; these stay untouched)."
    F = Path(F); F.mkdir(parents=True, exist_ok=True)
    def run(*a):
        r = cli_here(*a); assert r.returncode == 0, (a, r.stdout[-2000:], r.stderr[-2000:])
    run('dispersion', 'generate', '--samples', '3', '--set', f'paths.output_root={F}/disp')
    run('defects', 'generate', '--output', F / 'def', '--num-images', '30')
    run('defects', 'train', '--data-root', F / 'def', '--epochs', '1', '--batch-size', '8', '--out', F / 'clf')
    run('defects', 'embed', '--data-root', F / 'def', '--epochs', '1', '--batch-size', '8', '--out', F / 'emb', '--emb-dim', '16')
    from test_eeg_train import _dataset
    _dataset(F / 'eeg', 10, seconds=16, seed=7, splits='{"train": 0.6, "val": 0.2, "test": 0.2}')
    run('eeg', 'train', '--config', 'smoke', '--set', f'data.folder={F}/eeg/processed/parkinsons', '--set', f'runs_root={F}/eruns', '--set', 'train.epochs=1')
    run('eeg', 'diffuse', '--config', 'dit-tiny', '--set', f'data.folder={F}/eeg/processed/parkinsons', '--set', f'runs_root={F}/druns',
        '--set', 'train.steps=2', '--set', 'data.splits=["train","val","test"]')
    run('eeg', 'sample', F / 'druns/dit-tiny/run1', '--n', '4', '--steps', '2', '--out', F / 'gen')
    run('codec', 'train', '--smoke', '--no-audit', '--runs', F / 'cr')
    run('codec', 'audit', F / 'cr/codec/run1', '--n-eval', '4')
    tiny = ['--set', 'grid.nf=32', '--set', 'grid.nv=64']   # a picker on the MASW config at a tiny size
    run('dispersion', 'generate', '--config', 'config_masw.yaml', '--samples', '24', '--set', f'paths.output_root={F}/masw', *tiny)
    run('dispersion', 'train-picker', '--data', F / 'masw', '--runs', F / 'pruns', '--epochs', '1', '--batch', '8', '--width', '4', '--depth', '2')
    return F


# ---- ways to damage a copy -------------------------------------------------------------------------------------
def cp(src, dst):
    "A copy of a fixture file or folder at `dst` (returned)."
    dst = Path(dst); dst.parent.mkdir(parents=True, exist_ok=True)
    (shutil.copytree if Path(src).is_dir() else shutil.copy)(src, dst); return dst

def cut(p, keep=0.5):
    "Truncate a file to `keep` of its bytes."
    b = Path(p).read_bytes(); Path(p).write_bytes(b[:max(1, int(len(b) * keep))]); return p

def zero(p): Path(p).write_bytes(b''); return p
def garbage(p): Path(p).write_bytes(bytes(range(256)) * 8); return p
def afile(w): (w / 'afile').write_text('keep me'); return w / 'afile'
def first(folder, pattern): return sorted(Path(folder).rglob(pattern))[0]

def npz_nan(p):
    import numpy as np
    z = dict(np.load(p, allow_pickle=False)); z['embeddings'] = z['embeddings'].copy(); z['embeddings'][3, 2] = np.nan
    np.savez(p, **z); return p

def npy_1d(p):
    import numpy as np
    np.save(p, np.arange(5.0)); return p

def drop_column(p, col):
    import pandas as pd
    pd.read_csv(p).drop(columns=[col]).to_csv(p, index=False); return p

def unfinish(run, final='decoder.pt'):
    "A finished run made to look stopped before its end (its `final` file gone, status running): the next `--resume` loads its checkpoint."
    import json
    (run / final).unlink(); st = json.loads((run / 'run_state.json').read_text()); st['status'] = 'running'
    (run / 'run_state.json').write_text(json.dumps(st)); return run

MASW = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'real-masw' / 'wghs'

def masw(*names):
    "Real SEG2 shots from ../shared (the case is skipped where it is absent)."
    if not MASW.is_dir(): pytest.skip(f'real MASW records not found at {MASW}')
    return [str(MASW / n) for n in names]

def nan_sample(folder):
    "One NaN in one generated sample."
    import numpy as np
    f = first(folder, '*.npy'); a = np.load(f); a.flat[7] = np.nan; np.save(f, a); return f


# ---- the cases: (command, what, setup(F, w) -> argv, words the one line must hold) ------------------------------
D = lambda F, w, *a: ['dispersion', *a]
CASES = [
    # dispersion
    ('dispersion init-config', 'path under a file', lambda F, w: ['dispersion', 'init-config', f'{afile(w)}/c.yaml'], ['afile']),
    ('dispersion init-config', 'not a config suffix', lambda F, w: ['dispersion', 'init-config', f'{w}/c.txt'], ['YAML']),
    ('dispersion init-config', 'existing file', lambda F, w: ((w / 'c.yaml').write_text('seed: 1\n'), ['dispersion', 'init-config', f'{w}/c.yaml'])[1], ['c.yaml', '--overwrite']),
    ('dispersion init-config', 'a folder', lambda F, w: ['dispersion', 'init-config', str(w)], ['{w}']),
    ('dispersion init-config', 'unknown option', lambda F, w: ['dispersion', 'init-config', f'{w}/c.yaml', '--force'], ['--force']),
    ('dispersion generate', 'missing config', lambda F, w: ['dispersion', 'generate', '--config', f'{w}/no.yaml', '--samples', '1'], ['no.yaml']),
    ('dispersion generate', 'binary config', lambda F, w: ['dispersion', 'generate', '--config', str(garbage(w / 'g.yaml')), '--samples', '1'], ['g.yaml']),
    ('dispersion generate', 'unknown key', lambda F, w: ['dispersion', 'generate', '--samples', '1', '--set', 'nonsense.key=1', '--set', f'paths.output_root={w}/d'], ['nonsense']),
    ('dispersion generate', 'zero samples', lambda F, w: ['dispersion', 'generate', '--samples', '0', '--set', f'paths.output_root={w}/d'], ['--samples']),
    ('dispersion generate', 'output under a file', lambda F, w: ['dispersion', 'generate', '--samples', '1', '--set', f'paths.output_root={afile(w)}/d'], ['afile']),
    ('dispersion generate', 'bad value type', lambda F, w: ['dispersion', 'generate', '--samples', '1', '--set', 'seed=abc', '--set', f'paths.output_root={w}/d'], ['seed']),
    ('dispersion generate', 'workers 0', lambda F, w: ['dispersion', 'generate', '--samples', '1', '--workers', '0', '--set', f'paths.output_root={w}/d'], ['--workers']),
    ('dispersion generate', 'existing dataset, no --resume', lambda F, w: ['dispersion', 'generate', '--samples', '3', '--set', f'paths.output_root={cp(F / "disp", w / "d")}'], ['--resume']),
    ('dispersion inspect', 'unknown sample id', lambda F, w: ['dispersion', 'inspect', '--sample-id', 'zzzz', '--output', f'{w}/p.png', '--set', f'paths.output_root={F}/disp'], ['zzzz']),
    ('dispersion inspect', 'no dataset there', lambda F, w: ['dispersion', 'inspect', '--output', f'{w}/p.png', '--set', f'paths.output_root={w}/none'], ['none']),
    ('dispersion inspect', 'truncated record', lambda F, w: ['dispersion', 'inspect', '--output', f'{w}/p.png', '--set',
                                                              f'paths.output_root={[cut(r) for r in sorted((cp(F / "disp", w / "d") / "records").glob("*.npz"))][0].parents[1]}'], ['.npz']),
    ('dispersion inspect', 'output under a file', lambda F, w: ['dispersion', 'inspect', '--output', f'{afile(w)}/p.png', '--set', f'paths.output_root={F}/disp'], ['afile']),
    ('dispersion inspect', 'garbage manifest', lambda F, w: ['dispersion', 'inspect', '--output', f'{w}/p.png', '--set',
                                                              f'paths.output_root={garbage(cp(F / "disp", w / "d") / "manifests" / "labels.jsonl").parents[1]}'], ['labels.jsonl']),
    ('dispersion validate', 'missing manifest', lambda F, w: ['dispersion', 'validate', f'{w}/labels.jsonl'], ['labels.jsonl']),
    # a validator's verdict: the report on stdout, exit 1 and one line on stderr naming the first problem
    ('dispersion validate', '0-byte manifest', lambda F, w: ['dispersion', 'validate', str(zero(cp(F / 'disp', w / 'd') / 'manifests' / 'labels.jsonl'))], ['labels.jsonl', 'INVALID'], 1),
    ('dispersion validate', 'truncated record', lambda F, w: ['dispersion', 'validate', str(cut(first(cp(F / 'disp', w / 'd') / 'records', '*.npz')).parents[1] / 'manifests' / 'labels.jsonl')], ['.npz', 'INVALID'], 1),
    ('dispersion validate', 'binary manifest', lambda F, w: ['dispersion', 'validate', str(garbage(cp(F / 'disp', w / 'd') / 'manifests' / 'labels.jsonl'))], ['labels.jsonl']),
    ('dispersion validate', 'a folder', lambda F, w: ['dispersion', 'validate', str(w)], ['{w}']),
    ('dispersion quality', 'missing manifest', lambda F, w: ['dispersion', 'quality', f'{w}/labels.jsonl'], ['labels.jsonl', 'not found']),
    ('dispersion quality', '0-byte manifest', lambda F, w: ['dispersion', 'quality', str(zero(cp(F / 'disp', w / 'd') / 'manifests' / 'labels.jsonl'))], ['labels.jsonl']),
    ('dispersion quality', 'truncated record', lambda F, w: ['dispersion', 'quality', str(cut(first(cp(F / 'disp', w / 'd') / 'records', '*.npz')).parents[1] / 'manifests' / 'labels.jsonl')], ['.npz']),
    ('dispersion quality', 'sigma <= 0', lambda F, w: ['dispersion', 'quality', f'{F}/disp/manifests/labels.jsonl', '--sigma', '0'], ['--sigma']),
    ('dispersion quality', 'json under a file', lambda F, w: ['dispersion', 'quality', f'{F}/disp/manifests/labels.jsonl', '--json', f'{afile(w)}/q.json'], ['afile']),
    ('dispersion image', 'missing file', lambda F, w: ['dispersion', 'image', f'{w}/none.dat', '--out', f'{w}/o'], ['none.dat', 'not found']),
    ('dispersion image', 'not a SEG2 file', lambda F, w: ['dispersion', 'image', str(garbage(w / 'shot.dat')), '--out', f'{w}/o'], ['shot.dat', 'SEG2']),
    ('dispersion image', 'truncated SEG2', lambda F, w: ['dispersion', 'image', str(cut(cp(masw('6.dat')[0], w / '6.dat'), 0.3)), '--out', f'{w}/o'], ['6.dat']),
    ('dispersion image', 'two source positions, one --source', lambda F, w: ['dispersion', 'image', *masw('6.dat', '16.dat'), '--source', '-5', '--out', f'{w}/o'], ['16.dat', 'one source position']),
    ('dispersion image', 't-max 0', lambda F, w: ['dispersion', 'image', *masw('6.dat'), '--t-max', '0', '--out', f'{w}/o'], ['--t-max']),
    ('dispersion image', 'out under a file', lambda F, w: ['dispersion', 'image', *masw('6.dat'), '--out', f'{afile(w)}/o'], ['afile']),
    ('dispersion image', 'images already there', lambda F, w: ((w / 'o').mkdir(), (w / 'o' / 'source_-5m.npz').write_bytes(b'old'),
                                                             ['dispersion', 'image', *masw('6.dat'), '--out', f'{w}/o'])[2], ['--overwrite']),
    ('dispersion train-picker', 'no --data', lambda F, w: ['dispersion', 'train-picker', '--runs', f'{w}/r'], ['--data']),
    ('dispersion train-picker', 'missing dataset', lambda F, w: ['dispersion', 'train-picker', '--data', f'{w}/none', '--runs', f'{w}/r'], ['none', 'manifest not found']),
    ('dispersion train-picker', 'two grids', lambda F, w: ['dispersion', 'train-picker', '--data', f'{F}/masw', f'{F}/disp', '--runs', f'{w}/r'], ['another frequency/velocity grid']),
    ('dispersion train-picker', 'width 2', lambda F, w: ['dispersion', 'train-picker', '--data', f'{F}/masw', '--width', '2', '--runs', f'{w}/r'], ['--width']),
    ('dispersion train-picker', 'missing run to resume', lambda F, w: ['dispersion', 'train-picker', '--resume', f'{w}/none/run1'], ['none']),
    ('dispersion train-picker', 'corrupt checkpoint on resume', lambda F, w: ['dispersion', 'train-picker', '--resume',
                                str(unfinish(cut(cp(F / 'pruns/picker/run1', w / 'run1') / 'checkpoints' / 'latest.pt').parents[1], 'picker.pt'))], ['latest.pt']),
    ('dispersion pick', 'missing run', lambda F, w: ['dispersion', 'pick', f'{w}/none', first(F / 'masw/records', '*.npz'), '--out', f'{w}/o'], ['none', 'picker.pt']),
    ('dispersion pick', 'image on another grid', lambda F, w: ['dispersion', 'pick', f'{F}/pruns/picker/run1', first(F / 'disp/records', '*.npz'), '--out', f'{w}/o'], ['the picker was trained on']),
    ('dispersion pick', 'truncated image', lambda F, w: ['dispersion', 'pick', f'{F}/pruns/picker/run1', str(cut(cp(first(F / 'masw/records', '*.npz'), w / 'i.npz'))), '--out', f'{w}/o'], ['i.npz']),
    ('dispersion pick', 'not an image', lambda F, w: ['dispersion', 'pick', f'{F}/pruns/picker/run1', first(F / 'disp/masks', '*.npz'), '--out', f'{w}/o'], ['no spectrum/weights']),
    ('dispersion pick', 'threshold 2', lambda F, w: ['dispersion', 'pick', f'{F}/pruns/picker/run1', first(F / 'masw/records', '*.npz'), '--threshold', '2', '--out', f'{w}/o'], ['--threshold']),
    ('dispersion pick', 'out under a file', lambda F, w: ['dispersion', 'pick', f'{F}/pruns/picker/run1', first(F / 'masw/records', '*.npz'), '--out', f'{afile(w)}/o'], ['afile']),
    ('dispersion pick', 'corrupt picker', lambda F, w: ['dispersion', 'pick', str(cut(cp(F / 'pruns/picker/run1', w / 'run1') / 'picker.pt').parent), first(F / 'masw/records', '*.npz'), '--out', f'{w}/o'], ['picker.pt']),
    ('dispersion evaluate', 'missing run', lambda F, w: ['dispersion', 'evaluate', f'{w}/none', '--data', f'{F}/masw'], ['none']),
    ('dispersion evaluate', 'missing set', lambda F, w: ['dispersion', 'evaluate', f'{F}/pruns/picker/run1', '--data', f'test={w}/none'], ['none', 'manifest not found']),
    ('dispersion evaluate', 'set on another grid', lambda F, w: ['dispersion', 'evaluate', f'{F}/pruns/picker/run1', '--data', f'{F}/disp'], ['another grid']),
    ('dispersion evaluate', 'limit 0', lambda F, w: ['dispersion', 'evaluate', f'{F}/pruns/picker/run1', '--data', f'{F}/masw', '--limit', '0'], ['--limit']),
    ('dispersion evaluate', 'json under a file', lambda F, w: ['dispersion', 'evaluate', f'{F}/pruns/picker/run1', '--data', f'{F}/masw', '--json', f'{afile(w)}/b.json'], ['afile']),
    # defects
    ('defects generate', 'zero images', lambda F, w: ['defects', 'generate', '--output', f'{w}/d', '--num-images', '0'], ['--num-images']),
    ('defects generate', 'missing config', lambda F, w: ['defects', 'generate', '--output', f'{w}/d', '--config', f'{w}/no.json', '--num-images', '25'], ['no.json']),
    ('defects generate', 'binary config', lambda F, w: ['defects', 'generate', '--output', f'{w}/d', '--config', str(garbage(w / 'g.json')), '--num-images', '25'], ['g.json']),
    ('defects generate', 'unknown key', lambda F, w: ['defects', 'generate', '--output', f'{w}/d', '--set', 'bogus=1', '--num-images', '25'], ['bogus']),
    ('defects generate', 'output under a file', lambda F, w: ['defects', 'generate', '--output', f'{afile(w)}/d', '--num-images', '25'], ['afile']),
    ('defects generate', 'existing, no --overwrite', lambda F, w: ['defects', 'generate', '--output', str(cp(F / 'def', w / 'd')), '--num-images', '25'], ['--overwrite']),
    ('defects preview', 'missing folder', lambda F, w: ['defects', 'preview', f'{w}/none', '--output', f'{w}/p.png'], ['none']),
    ('defects preview', '0-byte metadata', lambda F, w: ['defects', 'preview', str(zero(cp(F / 'def', w / 'd') / 'metadata.csv').parent), '--output', f'{w}/p.png'], ['metadata.csv']),
    ('defects preview', 'truncated png', lambda F, w: ['defects', 'preview', str(cut(first(cp(F / 'def', w / 'd') / 'train' / 'crack', '*.png'), 0.3).parents[2]), '--output', f'{w}/p.png'], ['.png']),
    ('defects preview', 'per-class 0', lambda F, w: ['defects', 'preview', f'{F}/def', '--output', f'{w}/p.png', '--per-class', '0'], ['--per-class']),
    ('defects preview', 'output under a file', lambda F, w: ['defects', 'preview', f'{F}/def', '--output', f'{afile(w)}/p.png'], ['afile']),
    ('defects preview', 'no label column', lambda F, w: ['defects', 'preview', str(drop_column(cp(F / 'def', w / 'd') / 'metadata.csv', 'label').parent), '--output', f'{w}/p.png'], ['metadata.csv', 'label']),
    ('defects train', 'missing data root', lambda F, w: ['defects', 'train', '--data-root', f'{w}/none', '--epochs', '1', '--out', f'{w}/o'], ['none']),
    ('defects train', '0-byte metadata', lambda F, w: ['defects', 'train', '--data-root', str(zero(cp(F / 'def', w / 'd') / 'metadata.csv').parent), '--epochs', '1', '--out', f'{w}/o'], ['metadata.csv']),
    ('defects train', 'truncated png', lambda F, w: ['defects', 'train', '--data-root', str(cut(first(cp(F / 'def', w / 'd') / 'train' / 'crack', '*.png'), 0.3).parents[2]),
                                                     '--epochs', '1', '--batch-size', '8', '--out', f'{w}/o'], ['.png']),
    ('defects train', 'epochs 0', lambda F, w: ['defects', 'train', '--data-root', f'{F}/def', '--epochs', '0', '--out', f'{w}/o'], ['--epochs']),
    ('defects train', 'bad human label', lambda F, w: (Path(w / 'hl.csv').write_text(f'file_name,label\n{first(F / "def/train/crack", "*.png").relative_to(F / "def")},banana\n'),
                                                       ['defects', 'train', '--data-root', f'{F}/def', '--epochs', '1', '--human-labels', f'{w}/hl.csv', '--out', f'{w}/o'])[1], ['hl.csv']),
    ('defects train', 'binary human labels', lambda F, w: ['defects', 'train', '--data-root', f'{F}/def', '--epochs', '1', '--human-labels', str(garbage(w / 'hl.csv')), '--out', f'{w}/o'], ['hl.csv']),
    ('defects train', 'out under a file', lambda F, w: ['defects', 'train', '--data-root', f'{F}/def', '--epochs', '1', '--out', f'{afile(w)}/o'], ['afile']),
    ('defects train', 'no label column', lambda F, w: ['defects', 'train', '--data-root', str(drop_column(cp(F / 'def', w / 'd') / 'metadata.csv', 'label').parent), '--epochs', '1', '--out', f'{w}/o'], ['metadata.csv', 'label']),
    ('defects embed', 'missing data root', lambda F, w: ['defects', 'embed', '--data-root', f'{w}/none', '--epochs', '1', '--out', f'{w}/o'], ['none']),
    ('defects embed', 'emb-dim 0', lambda F, w: ['defects', 'embed', '--data-root', f'{F}/def', '--emb-dim', '0', '--out', f'{w}/o'], ['--emb-dim']),
    ('defects embed', 'truncated png', lambda F, w: ['defects', 'embed', '--data-root', str(cut(first(cp(F / 'def', w / 'd') / 'train' / 'crack', '*.png'), 0.3).parents[2]),
                                                     '--epochs', '1', '--batch-size', '8', '--out', f'{w}/o'], ['.png']),
    ('defects embed', 'out under a file', lambda F, w: ['defects', 'embed', '--data-root', f'{F}/def', '--epochs', '1', '--out', f'{afile(w)}/o'], ['afile']),
    ('defects embed', 'lr negative', lambda F, w: ['defects', 'embed', '--data-root', f'{F}/def', '--lr', '-1', '--out', f'{w}/o'], ['--lr']),
    # al
    ('al simulate', 'missing folder', lambda F, w: ['al', 'simulate', '--embeddings-dir', f'{w}/none', '--out-dir', f'{w}/o'], ['none']),
    ('al simulate', 'truncated npz', lambda F, w: ['al', 'simulate', '--embeddings-dir', str(cut(cp(F / 'emb/embeddings', w / 'e') / 'train_embeddings.npz').parent), '--out-dir', f'{w}/o'], ['train_embeddings.npz']),
    ('al simulate', 'NaN in embeddings', lambda F, w: ['al', 'simulate', '--embeddings-dir', str(npz_nan(cp(F / 'emb/embeddings', w / 'e') / 'train_embeddings.npz').parent),
                                                       '--seed-size', '5', '--rounds', '1', '--query-size', '2', '--classifiers', 'lr', '--out-dir', f'{w}/o'], ['train_embeddings.npz', 'NaN']),
    ('al simulate', 'unknown classifier', lambda F, w: ['al', 'simulate', '--embeddings-dir', f'{F}/emb/embeddings', '--classifiers', 'xgb', '--out-dir', f'{w}/o'], ['xgb']),
    ('al simulate', 'seed set larger than the pool', lambda F, w: ['al', 'simulate', '--embeddings-dir', f'{F}/emb/embeddings', '--seed-size', '5000', '--classifiers', 'lr', '--out-dir', f'{w}/o'], ['--seed-size']),
    ('al simulate', 'existing results', lambda F, w: ((w / 'o').mkdir(), (w / 'o' / 'lr_metrics.csv').write_text('old'),
                                                      ['al', 'simulate', '--embeddings-dir', f'{F}/emb/embeddings', '--classifiers', 'lr', '--out-dir', f'{w}/o'])[2], ['--overwrite']),
    ('al simulate', 'out under a file', lambda F, w: ['al', 'simulate', '--embeddings-dir', f'{F}/emb/embeddings', '--classifiers', 'lr', '--out-dir', f'{afile(w)}/o'], ['afile']),
    ('al experiments', 'missing folder', lambda F, w: ['al', 'experiments', '--embeddings-dir', f'{w}/none', '--out-dir', f'{w}/o'], ['none']),
    ('al experiments', 'unknown strategy', lambda F, w: ['al', 'experiments', '--embeddings-dir', f'{F}/emb/embeddings', '--strategies', 'psychic', '--out-dir', f'{w}/o'], ['psychic']),
    ('al experiments', 'unknown diversity', lambda F, w: ['al', 'experiments', '--embeddings-dir', f'{F}/emb/embeddings', '--diversity', 'dpp', '--out-dir', f'{w}/o'], ['dpp']),
    ('al experiments', 'repeats 0', lambda F, w: ['al', 'experiments', '--embeddings-dir', f'{F}/emb/embeddings', '--repeats', '0', '--out-dir', f'{w}/o'], ['--repeats']),
    ('al experiments', 'truncated npz', lambda F, w: ['al', 'experiments', '--embeddings-dir', str(cut(cp(F / 'emb/embeddings', w / 'e') / 'train_embeddings.npz').parent),
                                                      '--rounds', '1', '--repeats', '1', '--classifiers', 'lr', '--strategies', 'random', '--diversity', 'off', '--out-dir', f'{w}/o'], ['train_embeddings.npz']),
    ('al experiments', 'out under a file', lambda F, w: ['al', 'experiments', '--embeddings-dir', f'{F}/emb/embeddings', '--rounds', '1', '--repeats', '1', '--out-dir', f'{afile(w)}/o'], ['afile']),
    ('al report', 'missing folder', lambda F, w: ['al', 'report', '--out-dir', f'{w}/none'], ['none']),
    ('al report', 'empty folder', lambda F, w: ['al', 'report', '--out-dir', str(w)], ['{w}']),
    ('al report', 'a file', lambda F, w: ['al', 'report', '--out-dir', str(afile(w))], ['afile']),
    ('al report', 'unfinished grid (summary only)', lambda F, w: ['al', 'report', '--out-dir', str(garbage(w / 'summary.csv').parent)], ['all_al_curves.csv']),
    ('al report', 'unknown option', lambda F, w: ['al', 'report', '--out-dir', str(w), '--pdf'], ['--pdf']),
    ('al loop', 'missing data root', lambda F, w: ['al', 'loop', '--data-root', f'{w}/none', '--out', f'{w}/o'], ['none']),
    ('al loop', 'warm start without checkpoint', lambda F, w: ['al', 'loop', '--data-root', f'{F}/def', '--warm-start', '--out', f'{w}/o'], ['--checkpoint']),
    ('al loop', 'truncated checkpoint', lambda F, w: ['al', 'loop', '--data-root', f'{F}/def', '--warm-start', '--checkpoint', str(cut(cp(F / 'clf/best.pt', w / 'best.pt'))),
                                                      '--rounds', '1', '--epochs-per-round', '1', '--seed-size', '5', '--query-size', '2', '--out', f'{w}/o'], ['best.pt']),
    ('al loop', 'garbage checkpoint', lambda F, w: ['al', 'loop', '--data-root', f'{F}/def', '--warm-start', '--checkpoint', str(garbage(w / 'best.pt')),
                                                    '--rounds', '1', '--epochs-per-round', '1', '--seed-size', '5', '--query-size', '2', '--out', f'{w}/o'], ['best.pt']),
    ('al loop', 'query size 0', lambda F, w: ['al', 'loop', '--data-root', f'{F}/def', '--query-size', '0', '--out', f'{w}/o'], ['--query-size']),
    ('al loop', 'bad human label', lambda F, w: (Path(w / 'hl.csv').write_text(f'file_name,label\n{first(F / "def/train/crack", "*.png").relative_to(F / "def")},banana\n'),
                                                 ['al', 'loop', '--data-root', f'{F}/def', '--human-labels', f'{w}/hl.csv', '--rounds', '1', '--epochs-per-round', '1',
                                                  '--seed-size', '5', '--query-size', '2', '--out', f'{w}/o'])[1], ['hl.csv']),
    # eeg
    ('eeg preprocess', 'unknown dataset', lambda F, w: ['eeg', 'preprocess', '--datasets', 'tuh', '--set', f'output_root={w}/p'], ['tuh']),
    ('eeg preprocess', 'missing config', lambda F, w: ['eeg', 'preprocess', '--datasets', 'parkinsons', '--config', f'{w}/no.toml'], ['no.toml']),
    ('eeg preprocess', 'broken TOML', lambda F, w: ((w / 'b.toml').write_text('data_root = [\n'), ['eeg', 'preprocess', '--datasets', 'parkinsons', '--config', f'{w}/b.toml'])[1], ['b.toml']),
    ('eeg preprocess', 'unknown setting', lambda F, w: ['eeg', 'preprocess', '--datasets', 'parkinsons', '--set', 'bogus=1', '--set', f'output_root={w}/p'], ['bogus']),
    ('eeg preprocess', 'missing raw folder', lambda F, w: ['eeg', 'preprocess', '--datasets', 'parkinsons', '--set', f'data_root={w}/none', '--set', f'output_root={w}/p'], ['none']),
    ('eeg preprocess', 'output under a file', lambda F, w: ['eeg', 'preprocess', '--datasets', 'parkinsons', '--set', f'data_root={F}/eeg/raw', '--set', f'output_root={afile(w)}/p'], ['afile']),
    ('eeg meta', 'unknown dataset', lambda F, w: ['eeg', 'meta', '--datasets', 'tuh', '--set', f'output_root={F}/eeg/processed', '--out', f'{w}/m'], ['tuh']),
    ('eeg meta', 'unknown group column', lambda F, w: ['eeg', 'meta', '--datasets', 'parkinsons', '--group', 'shoe_size', '--set', f'output_root={F}/eeg/processed', '--out', f'{w}/m'], ['shoe_size']),
    ('eeg meta', 'not preprocessed', lambda F, w: ['eeg', 'meta', '--datasets', 'parkinsons', '--set', f'output_root={w}/none', '--out', f'{w}/m'], ['none']),
    ('eeg meta', 'out under a file', lambda F, w: ['eeg', 'meta', '--datasets', 'parkinsons', '--set', f'output_root={F}/eeg/processed', '--out', f'{afile(w)}/m'], ['afile']),
    ('eeg meta', '0-byte metadata', lambda F, w: ['eeg', 'meta', '--datasets', 'parkinsons', '--set',
                                                  f'output_root={zero(cp(F / "eeg/processed", w / "p") / "parkinsons" / "metadata.csv").parents[1]}', '--out', f'{w}/m'], ['metadata.csv']),
    ('eeg train', 'unknown config', lambda F, w: ['eeg', 'train', '--config', 'nosuch', '--set', f'runs_root={w}/r'], ['nosuch']),
    ('eeg train', 'negative epochs', lambda F, w: ['eeg', 'train', '--config', 'smoke', '--set', 'train.epochs=-1', '--set', f'data.folder={F}/eeg/processed/parkinsons', '--set', f'runs_root={w}/r'], ['train.epochs']),
    ('eeg train', 'missing data folder', lambda F, w: ['eeg', 'train', '--config', 'smoke', '--set', f'data.folder={w}/none', '--set', f'runs_root={w}/r'], ['none']),
    ('eeg train', 'missing run to resume', lambda F, w: ['eeg', 'train', '--resume', f'{w}/none/run1'], ['none']),
    ('eeg train', '0-byte metadata', lambda F, w: ['eeg', 'train', '--config', 'smoke', '--set', f'data.folder={zero(cp(F / "eeg/processed/parkinsons", w / "p") / "metadata.csv").parent}',
                                                   '--set', f'runs_root={w}/r'], ['metadata.csv']),
    ('eeg train', 'truncated .npy', lambda F, w: ['eeg', 'train', '--config', 'smoke', '--set', f'data.folder={cut(first(cp(F / "eeg/processed/parkinsons", w / "p") / "train", "???.npy"), 0.3).parents[2]}',
                                                  '--set', f'runs_root={w}/r', '--set', 'train.epochs=1'], ['.npy']),
    ('eeg train', 'corrupt checkpoint on resume', lambda F, w: ['eeg', 'train', '--resume', str(garbage(cp(F / 'eruns/smoke/run1', w / 'run1') / 'checkpoints' / 'last' / 'model.safetensors').parents[2])], ['model.safetensors']),
    ('eeg evaluate', 'missing run', lambda F, w: ['eeg', 'evaluate', f'{w}/none'], ['none']),
    ('eeg evaluate', 'unknown split', lambda F, w: ['eeg', 'evaluate', f'{F}/eruns/smoke/run1', '--split', 'dev'], ['dev']),
    ('eeg evaluate', 'unknown checkpoint', lambda F, w: ['eeg', 'evaluate', f'{F}/eruns/smoke/run1', '--checkpoint', 'best-step999'], ['best-step999']),
    ('eeg evaluate', 'missing --data', lambda F, w: ['eeg', 'evaluate', f'{F}/eruns/smoke/run1', '--data', f'{w}/none'], ['none']),
    ('eeg evaluate', 'n-boot 0', lambda F, w: ['eeg', 'evaluate', f'{F}/eruns/smoke/run1', '--n-boot', '0'], ['--n-boot']),
    ('eeg evaluate', 'corrupt weights', lambda F, w: ['eeg', 'evaluate', str(cut(first(cp(F / 'eruns/smoke/run1', w / 'run1') / 'checkpoints', 'best-*/model.safetensors')).parents[2]), '--n-boot', '5'],
     ['model.safetensors']),
    ('eeg diffuse', 'unknown config', lambda F, w: ['eeg', 'diffuse', '--config', 'nosuch', '--set', f'runs_root={w}/r'], ['nosuch']),
    ('eeg diffuse', 'steps 0', lambda F, w: ['eeg', 'diffuse', '--config', 'dit-tiny', '--set', 'train.steps=0', '--set', f'data.folder={F}/eeg/processed/parkinsons', '--set', f'runs_root={w}/r'], ['train.steps']),
    ('eeg diffuse', 'missing run to resume', lambda F, w: ['eeg', 'diffuse', '--resume', f'{w}/none/run1'], ['none']),
    ('eeg diffuse', 'corrupt checkpoint on resume', lambda F, w: ['eeg', 'diffuse', '--resume', str(garbage(cp(F / 'druns/dit-tiny/run1', w / 'run1') / 'checkpoints' / 'last' / 'model.safetensors').parents[2])],
     ['model.safetensors']),
    ('eeg diffuse', 'missing data folder', lambda F, w: ['eeg', 'diffuse', '--config', 'dit-tiny', '--set', f'data.folder={w}/none', '--set', f'runs_root={w}/r'], ['none']),
    ('eeg sample', 'missing run', lambda F, w: ['eeg', 'sample', f'{w}/none', '--out', f'{w}/g'], ['none']),
    ('eeg sample', 'n 0', lambda F, w: ['eeg', 'sample', f'{F}/druns/dit-tiny/run1', '--n', '0', '--out', f'{w}/g'], ['--n']),
    ('eeg sample', 'unknown class', lambda F, w: ['eeg', 'sample', f'{F}/druns/dit-tiny/run1', '--class', 'martian', '--out', f'{w}/g'], ['martian']),
    ('eeg sample', 'out under a file', lambda F, w: ['eeg', 'sample', f'{F}/druns/dit-tiny/run1', '--n', '2', '--steps', '2', '--out', f'{afile(w)}/g'], ['afile']),
    ('eeg sample', 'corrupt weights', lambda F, w: ['eeg', 'sample', str(cut(cp(F / 'druns/dit-tiny/run1', w / 'run1') / 'model' / 'weights.safetensors').parents[1]), '--n', '2', '--steps', '2', '--out', f'{w}/g'],
     ['weights.safetensors']),
    ('eeg tasks', 'unknown dataset', lambda F, w: ['eeg', 'tasks', 'tuh'], ['tuh']),
    # codec
    ('codec corpus', 'unknown source', lambda F, w: ['codec', 'corpus', '--out', f'{w}/c', '--sources', 'vinyl'], ['vinyl']),
    ('codec corpus', 'unknown instrument', lambda F, w: ['codec', 'corpus', '--out', f'{w}/c', '--instruments', 'kazoo'], ['kazoo']),
    ('codec corpus', 'n-tunes 0', lambda F, w: ['codec', 'corpus', '--out', f'{w}/c', '--n-tunes', '0'], ['--n-tunes']),
    ('codec corpus', 'out under a file', lambda F, w: ['codec', 'corpus', '--out', f'{afile(w)}/c'], ['afile']),
    ('codec corpus', 'unknown option', lambda F, w: ['codec', 'corpus', '--out', f'{w}/c', '--tempo', '90'], ['--tempo']),
    ('codec cache', 'missing manifest', lambda F, w: ['codec', 'cache', '--manifest', f'{w}/m.csv', '--out', f'{w}/c'], ['m.csv']),
    ('codec cache', '0-byte manifest', lambda F, w: ['codec', 'cache', '--manifest', str(zero(w / 'm.csv')), '--out', f'{w}/c'], ['m.csv']),
    ('codec cache', 'binary manifest', lambda F, w: ['codec', 'cache', '--manifest', str(garbage(w / 'm.csv')), '--out', f'{w}/c'], ['m.csv']),
    ('codec cache', 'missing column', lambda F, w: ((w / 'm.csv').write_text('track_id,path,genre\na,a.wav,x\n'), ['codec', 'cache', '--manifest', f'{w}/m.csv', '--out', f'{w}/c'])[1], ['m.csv', 'source']),
    ('codec cache', 'chunk-sec 0', lambda F, w: ['codec', 'cache', '--manifest', f'{F}/cr/codec_smoke_data/corpus/tracks.csv', '--out', f'{w}/c', '--chunk-sec', '0'], ['--chunk-sec']),
    ('codec cache', 'audio file missing', lambda F, w: ((w / 'm.csv').write_text('track_id,path,genre,source\na,gone.wav,x,lab\n'), ['codec', 'cache', '--manifest', f'{w}/m.csv', '--out', f'{w}/c'])[1], ['gone.wav']),
    ('codec cache', 'out under a file', lambda F, w: ['codec', 'cache', '--manifest', f'{F}/cr/codec_smoke_data/corpus/tracks.csv', '--out', f'{afile(w)}/c'], ['afile']),
    ('codec analyze', 'missing cache', lambda F, w: ['codec', 'analyze', '--cache', f'{w}/none'], ['none']),
    ('codec analyze', 'unknown schema', lambda F, w: ['codec', 'analyze', '--cache', f'{F}/cr/codec_smoke_data/cache', '--schema', 'genres'], ['genres']),
    ('codec analyze', 'unknown style source', lambda F, w: ['codec', 'analyze', '--cache', str(cp(F / 'cr/codec_smoke_data/cache', w / 'c')), '--style-sources', 'vinyl', '--epochs', '1', '--overwrite'], ['vinyl']),
    ('codec analyze', 'epochs 0', lambda F, w: ['codec', 'analyze', '--cache', f'{F}/cr/codec_smoke_data/cache', '--epochs', '0'], ['--epochs']),
    ('codec analyze', '0-byte index', lambda F, w: ['codec', 'analyze', '--cache', str(zero(cp(F / 'cr/codec_smoke_data/cache', w / 'c') / 'index.csv').parent), '--epochs', '1', '--overwrite'], ['index.csv']),
    ('codec analyze', 'truncated features', lambda F, w: ['codec', 'analyze', '--cache', str(cut(cp(F / 'cr/codec_smoke_data/cache', w / 'c') / 'features.npz').parent), '--epochs', '1', '--overwrite'], ['features.npz']),
    ('codec analyze', 'analysis already there', lambda F, w: ['codec', 'analyze', '--cache', str(cp(F / 'cr/codec_smoke_data/cache', w / 'c')), '--epochs', '1'], ['analysis', '--overwrite']),
    ('codec train', 'missing cache', lambda F, w: ['codec', 'train', '--cache', f'{w}/none', '--runs', f'{w}/r'], ['none']),
    ('codec train', 'cache not analysed', lambda F, w: ['codec', 'train', '--cache', str(shutil.rmtree(cp(F / 'cr/codec_smoke_data/cache', w / 'c') / 'analysis') or w / 'c'), '--runs', f'{w}/r'], ['analy']),
    ('codec train', 'missing run to resume', lambda F, w: ['codec', 'train', '--resume', f'{w}/none/run1'], ['none']),
    ('codec train', 'corrupt checkpoint on resume', lambda F, w: ['codec', 'train', '--resume', str(unfinish(cut(cp(F / 'cr/codec/run1', w / 'run1') / 'checkpoints' / 'stage3_latest.pt').parents[1]))], ['stage3_latest.pt']),
    ('codec train', 'negative epochs', lambda F, w: ['codec', 'train', '--cache', f'{F}/cr/codec_smoke_data/cache', '--stage1-epochs', '-1', '--runs', f'{w}/r'], ['--stage1-epochs']),
    ('codec train', 'encodec folder missing', lambda F, w: ['codec', 'train', '--cache', f'{F}/cr/codec_smoke_data/cache', '--track', 'encodec', '--encodec', f'{w}/none', '--runs', f'{w}/r'], ['none']),
    ('codec audit', 'missing run', lambda F, w: ['codec', 'audit', f'{w}/none'], ['none']),
    ('codec audit', 'no decoder yet', lambda F, w: ['codec', 'audit', str(w)], ['{w}']),
    ('codec audit', 'corrupt decoder', lambda F, w: ['codec', 'audit', str(cut(cp(F / 'cr/codec/run1', w / 'run1') / 'decoder.pt').parent), '--n-eval', '2'], ['decoder.pt']),
    ('codec audit', 'n-eval 0', lambda F, w: ['codec', 'audit', f'{F}/cr/codec/run1', '--n-eval', '0'], ['--n-eval']),
    ('codec audit', 'garbage run state', lambda F, w: ['codec', 'audit', str(garbage(cp(F / 'cr/codec/run1', w / 'run1') / 'run_state.json').parent), '--n-eval', '2'], ['run_state.json']),
    ('codec samples', 'missing run', lambda F, w: ['codec', 'samples', f'{w}/none'], ['none']),
    ('codec samples', 'n 0', lambda F, w: ['codec', 'samples', f'{F}/cr/codec/run1', '--n', '0'], ['--n']),
    ('codec samples', 'corrupt decoder', lambda F, w: ['codec', 'samples', str(cut(cp(F / 'cr/codec/run1', w / 'run1') / 'decoder.pt').parent), '--n', '2'], ['decoder.pt']),
    ('codec samples', 'garbage run state', lambda F, w: ['codec', 'samples', str(garbage(cp(F / 'cr/codec/run1', w / 'run1') / 'run_state.json').parent), '--n', '2'], ['run_state.json']),
    ('codec samples', 'run is a file', lambda F, w: ['codec', 'samples', str(afile(w)), '--n', '2'], ['afile']),
    ('codec auto-genre', 'neither CLAP nor cache', lambda F, w: ['codec', 'auto-genre', '--out', f'{w}/l.csv'], ['--cache']),
    ('codec auto-genre', 'CLAP folder missing', lambda F, w: ['codec', 'auto-genre', '--clap-dir', f'{w}/none', '--labels', 'a', 'b', '--manifest', f'{F}/cr/codec_smoke_data/corpus/tracks.csv', '--out', f'{w}/l.csv'], ['none']),
    ('codec auto-genre', 'k 0', lambda F, w: ['codec', 'auto-genre', '--cache', f'{F}/cr/codec_smoke_data/cache', '--k', '0', '--out', f'{w}/l.csv'], ['--k']),
    ('codec auto-genre', 'out under a file', lambda F, w: ['codec', 'auto-genre', '--cache', f'{F}/cr/codec_smoke_data/cache', '--k', '2', '--out', f'{afile(w)}/l.csv'], ['afile']),
    ('codec auto-genre', 'missing cache', lambda F, w: ['codec', 'auto-genre', '--cache', f'{w}/none', '--out', f'{w}/l.csv'], ['none']),
    # metrics
    ('metrics compute', 'missing real', lambda F, w: ['metrics', 'compute', '--real', f'{w}/none', '--fake', f'{F}/gen', '--out', f'{w}/m.json'], ['none']),
    ('metrics compute', 'truncated .npy sample', lambda F, w: ['metrics', 'compute', '--real', f'{F}/eeg/processed/parkinsons', '--fake', str(cut(first(cp(F / 'gen', w / 'g'), '*.npy'), 0.3).parents[1]),
                                                              '--no-cache', '--out', f'{w}/m.json'], ['.npy']),
    ('metrics compute', 'truncated png', lambda F, w: ['metrics', 'compute', '--real', f'{F}/def/train', '--fake', str(cut(first(cp(F / 'def/test', w / 't'), '*.png'), 0.3).parents[1].parent),
                                                      '--no-cache', '--out', f'{w}/m.json'], ['.png']),
    ('metrics compute', 'unknown metric', lambda F, w: ['metrics', 'compute', '--real', f'{F}/gen', '--fake', f'{F}/gen', '--metrics', 'is', '--out', f'{w}/m.json'], ['is']),
    ('metrics compute', 'extractor missing', lambda F, w: ['metrics', 'compute', '--real', f'{F}/gen', '--fake', f'{F}/gen', '--extractor', f'{w}/inc.pth', '--out', f'{w}/m.json'], ['inc.pth']),
    ('metrics compute', 'garbage extractor', lambda F, w: ['metrics', 'compute', '--real', f'{F}/gen', '--fake', f'{F}/gen', '--extractor', str(garbage(w / 'inc.pth')), '--out', f'{w}/m.json'], ['inc.pth']),
    ('metrics compute', '1-D .npy', lambda F, w: ['metrics', 'compute', '--real', str(npy_1d(w / 'a.npy')), '--fake', f'{F}/gen', '--out', f'{w}/m.json'], ['a.npy']),
    ('metrics compute', 'one NaN sample', lambda F, w: ['metrics', 'compute', '--real', f'{F}/eeg/processed/parkinsons', '--fake', str(nan_sample(cp(F / 'gen', w / 'g')).parents[1]),
                                                       '--no-cache', '--out', f'{w}/m.json'], ['.npy', 'NaN']),
    ('eeg tstr', 'missing real', lambda F, w: ['eeg', 'tstr', '--real', f'{w}/none', '--fake', f'{F}/gen', '--out', f'{w}/t'], ['none']),
    ('eeg tstr', 'missing fake', lambda F, w: ['eeg', 'tstr', '--real', f'{F}/eeg/processed/parkinsons', '--fake', f'{w}/none', '--out', f'{w}/t'], ['none']),
    ('eeg tstr', 'a generated .npy missing', lambda F, w: ['eeg', 'tstr', '--real', f'{F}/eeg/processed/parkinsons', '--fake', str(first(cp(F / 'gen', w / 'g'), '*.npy').unlink() or w / 'g'),
                                                              '--out', f'{w}/t'], ['.npy']),
    ('eeg tstr', 'epochs 0', lambda F, w: ['eeg', 'tstr', '--real', f'{F}/eeg/processed/parkinsons', '--fake', f'{F}/gen', '--set', 'train.epochs=0', '--out', f'{w}/t'], ['train.epochs']),
    ('eeg tstr', 'unknown config', lambda F, w: ['eeg', 'tstr', '--real', f'{F}/eeg/processed/parkinsons', '--fake', f'{F}/gen', '--config', 'nosuch', '--out', f'{w}/t'], ['nosuch']),
    ('eeg tstr', 'out under a file', lambda F, w: ['eeg', 'tstr', '--real', f'{F}/eeg/processed/parkinsons', '--fake', f'{F}/gen', '--out', f'{afile(w)}/t'], ['afile']),
    # quickstart
    ('quickstart', 'unknown pillar', lambda F, w: ['quickstart', '--out', f'{w}/q', '--pillars', 'optics'], ['optics']),
    ('quickstart', 'out under a file', lambda F, w: ['quickstart', '--out', f'{afile(w)}/q', '--pillars', 'defects'], ['afile']),
    ('quickstart', 'out is a file', lambda F, w: ['quickstart', '--out', str(afile(w)), '--pillars', 'defects'], ['afile']),
    ('quickstart', 'negative seed', lambda F, w: ['quickstart', '--out', f'{w}/q', '--seed', '-1', '--pillars', 'defects'], ['--seed']),
    ('quickstart', 'unknown option', lambda F, w: ['quickstart', '--out', f'{w}/q', '--fast'], ['--fast']),
]


def check(F, w, case):
    "Run one case; returns (ok, what was seen)."
    cmd, what, setup, needles, *rc = case
    w.mkdir(parents=True, exist_ok=True)
    argv = [str(a) for a in setup(F, w)]
    before_w, before_f = tree(w), tree(F)
    try: r = cli_here(*argv)
    except BaseException as e: return False, f'traceback: {type(e).__name__}: {" ".join(str(e).split())[:160]}'
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    after_w = tree(w); changed = [k for k, v in before_w.items() if after_w.get(k) != v]
    problems = []
    if r.returncode != (rc[0] if rc else 2): problems.append(f'exit {r.returncode}')
    if len(lines) != 1: problems.append(f'{len(lines)} stderr lines')
    if 'Traceback' in r.stderr: problems.append('traceback')
    line = lines[-1] if lines else ''
    missing = [n for n in (x.format(w=w) for x in needles) if n not in line]
    if missing: problems.append(f'line lacks {missing}')
    if changed: problems.append(f'changed {changed[:3]}')
    new = sorted(set(after_w) - set(before_w))
    if new: problems.append(f'left {len(new)} new file(s), e.g. {new[0]}')
    if tree(F) != before_f: problems.append('fixture changed')
    return not problems, ('; '.join(problems) + ' | ' if problems else '') + line[:200]


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
    return build(tmp_path_factory.mktemp('bad_input') / 'F')


@pytest.mark.parametrize('case', CASES, ids=[f'{c[0]}: {c[1]}' for c in CASES])
def test_bad_input_is_one_line_exit_2_and_nothing_changes(fixtures, tmp_path, case):
    ok, seen = check(fixtures, tmp_path / 'w', case)
    assert ok, seen


def test_every_subcommand_has_five_cases():
    from collections import Counter
    n = Counter(c[0] for c in CASES)
    small = {k: v for k, v in n.items() if v < 5 and k not in ('eeg tasks',)}
    assert not small, small


if __name__ == '__main__':
    root = Path(sys.argv[1] if len(sys.argv) > 1 else '/tmp/bad_input')
    F = root / 'F'
    if not (F / 'cr' / 'codec' / 'run1' / 'exit_audit.json').exists(): shutil.rmtree(F, ignore_errors=True); build(F)
    print('| command | case | result | the line |\n|---|---|---|---|')
    n_ok = 0
    for i, case in enumerate(CASES):
        w = root / 'w' / f'{i:03d}'; shutil.rmtree(w, ignore_errors=True)
        try: ok, seen = check(F, w, case)
        except pytest.skip.Exception as e: ok, seen = True, f'skipped: {e}'
        n_ok += ok
        print(f'| {case[0]} | {case[1]} | {"ok" if ok else "**FAIL**"} | {seen.replace("|", "/")} |', flush=True)
    print(f'\n{n_ok} of {len(CASES)} cases as promised')
