"""Reference for tests/kinds/test_figure.py: a step function, a descent path with its start point,
and two panels (a curve and an image), drawn the way the toy notebook's cells draw them."""

import numpy as np


def z_values():
    return np.arange(-1, 1, 0.01)


def step(z):
    return (z >= 0).astype(float)


def descend(start, n, alpha):
    """Gradient descent on x² + 3y²: the path, one column per step."""
    path = np.zeros((2, n + 1))
    path[:, 0] = start
    for i in range(n):
        path[:, i + 1] = path[:, i] - alpha * np.array([2.0, 6.0]) * path[:, i]
    return path


def step_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot(z_values(), step(z_values()), "r-")
    ax.axhline(0.5, ls=":", color="gray")  # a guide in axes coordinates: students need not draw it
    ax.set_title("step(z) (reference)")
    return fig


def path_figure():
    import matplotlib.pyplot as plt

    path = descend(np.array([-1.5, 1.0]), 30, 0.1)
    fig, ax = plt.subplots()
    ax.plot(path[0], path[1], "go-")
    ax.scatter(path[0, :1], path[1, :1])
    return fig


def panels_figure():
    import matplotlib.pyplot as plt

    z = z_values()
    fig, ax = plt.subplots(1, 2)
    ax[0].plot(z, np.tanh(3 * z))
    ax[0].set_title("tanh")
    ax[1].imshow(np.outer(step(z[::10]), z[::10]))
    ax[1].set_title("outer product")
    return fig


def nothing_to_compare():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar([1, 2, 3], [3, 1, 2])
    return fig
