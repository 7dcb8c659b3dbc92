"""AL strategies on a real bundled dataset: sklearn digits, logistic regression, AULC gain over random.

    python bench/al_digits.py [SEED_SIZE ROUNDS QUERY_SIZE]   (default 20 10 20)
"""
import numpy as np, warnings, sys
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from signal_lab.al.simulate import simulate
from signal_lab.al.strategies import Strategy
from signal_lab.core.parallel import pmap
warnings.simplefilter('ignore')
X, y = load_digits(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
sc = StandardScaler().fit(Xtr); Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
classes = [str(c) for c in range(10)]
data = dict(classes=classes, train=dict(X=Xtr, y=ytr, file_names=[f'd{i}' for i in range(len(ytr))]), test=dict(X=Xte, y=yte))
strats = [('random', None), ('entropy', None), ('margin', None), ('least_confidence', None), ('entropy', 'kcenter'), ('margin', 'kcenter'), ('margin', 'kmeans++'), ('entropy', 'kmeans++')]
R = 5
def job(i, rng):
    s, d = strats[i // R]; rep = i % R
    return simulate(data, 'lr', Strategy(s, d), SS, RR, KK, seed=rep)['aulc_macro_f1']
SS, RR, KK = (int(v) for v in (sys.argv[1:4] if len(sys.argv) > 3 else (20, 10, 20)))
if __name__ == '__main__':
    seed_size, rounds, k = SS, RR, KK
    mr = pmap(job, range(len(strats) * R), workers=2, progress=False); assert mr.ok, mr.failures; res = [mr.results[i] for i in range(len(strats) * R)]
    A = np.array(res).reshape(len(strats), R)
    base = A[0]
    print(f'digits, LR, seed {seed_size}, {rounds} rounds x {k}; AULC macro-F1 gain over random (mean of {R} repeats, wins)')
    for (s, d), row in zip(strats, A):
        g = row - base
        print(f'{s + ("+" + d if d else ""):22s} AULC {row.mean():.4f}  gain {g.mean():+.4f}  wins {int((g > 0).sum())}/{R}')