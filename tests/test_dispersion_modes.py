"""Mode labels of low-velocity-layer models against an eigen-solver that cannot skip a mode.

The reference below is independent of `signal_lab.dispersion.modes`: it assembles the thin-layer matrices with
consistent (not averaged) mass on its own mesh and solves the eigenvalue problem for k² directly (Kausel's linear
form for Rayleigh waves), so every mode comes out at once. A label is a *mode jump* when it lies closer to another
reference mode than to its own and more than 0.5% from its own."""
import numpy as np
import pytest
import scipy.linalg as sla
from signal_lab.core.parallel import item_rng
from signal_lab.dispersion.config import load_dispersion_config
from signal_lab.dispersion.curves import compute_curves, frequency_axis, sample_curves
from signal_lab.dispersion.models import sample_model


def reference_roots(model, f, wave, npw=14, cut=0.99):
    "All trapped-mode phase velocities (m/s) below cut x half-space Vs, from a dense eigen-solve."
    th, vp, vs, rho = (np.asarray(a, float) for a in (model.thickness, model.vp, model.vs, model.rho))
    w = 2 * np.pi * f
    h0 = 0.8 * vs.min() / (f * npw)
    hs, lay = [], []
    for i in range(len(th) - 1):
        m = max(1, int(np.ceil(th[i] / h0))); hs += [th[i] / m] * m; lay += [i] * m
    c = cut * vs[-1]; kap = w / c * np.sqrt(1 - cut ** 2); d, h = 0.0, h0
    while d < 8 / kap: hs.append(h); lay.append(len(th) - 1); d += h; h = min(1.2 * h, 0.5 / kap)
    n = len(hs)                      # nodes 0..n, the last fixed
    Mc = lambda h: h / 6 * np.array([[2., 1], [1, 2]])
    S = lambda h: np.array([[1., -1], [-1, 1]]) / h
    C = np.array([[-.5, -.5], [.5, .5]])            # C_ij = ∫ N_i' N_j
    if wave == 'love':
        A, G, M = (np.zeros((n + 1, n + 1)) for _ in range(3))
        for e, (h, j) in enumerate(zip(hs, lay)):
            mu = rho[j] * vs[j] ** 2; s = slice(e, e + 2)
            A[s, s] += mu * Mc(h); G[s, s] += mu * S(h); M[s, s] += rho[j] * Mc(h)
        A, G, M = A[:n, :n], G[:n, :n], M[:n, :n]
        k2 = sla.eigh(w * w * M - G, A, eigvals_only=True)          # (G - w²M) v = -k² A v
    else:
        N = n + 1
        AU, AW, GU, GW, MM, BUW = (np.zeros((N, N)) for _ in range(6))
        for e, (h, j) in enumerate(zip(hs, lay)):
            mu = rho[j] * vs[j] ** 2; lam = rho[j] * vp[j] ** 2 - 2 * mu; s = slice(e, e + 2)
            AU[s, s] += 2 * mu * Mc(h) + lam * h / 4 * np.ones((2, 2))   # λ-term at the midpoint (no locking)
            AW[s, s] += mu * Mc(h); GU[s, s] += mu * S(h); GW[s, s] += (lam + 2 * mu) * S(h)
            MM[s, s] += rho[j] * Mc(h); BUW[s, s] += mu * C - lam * C.T
        k_ = slice(0, n)
        AU, AW, GU, GW, MM, BUW = (X[k_, k_] for X in (AU, AW, GU, GW, MM, BUW))
        Z = np.zeros((n, n))
        L = np.block([[GU - w * w * MM, BUW], [Z, GW - w * w * MM]])
        R = np.block([[AU, Z], [BUW.T, AW]])
        ev = sla.eig(L, -R, right=False)                            # eigenvalues k²
        k2 = ev[np.isfinite(ev) & (np.abs(ev.imag) < 1e-6 * np.abs(ev.real))].real
    k2 = k2[k2 > 0]
    cs = np.sort(w / np.sqrt(k2))
    return cs[cs < cut * vs[-1]]


def jumps(curves, model, freqs, cols, wave):
    "Number of labelled points, among columns `cols`, that sit on another reference mode."
    bad = 0
    for j in cols:
        ref = reference_roots(model, freqs[j], wave)
        for k, v in enumerate(curves[:, j]):
            if not np.isfinite(v) or k >= len(ref): continue
            if np.argmin(np.abs(ref - v)) != k and abs(v / ref[k] - 1) > 0.005: bad += 1
    return bad


def test_reference_matches_disba_on_a_normal_model():
    cfg = load_dispersion_config('config_example.yaml')
    freqs = frequency_axis(cfg.grid)
    m = sample_model(cfg.physics, item_rng(0, 1))
    cur = compute_curves(m, freqs, cfg.physics)
    for j in (5, 70, 127):
        ref = reference_roots(m, freqs[j], 'rayleigh'); d = cur[:, j][np.isfinite(cur[:, j])]
        assert len(ref) >= len(d) and np.allclose(ref[:len(d)], d, rtol=0.01)


@pytest.mark.slow   # fast twin: test_reference_matches_disba_on_a_normal_model and the LVL examples in nbs/12a_dispersion.modes.ipynb
@pytest.mark.parametrize('wave', ['rayleigh', 'love'])
def test_no_mode_jumps_on_lvl_heavy_config(wave):
    cfg = load_dispersion_config('config_example.yaml', [f'physics.wave={wave}', 'physics.low_velocity_layers=true',
                                                         'physics.lvl_prob=1', 'physics.n_layers=[3,5]'])
    freqs = frequency_axis(cfg.grid)
    raw_jumps = verified_jumps = repaired = 0
    for i in range(12):
        model, cur, retries, reasons, check, _ = sample_curves(cfg.physics, freqs, item_rng(3, i))
        assert check['unresolved'] == 0 and check['checked'] == len(freqs)
        raw = compute_curves(model, freqs, cfg.physics)                  # disba alone, same model
        changed = np.flatnonzero(np.any(np.nan_to_num(raw) != np.nan_to_num(cur), axis=0))
        cols = sorted(set(range(0, len(freqs), 32)) | set(changed[::8]))
        verified_jumps += jumps(cur, model, freqs, cols, wave)
        raw_jumps += jumps(raw, model, freqs, cols, wave)                  # the control: disba's own labels
        repaired += check['repaired']
    assert verified_jumps == 0
    assert raw_jumps > 0 and repaired > 0      # the reference sees disba's jumps, so it could have seen ours
