"""The docs sources: notebooks whose markdown is markdown, and a doc processor that passes cleanly."""
import json, os, shutil, subprocess, sys
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
