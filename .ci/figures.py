"""Re-execute notebooks and keep the outputs that the docs show: figures (PNG) and tables (HTML/markdown).

    python .ci/figures.py [--keep-text] [--slow] nbs/12_dispersion.curves.ipynb [...]   # then: nbdev_clean
    python .ci/figures.py --shrink-only nbs/*.ipynb   # only re-encode the stored PNGs (no cell runs)

Cells flagged `#| slow`, `#| gpu`, `#| notest` or `#| eval: false` are not run (as in `nbdev_test`) and keep the
outputs they have; `--slow` runs the `#| slow` cells too (as `nbdev_test --flags slow`), so a figure drawn in a slow
cell can be refreshed. Every other output (prints, reprs) is dropped so the notebooks stay small, unless
`--keep-text` (printed output kept too); `nbdev_clean` keeps what is left. Stored PNGs are re-encoded with a 256-colour
palette (matplotlib figures lose nothing visible and shrink by about half), so the notebooks stay within the size budget
`tests/test_docs.py` checks.
"""
import os, sys, re, io, base64, json
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

SKIP = re.compile(r'^#\|\s*(slow|gpu|notest|eval:\s*false)\b', re.M)
SKIP_FAST = re.compile(r'^#\|\s*(gpu|notest|eval:\s*false)\b', re.M)
KEEP = ('image/png', 'text/html', 'text/markdown')

def shrink_png(b64:str) -> str:
    "A stored PNG (base64) re-encoded with a 256-colour palette; the original when that is not smaller."
    from PIL import Image
    b64 = b64 if isinstance(b64, str) else ''.join(b64)   # nbformat may store it as a list of lines
    raw = base64.b64decode(b64)
    im = Image.open(io.BytesIO(raw)); im.load()
    if im.mode == 'P': return b64
    q = im.convert('RGBA' if 'A' in im.getbands() else 'RGB').quantize(256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO(); q.save(out, format='PNG', optimize=True)
    return base64.b64encode(out.getvalue()).decode() if out.tell() < len(raw) else b64

def shrink_outputs(cells) -> int:
    "Re-encode every stored PNG output of `cells` in place; returns how many."
    n = 0
    for c in cells:
        for o in c.get('outputs', []):
            d = o.get('data', {})
            if 'image/png' in d: d['image/png'] = shrink_png(d['image/png']); n += 1
    return n

def shrink_only(path):
    path = Path(path); nb = json.loads(path.read_text()); before = path.stat().st_size
    if shrink_outputs(nb['cells']): path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    print(f'{path.name}: {before // 1024} -> {path.stat().st_size // 1024} KB')

def keep_figures(path, keep_text=False, slow=False):
    path = Path(path).resolve()
    nb = read_nb(path)
    cwd = os.getcwd(); os.chdir(path.parent)
    try:
        sh = CaptureShell(mpl_format='png')
        sh.run('import matplotlib; matplotlib.rcParams["figure.dpi"] = 80')
        for c in nb.cells:
            if c.cell_type != 'code': continue
            if (SKIP_FAST if slow else SKIP).search(c.source): continue   # not run: keeps what it had
            c.outputs = []
            if c.source.lstrip().startswith('#| export'): sh.run(c.source); continue
            sh.cell(c)
            if sh.exc: raise RuntimeError(f'{path.name}: cell failed:\n{c.source}\n{sh.exc}')
            outs = []
            for o in c.get('outputs', []):
                if keep_text and o.get('output_type') == 'stream': outs.append(o); continue
                d = o.get('data', {})
                if any(k in d for k in KEEP):
                    o['data'] = {k: v for k, v in d.items() if k in KEEP or k == 'text/plain'}
                    outs.append(o)
            c.outputs = outs
    finally: os.chdir(cwd)
    shrink_outputs(nb.cells)
    write_nb(nb, path)
    n = sum(1 for c in nb.cells if c.cell_type == 'code' and c.outputs)
    print(f'{path.name}: {n} cells keep output, {path.stat().st_size // 1024} KB')

if __name__ == '__main__':
    args = sys.argv[1:]
    keep_text, slow = '--keep-text' in args, '--slow' in args
    for p in args:
        if p.startswith('--'): continue
        if '--shrink-only' in args: shrink_only(p)
        else: keep_figures(p, keep_text, slow)
