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
