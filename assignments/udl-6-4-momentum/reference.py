"""NumPy references for UDL notebook 6.4 (Momentum), from the book's equations.

The notebook's exercises are two lines inside loop cells, not functions. Each loop cell seeds
NumPy's global generator with np.random.seed(1), then runs n_steps = 81 steps on batches of 5 of
the 30 data points (np.random.permutation(30)[0:5] each step) with alpha = 0.6, beta = 0.6, from
phi = (-1.5, 6.5), filling phi_all (2 x 82):

  SGD (given):        phi ← phi − α g(phi)
  momentum (eq 6.11): m ← β m + (1 − β) g(phi);               phi ← phi − α m
  Nesterov (eq 6.12): m ← β m + (1 − β) g(phi − α β m);       phi ← phi − α m

where g is the batch gradient of the sum-of-squares loss of the Gabor model. All three cells
build the same variable, phi_all; `CELL_VALUES` keys them `phi_all@sgd`, `phi_all@momentum` and
`phi_all@nesterov`. The notebook's model, data and gradient are re-implemented here.
"""

from __future__ import annotations

import numpy as np

DATA = np.array([[-1.920e+00, -1.422e+01, 1.490e+00, -1.940e+00, -2.389e+00, -5.090e+00,
                  -8.861e+00, 3.578e+00, -6.010e+00, -6.995e+00, 3.634e+00, 8.743e-01,
                  -1.096e+01, 4.073e-01, -9.467e+00, 8.560e+00, 1.062e+01, -1.729e-01,
                  1.040e+01, -1.261e+01, 1.574e-01, -1.304e+01, -2.156e+00, -1.210e+01,
                  -1.119e+01, 2.902e+00, -8.220e+00, -1.179e+01, -8.391e+00, -4.505e+00],
                 [-1.051e+00, -2.482e-02, 8.896e-01, -4.943e-01, -9.371e-01, 4.306e-01,
                  9.577e-03, -7.944e-02, 1.624e-01, -2.682e-01, -3.129e-01, 8.303e-01,
                  -2.365e-02, 5.098e-01, -2.777e-01, 3.367e-01, 1.927e-01, -2.222e-01,
                  6.352e-02, 6.888e-03, 3.224e-02, 1.091e-02, -5.706e-01, -5.258e-02,
                  -3.666e-02, 1.709e-01, -4.805e-02, 2.008e-01, -1.904e-01, 5.952e-01]])

SEED = 1
N_STEPS = 81
BATCH_SIZE = 5
ALPHA = 0.6
BETA = 0.6
PHI_START = (-1.5, 6.5)


def data():
    return DATA.copy()


# ---- the notebook's given code ----------------------------------------------------------------

def model(phi, x):
    """Gabor model: sin(φ0 + 0.06 φ1 x) exp(−(φ0 + 0.06 φ1 x)² / 32)."""
    t = phi[0] + 0.06 * phi[1] * x
    return np.sin(t) * np.exp(-t * t / 32)


def compute_loss(data_x, data_y, model, phi):
    pred_y = model(phi, data_x)
    return np.sum((pred_y - data_y) ** 2)


def compute_gradient(data_x, data_y, phi):
    """∂L/∂φ of the sum-of-squares loss over the given points, as a (2, 1) array."""
    t = 0.06 * phi[1] * data_x + phi[0]
    gauss = np.exp(-0.5 * t * t / 16)
    residual = np.sin(t) * gauss - data_y
    dpred_dt = np.cos(t) * gauss - np.sin(t) * gauss * t / 16
    d_phi0 = np.sum(2 * dpred_dt * residual)
    d_phi1 = np.sum(2 * 0.06 * data_x * dpred_dt * residual)
    return np.array([[d_phi0], [d_phi1]])


# ---- the loops ----------------------------------------------------------------------------------

def _run(update) -> np.ndarray:
    rng = np.random.RandomState(SEED)  # the same stream as np.random.seed(1) + np.random.permutation
    phi_all = np.zeros((2, N_STEPS + 1))
    phi_all[:, 0] = PHI_START
    state = {"momentum": np.zeros((2, 1))}
    for c_step in range(N_STEPS):
        batch = rng.permutation(DATA.shape[1])[0:BATCH_SIZE]
        x, y = DATA[0, batch], DATA[1, batch]
        phi = phi_all[:, c_step:c_step + 1]
        phi_all[:, c_step + 1:c_step + 2] = phi - ALPHA * update(x, y, phi, state)
    return phi_all


def sgd_step(x, y, phi, state):
    return compute_gradient(x, y, phi)


def momentum_step(x, y, phi, state, alpha=ALPHA, beta=BETA):
    """Equation 6.11: m ← β m + (1 − β) g(φ); the step taken is α m."""
    state["momentum"] = beta * state["momentum"] + (1 - beta) * compute_gradient(x, y, phi)
    return state["momentum"]


def nesterov_step(x, y, phi, state, alpha=ALPHA, beta=BETA):
    """Equation 6.12: the gradient is taken at the look-ahead point φ − α β m."""
    lookahead = phi - alpha * beta * state["momentum"]
    state["momentum"] = beta * state["momentum"] + (1 - beta) * compute_gradient(x, y, lookahead)
    return state["momentum"]


# ---- values the notebook's cells build ----------------------------------------------------------

def sgd_phi_all():
    """phi_all after the plain SGD cell (given code, no exercise)."""
    return _run(sgd_step)


def momentum_phi_all():
    """phi_all after the momentum cell."""
    return _run(momentum_step)


def nesterov_phi_all():
    """phi_all after the Nesterov momentum cell."""
    return _run(nesterov_step)


def final_loss(phi_all):
    """The `loss` each loop cell prints in its last plot title: the full-data loss at phi_all[:, -1]."""
    return compute_loss(DATA[0], DATA[1], model, phi_all[:, -1:])


CELL_VALUES = {
    "phi_all@momentum": momentum_phi_all,
    "phi_all@nesterov": nesterov_phi_all,
}


def _path_figure(phi_all, title):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot(phi_all[0, :], phi_all[1, :], "go-", markersize=3)
    ax.set_xlabel("phi_0")
    ax.set_ylabel("phi_1")
    ax.set_title(title)
    return fig


def plot_momentum_path():
    return _path_figure(momentum_phi_all(), "momentum path (reference)")


def plot_nesterov_path():
    return _path_figure(nesterov_phi_all(), "Nesterov path (reference)")
