"""Helpers for Lab 3 (a two-layer network from scratch): loading the data, initialising the
parameters and checking gradients numerically. You do not need to change anything in this file."""

import numpy as np


def load_points(path="points.csv"):
    """The lab's regression data: inputs x of shape (N, 2) and targets y of shape (N, 1)."""
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :2].copy(), data[:, 2:].copy()


def init_params(n_in, n_hidden, n_out, rng):
    """Weights drawn from the normalised (Glorot) initialisation U(-r, r), r = sqrt(6 / (fan_in + fan_out));
    biases start at zero. Returns w1 (n_in, n_hidden), b1 (n_hidden,), w2 (n_hidden, n_out), b2 (n_out,)."""
    r1 = np.sqrt(6.0 / (n_in + n_hidden))
    r2 = np.sqrt(6.0 / (n_hidden + n_out))
    w1 = rng.uniform(-r1, r1, (n_in, n_hidden))
    w2 = rng.uniform(-r2, r2, (n_hidden, n_out))
    return w1, np.zeros(n_hidden), w2, np.zeros(n_out)


def minibatches(x, y, batch_size):
    """Consecutive mini-batches (x_b, y_b) of at most batch_size rows."""
    for start in range(0, x.shape[0], batch_size):
        yield x[start:start + batch_size], y[start:start + batch_size]


def rel_error(a, b):
    """The largest relative difference between two arrays."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, p, eps=1e-6):
    """Central differences of the scalar function f() with respect to the array p, which f reads
    (p is changed in place while probing and restored afterwards)."""
    grad = np.zeros_like(p, dtype=float)
    it = np.nditer(p, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = p[i]
        p[i] = old + eps
        up = f()
        p[i] = old - eps
        down = f()
        p[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad
