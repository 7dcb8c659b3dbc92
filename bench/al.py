"""Active-learning benchmark: one query round on a 100,000 x 256 synthetic pool with 1,000 labeled
(logistic-regression fit + predict_proba over the pool + entropy top-1000 + k-center greedy 50), and the
same uncertainty query (fit + entropy top-1000) through scikit-activeml's UncertaintySampling in the same
process, as a peer, at a realistic batch (k = 50) and at k = 1,000; then one round on a 1,000,000 x 256 pool
(float32; LR fit on 1,000 labels, predict_proba over the pool, margin top-50). scikit-activeml is a bench-only
dependency: `pip install scikit-activeml`.

    python bench/al.py [--pool 100000] [--dim 256] [--labeled 1000] [--repeats 3] [--big-pool 1000000]
"""
import argparse, time
import numpy as np
from threadpoolctl import threadpool_limits
from signal_lab.al.simulate import synthetic_embeddings, make_classifier
from signal_lab.al.strategies import uncertainty, top_k, k_center_greedy


def best_of(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); ts.append(time.perf_counter() - t)
    return min(ts), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pool', type=int, default=100_000); ap.add_argument('--dim', type=int, default=256)
    ap.add_argument('--labeled', type=int, default=1000); ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=None, help='BLAS threads (default: library default)')
    ap.add_argument('--big-pool', type=int, default=1_000_000, help='pool of the large round (0: skip it)')
    a = ap.parse_args()
    data = synthetic_embeddings(n_train=a.pool + a.labeled, n_test=10, dim=a.dim, seed=0)
    X, y = data['train']['X'], data['train']['y']
    rng = np.random.default_rng(0)
    lab = rng.choice(len(y), a.labeled, replace=False)
    mask = np.zeros(len(y), bool); mask[lab] = True
    unl = np.flatnonzero(~mask)
    print(f'pool {len(unl):,} x {a.dim}, labeled {a.labeled:,}, best of {a.repeats}')
    with threadpool_limits(a.threads):
        parts = {}
        def fit():
            return make_classifier('lr').fit(X[lab], y[lab])
        parts['LR fit'], m = best_of(fit, a.repeats)
        parts['predict_proba (pool)'], p = best_of(lambda: m.predict_proba(X[unl]), a.repeats)
        parts['entropy top-1000'], cand = best_of(lambda: top_k(uncertainty(p, 'entropy'), 1000, np.random.default_rng(1)), a.repeats)
        parts['k-center greedy 50 of 1000'], pick = best_of(lambda: k_center_greedy(X[unl[cand]], 50, X[lab]), a.repeats)

        def round_all():
            mm = make_classifier('lr').fit(X[lab], y[lab]); pp = mm.predict_proba(X[unl])
            c = top_k(uncertainty(pp, 'entropy'), 1000, np.random.default_rng(1))
            return c[k_center_greedy(X[unl[c]], 50, X[lab])]
        total, _ = best_of(round_all, a.repeats)
        for k, v in parts.items(): print(f'  {k:28s} {1000 * v:8.1f} ms')
        print(f'one round, end to end:         {1000 * total:8.1f} ms (target <= 500 ms)')

        try:
            from skactiveml.pool import UncertaintySampling
            from skactiveml.classifier import SklearnClassifier
            from skactiveml.utils import MISSING_LABEL
            have_peer = True
        except ImportError:
            have_peer = False; print('scikit-activeml not installed: pip install scikit-activeml for the peer comparison')
        for k in (50, 1000):
            def ours_unc():
                mm = make_classifier('lr').fit(X[lab], y[lab])
                return unl[top_k(uncertainty(mm.predict_proba(X[unl]), 'entropy'), k, np.random.default_rng(1))]
            t_ours, q_ours = best_of(ours_unc, a.repeats)
            print(f'uncertainty query k={k:<5d} (fit + entropy top-k), signal_lab:      {1000 * t_ours:8.1f} ms')
            if not have_peer: continue
            y_part = np.full(len(y), MISSING_LABEL); y_part[lab] = y[lab]
            qs = UncertaintySampling(method='entropy', random_state=0)
            def peer():
                clf = SklearnClassifier(make_classifier('lr'), classes=np.unique(y), random_state=0)
                return qs.query(X, y_part, clf, fit_clf=True, batch_size=k)
            t_peer, q_peer = best_of(peer, a.repeats)
            overlap = len(set(q_peer.tolist()) & set(q_ours.tolist())) / k
            print(f'same query k={k:<5d}, scikit-activeml UncertaintySampling:      {1000 * t_peer:8.1f} ms '
                  f'(ratio {t_peer / t_ours:.2f}x; the batches share {overlap:.0%})')
    if a.big_pool:
        g = np.random.default_rng(2)
        n, d, C = a.big_pool, a.dim, 5
        t = time.perf_counter()
        yb = g.integers(0, C, n); Xb = g.standard_normal((n, d), dtype=np.float32); Xb += (g.standard_normal((C, d)).astype(np.float32) * 0.3)[yb]
        print(f'large pool {n:,} x {d} float32 ({Xb.nbytes / 1e9:.1f} GB) made in {time.perf_counter() - t:.1f} s')
        labb = g.choice(n, a.labeled, replace=False); mb = np.ones(n, bool); mb[labb] = False
        with threadpool_limits(a.threads):
            def big_round():
                mm = make_classifier('lr').fit(Xb[labb], yb[labb])
                pp = mm.predict_proba(Xb)                     # the whole pool; labeled rows are masked out below
                sc = uncertainty(pp, 'margin'); sc[~mb] = -np.inf
                return top_k(sc, 50, np.random.default_rng(1))
            tb, pick = best_of(big_round, a.repeats)
        assert mb[pick].all()
        print(f'one round on {n:,} x {d} (LR fit on {a.labeled:,} labels, predict_proba, margin top-50): {tb:.2f} s (target <= 1.5 s)')

if __name__ == '__main__':
    main()
