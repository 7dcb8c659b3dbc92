"""Fidelity metrics: agreement with torch-fidelity 0.4.0 (KID, precision/recall) and float64 references (FID,
density/coverage), the content-keyed cache, every offline extractor through the CLI, TSTR from the command line,
bad input, and a CUDA extraction."""
import json, os
from pathlib import Path
import numpy as np
import pytest
from conftest import cli, cli_here, assert_user_error, tree


def _feats(seed, n, d, shift=0.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return np.abs(rng.normal(shift, 1.0 + shift, size=(n, d))).astype(dtype)   # non-negative, like pooled CNN features


@pytest.mark.parametrize('method', ['subsets', 'full'])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_kid_equals_torch_fidelity(method, dtype):
    import torch
    from torch_fidelity.metric_kid import kid_features_to_metric
    from signal_lab.metrics.fidelity import kid
    real, fake = _feats(0, 1300, 96, dtype=dtype), _feats(1, 1100, 96, 0.05, dtype)
    ours = kid(real, fake, subsets=30, subset_size=500, method=method)
    ref = kid_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), kid_subsets=30, kid_subset_size=500, verbose=False)
    assert ours['method'] == method
    assert abs(ours['value'] - ref['kernel_inception_distance_mean']) <= 1e-6, (ours['value'], ref)
    assert abs(ours['std'] - ref['kernel_inception_distance_std']) <= 1e-6
    assert ours['value'] > 10 * ours['std'] / np.sqrt(30)              # a real difference, not a zero compared with a zero


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_precision_recall_equal_torch_fidelity(dtype):
    import torch
    from torch_fidelity.metric_prc import prc_features_to_metric
    from signal_lab.metrics.fidelity import manifold
    real, fake = _feats(2, 1500, 64, dtype=dtype), _feats(3, 1700, 64, 0.1, dtype)
    ours = manifold(real, fake, ('prc',), block=600)                  # blocks smaller than the sets: the blocked path
    ref = prc_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), verbose=False)
    assert abs(ours['precision']['value'] - ref['precision']) <= 1e-6, (ours['precision'], ref)
    assert abs(ours['recall']['value'] - ref['recall']) <= 1e-6, (ours['recall'], ref)
    assert 0.05 < ref['precision'] < 0.95 and 0.05 < ref['recall'] < 0.95   # not a trivial all-in or all-out case


def test_fid_and_density_coverage_equal_float64_references():
    import scipy.linalg
    from scipy.spatial.distance import cdist
    from signal_lab.metrics.fidelity import fid, manifold
    real, fake = _feats(4, 900, 48, dtype=np.float64), _feats(5, 800, 48, 0.1, np.float64)
    m1, m2, s1, s2 = real.mean(0), fake.mean(0), np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    ref = ((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root)
    assert abs(fid(real, fake, n_boot=0)['value'] - ref) <= 1e-9 * ref
    d = cdist(real, fake); rr = np.sort(cdist(real, real), 1)[:, 5]          # Naeem et al.: k = 5, self excluded, strict <
    ours = manifold(real, fake, ('dc',), block=256)
    assert abs(ours['density']['value'] - (d < rr[:, None]).sum(0).mean() / 5) <= 1e-12
    assert abs(ours['coverage']['value'] - (d.min(1) < rr).mean()) <= 1e-12


def _pngs(folder, n, mean, seed):
    from PIL import Image
    rng = np.random.default_rng(seed); folder.mkdir(parents=True)
    for i in range(n): Image.fromarray(np.clip(rng.normal(mean, 40, (48, 48, 3)), 0, 255).astype(np.uint8)).save(folder / f'img_{i:03d}.png')
    return folder


def test_same_named_folders_with_different_content_get_different_features(tmp_path):
    a, b = _pngs(tmp_path / 'x' / 'samples', 12, 90, 0), _pngs(tmp_path / 'y' / 'samples', 12, 90, 1)   # same names, other pixels
    env = dict(SIGNAL_LAB_CACHE=str(tmp_path / 'cache'))
    for fake in (a, b):
        cli('metrics', 'compute', '--real', a, '--fake', fake, '--metrics', 'kid,fid', '--out', tmp_path / f'{fake.parent.name}.json', env=env, check=True)
    rx, ry = (json.loads((tmp_path / f'{s}.json').read_text()) for s in 'xy')
    assert rx['fake']['key'] != ry['fake']['key'] and rx['fake']['content_sha256'] != ry['fake']['content_sha256']
    assert rx['fake']['key'] == rx['real']['key']                     # the same folder twice: one key, one cache entry
    assert rx['metrics']['overall']['fid']['value'] < 1e-9 < ry['metrics']['overall']['fid']['value']
    assert len(list((tmp_path / 'cache' / 'features').glob('*.npz'))) == 2


@pytest.mark.slow   # fast twin: test_same_named_folders_with_different_content_get_different_features (compute on image folders)
def test_compute_on_two_quickstart_folders_offline(tmp_path):
    env = dict(SIGNAL_LAB_CACHE=str(tmp_path / 'cache'), HF_HUB_OFFLINE='1', TORCH_HOME=str(tmp_path / 'torch_home'))
    cli('quickstart', '--pillars', 'defects', '--out', tmp_path / 'qs', env=env, check=True)
    d = tmp_path / 'qs' / 'defects' / 'synth_surface_defects'
    r = cli('metrics', 'compute', '--real', d / 'train', '--fake', d / 'test', '--labels', 'label', '--out', tmp_path / 'm.json', env=env, check=True)
    res = json.loads((tmp_path / 'm.json').read_text())
    o = res['metrics']['overall']
    assert set(o) >= {'kid', 'fid', 'precision', 'recall', 'density', 'coverage'}
    for k in ('kid', 'fid', 'precision', 'recall', 'density', 'coverage'): assert len(o[k]['interval']) == 2
    assert res['real']['n'] > res['fake']['n'] > 0 and res['metrics']['n_real'] == res['real']['n']
    assert res['seeds'] == {'kid': 2020, 'bootstrap': 0} and res['extractor']['id'] == 'random-cnn-v1:s0:c3'
    assert res['versions']['torch-fidelity'] == '0.4.0' and res['labels'] == 'label'
    assert set(res['metrics']['by_class']) <= {'none', 'scratch', 'pit_corrosion', 'stain', 'crack'} and res['metrics']['by_class']
    assert 'kid' in r.stdout and not (tmp_path / 'torch_home').exists()   # nothing fetched into the torch hub cache


def _eeg(root, n, seed):
    from signal_lab.eeg.sources import make_parkinsons_fixture, ParkinsonsPreprocessor
    from signal_lab.eeg.settings import load_settings
    make_parkinsons_fixture(root / 'raw' / 'parkinsons', n, 24, seed=seed, ages=(40, 85))
    st = load_settings(None, overrides=[f'data_root={root / "raw"}', f'output_root={root / "processed"}', 'splits={"train": 0.5, "val": 0.2, "test": 0.3}'])
    ParkinsonsPreprocessor(st).run(progress=False)
    return root / 'processed' / 'parkinsons'


@pytest.fixture(scope='module')
def eeg_pair(tmp_path_factory):
    root = tmp_path_factory.mktemp('metrics_eeg')
    return _eeg(root / 'a', 12, 5), _eeg(root / 'b', 12, 9)


def test_classifier_trunk_extractor_and_tstr_cli(eeg_pair, tmp_path):
    real, gen = eeg_pair
    sets = ['--set', 'train.epochs=2', '--set', 'train.batch_size=8', '--set', 'model.width=8']
    r = cli('eeg', 'tstr', '--real', real, '--fake', gen, '--config', 'health', *sets, '--out', tmp_path / 'tstr', check=True)
    res = json.loads((tmp_path / 'tstr' / 'tstr.json').read_text())
    h = res['tasks']['health']
    assert h['metric'] == 'balanced_accuracy' and all(0 <= h[k] <= 1 for k in ('trtr', 'tstr', 'trts'))
    assert 'TSTR' in r.stdout and res['n_fake'] > 0
    r2 = cli('eeg', 'tstr', '--real', real, '--fake', gen, '--config', 'health', *sets, '--out', tmp_path / 'tstr', check=True)
    assert json.loads((tmp_path / 'tstr' / 'tstr.json').read_text())['tasks'] == res['tasks']   # rerun: finished runs reused, same scores
    # #35 item 5: another generated set, another config or a copied folder never reuse the old runs; nothing there changes
    import pandas as pd
    before = tree(tmp_path / 'tstr')
    md2 = pd.read_csv(gen / 'metadata.csv', dtype=str).iloc[:-1]; md2['file_name'] = [str((gen / f).resolve()) for f in md2.file_name]   # one window fewer
    (tmp_path / 'gen2').mkdir(); md2.to_csv(tmp_path / 'gen2' / 'metadata.csv', index=False)
    assert_user_error(cli('eeg', 'tstr', '--real', real, '--fake', tmp_path / 'gen2', '--config', 'health', *sets, '--out', tmp_path / 'tstr'), 'other inputs (fake changed)', '--overwrite')
    assert_user_error(cli_here('eeg', 'tstr', '--real', real, '--fake', gen, '--config', 'health', *sets[:-2], '--out', tmp_path / 'tstr'), 'other inputs (config changed)')
    import shutil; shutil.copytree(tmp_path / 'tstr', tmp_path / 'copy')
    assert_user_error(cli_here('eeg', 'tstr', '--real', real, '--fake', gen, '--config', 'health', *sets, '--out', tmp_path / 'copy'), 'was written at')
    assert tree(tmp_path / 'tstr') == before
    run = Path(res['runs']['trtr'])
    env = dict(SIGNAL_LAB_CACHE=str(tmp_path / 'cache'))
    cli('metrics', 'compute', '--real', real, '--real-split', 'train', '--fake', gen, '--extractor', run, '--metrics', 'kid,prc',
        '--labels', 'health', '--out', tmp_path / 'm.json', env=env, check=True)
    m = json.loads((tmp_path / 'm.json').read_text())
    from signal_lab.core.io import file_hash, read_json
    best = read_json(run / 'checkpoints' / 'index.json')['best'][0]['dir']
    assert m['extractor']['id'].startswith('eeg-run:trtr/run1:best-step') and m['extractor']['weights_hash'] == file_hash(run / 'checkpoints' / best / 'model.safetensors')
    import torch
    from signal_lab.eeg.evaluate import load_checkpoint
    model, _, meta = load_checkpoint(run)
    assert m['metrics']['dim'] == model.features(torch.zeros(1, *meta['in_shape'])).shape[1] and m['real']['selection'] == {'split': 'train'} and set(m['metrics']['by_class']) == {'H', 'PD'}
    assert_user_error(cli_here('metrics', 'compute', '--real', real, '--fake', tmp_path / 'tstr', '--extractor', run, '--out', tmp_path / 'x.json'),
                      'no images')                                           # a folder with neither images nor a dataset
    img = _pngs(tmp_path / 'imgs', 4, 100, 0)
    assert_user_error(cli_here('metrics', 'compute', '--real', img, '--fake', img, '--extractor', run, '--out', tmp_path / 'x.json'), 'takes arrays')
    assert_user_error(cli_here('metrics', 'compute', '--real', real, '--fake', img, '--out', tmp_path / 'x.json'), 'compare like with like')
    assert_user_error(cli_here('metrics', 'compute', '--real', real, '--real-split', 'holdout', '--fake', gen, '--out', tmp_path / 'x.json'),
                      "split 'holdout'", 'allowed: test, train, val')


@pytest.mark.slow   # tiny local Inception/DINOv2/CLIP builds; fast twin: the local-weights examples in nbs/61_metrics.features.ipynb
def test_local_inception_dinov2_clip_weights(tmp_path):
    """Real architectures with random weights, saved locally and loaded through --extractor: no download."""
    import torch, transformers as tr
    from unittest import mock
    import torch_fidelity.feature_extractor_inceptionv3 as tfi
    class _Init(tfi.FeatureExtractorInceptionV3):
        def load_state_dict(self, sd, strict=True): return None
    with mock.patch.object(tfi, 'load_state_dict_from_url', lambda *a, **k: {}):   # build only: the weights are the random init
        net = _Init('inception-v3-compat', ['2048'])
    torch.save(net.state_dict(), tmp_path / 'pt_inception.pth')
    tr.Dinov2Model(tr.Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, image_size=28,
                                   patch_size=14)).save_pretrained(tmp_path / 'dinov2')
    tr.CLIPVisionModel(tr.CLIPVisionConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                                           image_size=32, patch_size=16)).save_pretrained(tmp_path / 'clipv')
    a, b = _pngs(tmp_path / 'a', 6, 90, 0), _pngs(tmp_path / 'b', 6, 150, 1)
    env = dict(SIGNAL_LAB_CACHE=str(tmp_path / 'cache'), HF_HUB_OFFLINE='1')
    for ex, dim, ident in ((tmp_path / 'pt_inception.pth', 2048, 'inception-v3-compat'), (tmp_path / 'dinov2', 32, 'hf:dinov2'),
                           (tmp_path / 'clipv', 16, 'hf:clip_vision_model')):
        cli('metrics', 'compute', '--real', a, '--fake', b, '--extractor', ex, '--metrics', 'fid,prc', '--fid-boot', '0', '--out', tmp_path / 'm.json', '--overwrite', env=env, check=True)
        m = json.loads((tmp_path / 'm.json').read_text())
        assert m['extractor']['id'] == ident and m['metrics']['dim'] == dim and len(m['extractor']['weights_hash']) == 64, m['extractor']
        assert m['metrics']['overall']['fid']['value'] > 0


@pytest.mark.gpu
def test_cuda_extraction_matches_cpu(tmp_path):
    from signal_lab.metrics.features import open_input, RandomCNN, extract
    a = _pngs(tmp_path / 'a', 16, 100, 0); inp = open_input(a)
    outs = []
    for dev in ('cpu', 'cuda'):
        ex = RandomCNN(0, device=dev); ex.prepare(inp); outs.append(extract(inp, ex, cache=False)[0])
    assert np.allclose(outs[0], outs[1], rtol=1e-3, atol=1e-4)


def test_tstr_reports_no_ratio_when_real_training_is_at_chance(eeg_pair, tmp_path):
    "Seen: tstr_over_trtr 0.966 with TRTR and TSTR both at chance. Real labels shuffled across subjects: no ratio, a warning."
    import pandas as pd
    from signal_lab.eeg.tstr import tstr
    real, gen = eeg_pair
    bad = tmp_path / 'real_shuffled'; bad.mkdir()
    md = pd.read_csv(real / 'metadata.csv', dtype={'subject_id': str})
    subj = md.groupby('subject_id').health.first()
    perm = dict(zip(subj.index, np.random.default_rng(1).permutation(subj.to_numpy())))
    md['health'] = md.subject_id.map(perm); md['file_name'] = [str((real / f).resolve()) for f in md.file_name]
    md.to_csv(bad / 'metadata.csv', index=False)
    lines = []
    res = tstr(bad, gen, 'health', tmp_path / 'out', ['train.epochs=2', 'train.batch_size=8', 'model.width=8'], log=lines.append)
    h = res['tasks']['health']
    assert h['trtr_above_chance'] is False and h['tstr_over_trtr'] is None and 'not above chance' in h['warning'], h
    assert h['chance'] == 0.5 and any(l.startswith('  WARNING health') for l in lines), lines
