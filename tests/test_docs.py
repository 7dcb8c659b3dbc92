"""The docs sources: notebooks whose markdown is markdown, and a doc processor that passes cleanly."""
import json, os, re, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT

NBS = sorted((ROOT / 'nbs').glob('*.ipynb'))


def markdown_problems(nb:dict, name:str='nb') -> list:
    "Problems with a notebook's markdown: H1 lines other than the title, `#`-prefixed prose, a missing `> summary`."
    out, first = [], True
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'markdown': continue
        lines, fence = ''.join(c['source']).splitlines(), False
        body = []
        for j, l in enumerate(lines):
            if l.lstrip().startswith('```'): fence = not fence; continue
            if not fence: body.append((j, l))
        if first:
            if not lines or not lines[0].startswith('# ') or lines[0].startswith('# #'):
                out.append(f'{name} cell {i}: the first markdown cell must start with "# Title"')
            if not any(l.startswith('> ') for _, l in body):
                out.append(f'{name} cell {i}: no "> summary" line under the title')
        for j, l in body:
            if (l.startswith('# ') or l.strip() == '#') and not (first and j == 0):
                out.append(f'{name} cell {i} line {j}: "{l[:60]}" renders as a top-level heading')
        first = False
    return out


def test_checker_flags_hash_prefixed_prose():
    "Control: the checker finds what it is meant to find, and passes a nbdev-style notebook."
    bad = {'cells': [{'cell_type': 'markdown', 'source': ['# # core.x — t\n', '#\n', '# > summary\n']},
                     {'cell_type': 'markdown', 'source': ['# ## Section\n', '# prose line\n']}]}
    probs = markdown_problems(bad)
    assert len(probs) >= 4, probs
    good = {'cells': [{'cell_type': 'markdown', 'source': ['# core.x\n', '\n', '> summary\n']},
                      {'cell_type': 'markdown', 'source': ['## Section\n', 'prose\n', '```sh\n', '# a comment\n', '```']}]}
    assert markdown_problems(good) == []


@pytest.mark.parametrize('path', NBS, ids=[p.stem for p in NBS])
def test_notebook_markdown_is_markdown(path):
    probs = markdown_problems(json.loads(path.read_text()), path.name)
    assert not probs, '\n'.join(probs)


def test_sidebar_lists_every_notebook():
    "`custom_sidebar = True` keeps nbdev from rewriting the tracked sidebar.yml, so this test keeps it complete."
    import yaml
    top = yaml.safe_load((ROOT / 'nbs' / 'sidebar.yml').read_text())['website']['sidebar']['contents']
    listed = [e for x in top for e in (x['contents'] if isinstance(x, dict) else [x])]   # grouped by pillar: one section each
    assert sorted(listed) == sorted(p.name for p in NBS), set(listed) ^ {p.name for p in NBS}
    sections = [x for x in top if isinstance(x, dict)]
    assert len(sections) >= 7 and all(x['section'] and x['contents'] for x in sections), sections
    for x in sections:   # a section holds one pillar's notebooks
        assert len({n.split('_', 1)[1].split('.')[0] for n in x['contents']}) == 1, x


def _copy_tree(dst:Path):
    "The working tree as a clean checkout would have it: tracked and untracked-but-not-ignored files."
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split('\0')
    for f in filter(None, files):
        if not (ROOT / f).is_file(): continue
        (dst / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dst / f)
    git = lambda *a: subprocess.run(['git', *a], cwd=dst, capture_output=True, text=True, check=True).stdout
    git('init', '-q'); git('add', '-A')
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'snapshot')
    return git


def import_mixed_cells(nb:dict, name:str='nb') -> list:
    "Code cells that nbdev's doc processor warns about: an import together with other statements (it re-executes such cells)."
    import ast
    out = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        src = '\n'.join(l for l in ''.join(c['source']).splitlines() if not l.lstrip().startswith(('#|', '%', '!')))
        try: tree = ast.parse(src)
        except SyntaxError: continue
        nodes = list(ast.walk(tree))
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes) and any(isinstance(n, (ast.Expr, ast.Assign)) for n in nodes):
            if not re.search(r'^#\|\s*(export|exports|exporti|exec_doc)\b', ''.join(c['source']), re.M) and 'eval: false' not in ''.join(c['source']):
                out.append(f'{name} cell {i}: imports and other code in one cell (nbdev warns; put the imports in their own cell)')
    return out


def test_import_checker_control():
    cell = lambda s: {'cell_type': 'code', 'source': [s]}
    nb = {'cells': [cell('import os'), cell('x = 1'), cell('import sys\nx = 2'), cell('#| export\nimport re\ny = 3')]}
    assert import_mixed_cells(nb) == ['nb cell 2: imports and other code in one cell (nbdev warns; put the imports in their own cell)']


@pytest.mark.parametrize('path', NBS, ids=[p.stem for p in NBS])
def test_no_cell_mixes_imports_and_code(path):
    "The fast twin of the doc-processor test below: the warning it fails on most often, found statically."
    probs = import_mixed_cells(json.loads(path.read_text()), path.name)
    assert not probs, '\n'.join(probs)


@pytest.mark.slow   # about 70 s (every notebook's import cells re-executed); fast twin: test_no_cell_mixes_imports_and_code
@pytest.mark.skipif(shutil.which('nbdev_proc_nbs') is None, reason='nbdev is not installed (pip install -e ".[dev]")')
def test_doc_processor_passes_and_leaves_the_tree_clean(tmp_path):
    """`nbdev_proc_nbs` (nbdev's docs pre-processing, which re-executes every cell with an import) passes on every
    notebook of a clean copy of the tree and changes no tracked file. nbdev tries to install quarto (sudo, then a pip
    reinstall) when it is missing; a `quarto` placeholder on PATH that fails if called keeps it from doing so."""
    tree = tmp_path / 'tree'; tree.mkdir()
    git = _copy_tree(tree)
    stub = tmp_path / 'bin'; stub.mkdir()
    (stub / 'quarto').write_text('#!/bin/sh\necho "quarto placeholder called: $*" >&2\nexit 3\n'); (stub / 'quarto').chmod(0o755)
    env = dict(os.environ, PATH=f'{stub}{os.pathsep}{os.environ["PATH"]}')
    exe = shutil.which('nbdev_proc_nbs', path=os.path.dirname(sys.executable)) or shutil.which('nbdev_proc_nbs')
    r = subprocess.run([exe, '--n_workers', '2'], cwd=tree, env=env, capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    for bad in ('Traceback', 'quarto placeholder called', 'Installing', 'Failed to create YAML', 'UserWarning'):
        assert bad not in out, out[-4000:]
    assert git('status', '--porcelain') == '', git('status', '--porcelain')
    done = {p.name for p in (tree / '_proc').glob('*.ipynb')}
    assert done == {p.name for p in NBS}, {p.name for p in NBS} - done
    for p in (tree / '_proc').glob('*.ipynb'):   # no markdown link inside a rendered signature (a code block shows it raw)
        for c in json.loads(p.read_text())['cells']:
            for o in c.get('outputs', []):
                for block in re.findall(r'```python\n(.*?)```', ''.join(o.get('data', {}).get('text/markdown', [])), re.S):
                    assert '](' not in block, (p.name, block[:300])


def test_notebooks_keep_figures_within_a_size_budget():
    "Each pillar's notebooks keep their main figures (the docs show stored outputs), and the repo stays small."
    def pngs(p): return sum('image/png' in o.get('data', {}) for c in json.loads(p.read_text())['cells'] for o in c.get('outputs', []))
    per_pillar = {}
    for p in NBS: per_pillar.setdefault(p.stem.split('_', 1)[-1].split('.')[0], []).append(pngs(p))
    for pillar in ('dispersion', 'defects', 'al', 'eeg', 'codec'):
        assert sum(per_pillar[pillar]) >= 1, f'no stored figure in the {pillar} notebooks'
    assert sum(per_pillar['dispersion']) >= 5, per_pillar['dispersion']
    sizes = {p.name: p.stat().st_size for p in NBS}
    assert max(sizes.values()) < 1_000_000, max(sizes.items(), key=lambda kv: kv[1])
    assert sum(sizes.values()) < 5_000_000, sum(sizes.values())


def public_exports(nb:dict):
    "(cell index, [public top-level function/class nodes]) of every `#| export` cell that parses."
    import ast, re
    for i, c in enumerate(nb['cells']):
        s = ''.join(c['source'])
        if c['cell_type'] != 'code' or not re.search(r'^#\|\s*export\b', s, re.M): continue
        try: tree = ast.parse('\n'.join(l for l in s.splitlines() if not l.startswith('#|')))
        except SyntaxError: continue
        yield i, [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and not n.name.startswith('_')]


def undocumented_exports(nb:dict, name:str='nb') -> list:
    "Public functions/classes of `#| export` cells that no later (non-exported) cell uses next to an assert."
    import re
    src = lambda c: ''.join(c['source'])
    cells, out = nb['cells'], []
    for i, pub in public_exports(nb):
        for n in pub:
            later = [src(d) for d in cells[i + 1:] if d['cell_type'] == 'code' and not re.search(r'^#\|\s*export', src(d), re.M)]
            if not any(re.search(rf'\b{n.name}\b', t) and re.search(r'\b(test_\w+|assert)\b', t) for t in later):
                out.append(f'{name}: {n.name} has no example with an assert')
    return out


def test_export_checker_control():
    cell = lambda kind, s: {'cell_type': kind, 'source': [s]}
    nb = {'cells': [cell('code', '#| export\ndef f(x): return x\ndef g(): pass\ndef _h(): pass'), cell('code', 'f(1)'), cell('code', 'assert g() is None')]}
    assert undocumented_exports(nb) == ['nb: f has no example with an assert']


@pytest.mark.parametrize('path', NBS, ids=[p.stem for p in NBS])
def test_every_export_has_an_example_with_asserts(path):
    probs = undocumented_exports(json.loads(path.read_text()), path.name)
    assert not probs, '\n'.join(probs)


def layout_problems(nb:dict, name:str='nb') -> list:
    """The fastcore manner, cell by cell: an `#| export` cell defines at most one public function or class, a markdown
    sentence stands right before it, and the function or class has a docstring."""
    import ast
    cells, out = nb['cells'], []
    for i, pub in public_exports(nb):
        if not pub: continue
        if len(pub) > 1: out.append(f'{name} cell {i}: {len(pub)} public names in one export cell ({", ".join(n.name for n in pub)})')
        if i == 0 or cells[i - 1]['cell_type'] != 'markdown': out.append(f'{name} cell {i}: no markdown sentence before {pub[0].name}')
        out += [f'{name} cell {i}: {n.name} has no docstring' for n in pub if not ast.get_docstring(n)]
    return out


def test_layout_checker_control():
    cell = lambda kind, s: {'cell_type': kind, 'source': [s]}
    nb = {'cells': [cell('code', '#| export\ndef f(x): return x\ndef g():\n    "g."'), cell('markdown', 'h does this.'),
                    cell('code', '#| export\ndef _p(): pass\ndef h():\n    "h."')]}
    assert layout_problems(nb) == ['nb cell 0: 2 public names in one export cell (f, g)', 'nb cell 0: no markdown sentence before f',
                                   'nb cell 0: f has no docstring']


@pytest.mark.parametrize('path', NBS, ids=[p.stem for p in NBS])
def test_one_documented_public_name_per_export_cell(path):
    probs = layout_problems(json.loads(path.read_text()), path.name)
    assert not probs, '\n'.join(probs)


def test_jupyter_save_hook_keeps_notebooks_clean():
    """JupyterLab adds metadata on save (language_info, execution timings and counts); with `jupyter_hooks = True`
    nbdev's pre-save hook (installed once by `nbdev_install_hooks`) cleans it, so opening and saving a notebook
    leaves the tracked file as it was."""
    import copy, json
    from nbdev.clean import clean_jupyter
    path = ROOT / 'nbs' / '05_core.splits.ipynb'
    clean = json.loads(path.read_text())
    nb = copy.deepcopy(clean)
    nb['metadata']['language_info'] = {'name': 'python', 'version': '3.11.7', 'mimetype': 'text/x-python'}
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            c['metadata']['execution'] = {'iopub.execute_input': '2026-12-01T10:00:00Z'}; c['execution_count'] = 7
    clean_jupyter(path=str(path), model={'type': 'notebook', 'content': nb})
    assert nb == clean


def test_signatures_render_without_links_inside_code():
    """A parameter comment naming another documented symbol in backticks (`load_record`, `CorpusConfig()`) turns, in the
    processed docs, into a raw markdown link inside the signature's code block (seen on `LabelingApp`): names in parameter
    comments are plain. A last parameter's comment written after `) -> T:` documents the return value instead (seen on
    `pixel_embedding`, then found on 34 functions): it goes on the parameter's own line."""
    import importlib, inspect, re, warnings
    from fastcore.docments import docments
    from nbdev.doclinks import NbdevLookup
    from signal_lab._modidx import d
    look, bad = NbdevLookup(), []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for m in sorted(d['syms']):
            try: mod = importlib.import_module(m)
            except ImportError: continue   # an extra that is not installed
            for name in getattr(mod, '__all__', []):
                obj = getattr(mod, name, None)
                f = obj.__init__ if inspect.isclass(obj) else obj
                if not callable(f): continue
                try: dm = docments(f, full=False)
                except Exception: continue
                bad += [f'{m}.{name}({p}): {t}' for p, c in dm.items() for t in re.findall(r'`[^`]+`', c or '') if look.linkify(t) != t]
                ps = [p for p in dm if p != 'return']   # `last=1) -> T: # comment` gives the comment to the return value
                if dm.get('return') and ps and dm[ps[-1]] is None: bad.append(f'{m}.{name}: the comment of {ps[-1]!r} sits on the return annotation')
    assert not bad, bad
    from signal_lab.al.app import pixel_embedding
    dm = docments(pixel_embedding, full=False)
    assert dm['size'] and 'resized' in dm['size'] and 'resized' not in (dm['return'] or '')
