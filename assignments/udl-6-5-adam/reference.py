"""NumPy references for UDL notebook 6.5 (Adam), from the book's equations.

Graded functions (both return grad_path, a 2 x (n_steps+1) array starting at start_posn[:,0]):
  normalized_gradients(start_posn, n_steps, alpha, epsilon=1e-20)
      m = ∂L/∂φ, v = m² (eq 6.13);  φ ← φ − α m / (√v + ε) (eq 6.14)
  adam(start_posn, n_steps, alpha, beta=0.9, gamma=0.99, epsilon=1e-20)
      m ← β m + (1 − β) g,  v ← γ v + (1 − γ) g² (eq 6.15), from m = v = 0;
      m̃ = m / (1 − β^(t+1)),  ṽ = v / (1 − γ^(t+1)) (eq 6.16), t = c_step counting from 0;
      φ ← φ − α m̃ / (√ṽ + ε) (eq 6.17)

The notebook's loss, finite-difference gradient and start position are re-implemented so the
paths its cells build can be computed alone. Every run cell assigns grad_path1, so `CELL_VALUES`
keys them by the function they call: `grad_path1@normalized_gradients`, `grad_path1@adam`.
"""

from __future__ import annotations

import numpy as np


# ---- the notebook's given code ----------------------------------------------------------------

def loss(phi0, phi1):
    height = np.exp(-0.5 * (phi1 * phi1) * 4.0)
    height = height * np.exp(-0.5 * (phi0 - 0.7) * (phi0 - 0.7) / 4.0)
    return 1.0 - height


def get_loss_gradient(phi0, phi1):
    """Central finite differences with step 1e-5, as the notebook computes them; shape (2,)."""
    delta = 0.00001
    return np.array([
        (loss(phi0 + delta / 2.0, phi1) - loss(phi0 - delta / 2.0, phi1)) / delta,
        (loss(phi0, phi1 + delta / 2.0) - loss(phi0, phi1 - delta / 2.0)) / delta,
    ])


def start_posn():
    return np.array([[-0.7], [-0.9]])


def grad_descent(start_posn, n_steps, alpha):
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = start_posn[:, 0]
    for c_step in range(n_steps):
        grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * get_loss_gradient(*grad_path[:, c_step])
    return grad_path


# ---- graded functions -------------------------------------------------------------------------

def normalized_gradients(start_posn, n_steps, alpha, epsilon=1e-20):
    """Step a fixed length α along minus the sign of each coordinate's gradient (eqs 6.13-6.14)."""
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = np.asarray(start_posn, dtype=float)[:, 0]
    for c_step in range(n_steps):
        m = get_loss_gradient(*grad_path[:, c_step])
        v = m ** 2
        grad_path[:, c_step + 1] = grad_path[:, c_step] - alpha * m / (np.sqrt(v) + epsilon)
    return grad_path


def adam(start_posn, n_steps, alpha, beta=0.9, gamma=0.99, epsilon=1e-20):
    """Adam with bias correction (eqs 6.15-6.17)."""
    grad_path = np.zeros((2, n_steps + 1))
    grad_path[:, 0] = np.asarray(start_posn, dtype=float)[:, 0]
    m = np.zeros(2)
    v = np.zeros(2)
    for t in range(n_steps):
        g = get_loss_gradient(*grad_path[:, t])
        m = beta * m + (1 - beta) * g
        v = gamma * v + (1 - gamma) * g ** 2
        m_tilde = m / (1 - beta ** (t + 1))
        v_tilde = v / (1 - gamma ** (t + 1))
        grad_path[:, t + 1] = grad_path[:, t] - alpha * m_tilde / (np.sqrt(v_tilde) + epsilon)
    return grad_path


# ---- values the notebook's cells build ----------------------------------------------------------

def grad_descent_path1():
    """grad_path1 after the first gradient-descent cell (given code, no exercise)."""
    return grad_descent(start_posn(), n_steps=200, alpha=0.08)


def grad_descent_path2():
    """grad_path2 after the first gradient-descent cell (given code, no exercise)."""
    return grad_descent(start_posn(), n_steps=40, alpha=1.0)


def normalized_gradients_path1():
    """grad_path1 after `grad_path1 = normalized_gradients(start_posn, n_steps=40, alpha = 0.08)`."""
    return normalized_gradients(start_posn(), n_steps=40, alpha=0.08)


def adam_path1():
    """grad_path1 after `grad_path1 = adam(start_posn, n_steps=60, alpha = 0.05)`."""
    return adam(start_posn(), n_steps=60, alpha=0.05)


CELL_VALUES = {
    "grad_path1@normalized_gradients": normalized_gradients_path1,
    "grad_path1@adam": adam_path1,
}


def _path_figure(path, title):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot(path[0, :], path[1, :], ".-", color="#2a7f7a")
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_title(title)
    return fig


def plot_normalized_gradients_path():
    return _path_figure(normalized_gradients_path1(), "normalized gradients (reference)")


def plot_adam_path():
    return _path_figure(adam_path1(), "Adam (reference)")
