import os
import numpy as np
import pytest
from signal_lab.core.parallel import pmap, open_executor


def job(i, rng):
    # a little BLAS work plus item-specific randomness
    a = rng.normal(size=(32, 32))
    return float(np.linalg.norm(a @ a.T)), rng.integers(0, 1 << 30)


def failing(i, rng):
    if i % 5 == 3: raise RuntimeError(f'item {i} is bad')
    return i


def test_same_results_serial_processes_and_dask():
    idx = list(range(24))
    serial = pmap(job, idx, seed=11, executor='serial')
    procs = pmap(job, idx, seed=11, workers=2)
    env = dict(os.environ)
    with open_executor(2, 'local') as ex:
        dask = pmap(job, idx, seed=11, executor=ex, workers=2)
    assert dict(os.environ) == env   # LocalCluster's MALLOC_TRIM_THRESHOLD_, PYTHONHASHSEED… do not outlive it here
    assert serial.ok and procs.ok and dask.ok
    assert serial.results == procs.results == dask.results
    assert len(serial.results) == 24


def test_on_result_in_index_order_for_every_executor():
    got = {}
    for ex in ('serial', 'process'):
        order = []
        pmap(job, [5, 1, 3, 0, 2, 4], seed=0, workers=2, executor=ex, on_result=lambda i, r: order.append(i))
        got[ex] = order
    assert got['serial'] == got['process'] == [0, 1, 2, 3, 4, 5]


def test_failures_are_recorded_and_the_run_goes_on():
    r = pmap(failing, range(12), workers=2)
    assert [f.index for f in r.failures] == [3, 8]
    assert all(f.error == 'RuntimeError' for f in r.failures)
    assert sorted(r.results) == [0, 1, 2, 4, 5, 6, 7, 9, 10, 11]
    assert 'FAILED item 3: RuntimeError: item 3 is bad' in r.summary()


def test_skip_marks_done_items():
    r = pmap(failing, range(6), executor='serial', skip=lambda i: i < 4)
    assert r.skipped == [0, 1, 2, 3] and sorted(r.results) == [4, 5] and r.ok


def test_threads_limited_in_workers():
    def nthreads(i, rng):
        from threadpoolctl import threadpool_info
        return max((x['num_threads'] for x in threadpool_info()), default=1)
    r = pmap(nthreads, range(4), workers=2)
    assert set(r.results.values()) == {1}


TORCH_LATE = r'''
import os, sys
from signal_lab.core.parallel import pmap
def job(i, rng):
    import torch   # imported by the first item, after the map pinned BLAS
    return torch.get_num_threads()
r = pmap(job, range(4), workers=1, progress=False)
import torch
print(sorted(r.results.items()), torch.get_num_threads())
'''


def test_torch_imported_by_an_item_is_pinned_then_restored():
    "Items that run in the calling process get torch on one thread even when the first item imports it; the caller gets its threads back."
    import subprocess, sys
    env = {k: v for k, v in os.environ.items() if not k.endswith('_NUM_THREADS')}
    out = subprocess.run([sys.executable, '-c', TORCH_LATE], capture_output=True, text=True, env=env, check=True).stdout.split(']')
    res, after = eval(out[0] + ']'), int(out[1])
    assert [n for _, n in res[1:]] == [1, 1, 1], res   # pinned from the second item on
    assert after == res[0][1], (res, after)   # torch's default again once the map is over


ORPHAN = r'''
import time
from signal_lab.core.parallel import pmap
def slow(i, rng):
    time.sleep(30); return i
pmap(slow, range(8), workers=3, progress=False)   # this process and two started ones
'''


def test_killing_the_parent_leaves_no_worker():
    "A kernel SIGKILLed mid-map (only the parent): its pool workers notice and exit instead of idling forever."
    import psutil, signal, subprocess, sys, time
    p = subprocess.Popen([sys.executable, '-c', ORPHAN])
    t0 = time.time(); kids = []
    while time.time() - t0 < 60:
        kids = [c for c in psutil.Process(p.pid).children(recursive=True) if 'python' in c.name().lower()]
        if len(kids) >= 3: break        # the forkserver and two workers
        time.sleep(0.1)
    assert len(kids) >= 3, kids
    time.sleep(1.0)
    p.send_signal(signal.SIGKILL); p.wait()
    gone, alive = psutil.wait_procs(kids, timeout=20)
    assert not alive, [a.cmdline() for a in alive]
