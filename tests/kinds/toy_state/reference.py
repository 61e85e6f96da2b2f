"""Reference for tests/toy_state/toy-state.yaml: a helper, a function using it, a loop, a print, a plot."""

import numpy as np


def double(v):
    return 2 * v


def total(v):
    return double(v).sum() + 1


def path():
    p = np.zeros(5)
    for i in range(1, 5):
        p[i] = p[i - 1] + double(np.array(1.0))
    return p


def printed():
    return [3.5]


def figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot(path())
    return fig


# ---- tests/kinds/test_state.py's LOOPS spec: two loop cells of the same shape, then a print

def _loop(step):
    q = np.zeros(5)
    m = 0.0
    for i in range(1, 5):
        m = 0.5 * m + step
        q[i] = q[i - 1] + m
    return q


def first_loop():
    return _loop(1.0)


def second_loop():
    return _loop(2.0)


def printed_total():
    return [second_loop().sum()]
