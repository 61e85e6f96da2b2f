"""NumPy references for UDL notebook 5.2 (Binary cross-entropy loss), from the book's equations.

Graded functions:
  sigmoid(model_out)                              logistic sigmoid, equation 5.18
  bernoulli_distribution(y, lambda_param)         Pr(y | λ) = λ^y (1 − λ)^(1−y), equation 5.17
  compute_likelihood(y_train, lambda_param)       Π_i Pr(y_i | λ_i), equation 5.3 (top line)
  compute_negative_log_likelihood(y_train, λ)     −Σ_i [y_i log λ_i + (1 − y_i) log(1 − λ_i)], computed in
                                                  log space (never as −log of the product, which underflows)

The notebook's given network, parameters and training data are re-implemented so the values its
cells build can be computed alone. `CELL_VALUES` maps each such variable to a zero-argument function.
"""

from __future__ import annotations

import numpy as np


# ---- graded functions -------------------------------------------------------------------------

def sigmoid(model_out):
    """sig[z] = 1 / (1 + exp(−z)), written so that it never overflows for large |z|."""
    z = np.asarray(model_out, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bernoulli_distribution(y, lambda_param):
    """λ^y (1 − λ)^(1 − y) for y in {0, 1}."""
    y = np.asarray(y, dtype=float)
    lam = np.asarray(lambda_param, dtype=float)
    return np.power(lam, y) * np.power(1.0 - lam, 1.0 - y)


def compute_likelihood(y_train, lambda_param):
    """Product over the data of the Bernoulli probabilities (a scalar)."""
    return float(np.prod(bernoulli_distribution(y_train, lambda_param)))


def compute_negative_log_likelihood(y_train, lambda_param):
    """−Σ log Pr(y_i | λ_i), summed in log space: binary cross-entropy (equation 5.20), a scalar."""
    y = np.asarray(y_train, dtype=float)
    lam = np.asarray(lambda_param, dtype=float)
    return float(-np.sum(y * np.log(lam) + (1.0 - y) * np.log1p(-lam)))


# ---- the notebook's given code ----------------------------------------------------------------

def ReLU(preactivation):
    return np.clip(preactivation, 0.0, None)


def shallow_nn(x, beta_0, omega_0, beta_1, omega_1):
    """One input, three ReLU hidden units, one output; returns a (1, n) array.

    The notebook's version names its last parameter `omaga_1` and reads the global `omega_1`;
    every call in the notebook passes that same global, so the values agree.
    """
    n_data = np.size(x)
    x = np.reshape(x, (1, n_data))
    h1 = ReLU(beta_0 @ np.ones((1, n_data)) + omega_0 @ x)
    return beta_1 @ np.ones((1, n_data)) + omega_1 @ h1


def get_parameters():
    beta_0 = np.array([[0.3], [-1.0], [-0.5]])
    omega_0 = np.array([[-1.0], [1.8], [0.65]])
    beta_1 = np.array([[2.6]])
    omega_1 = np.array([[-24.0, -8.0, 50.0]])
    return beta_0, omega_0, beta_1, omega_1


X_TRAIN = np.array([0.09291784, 0.46809093, 0.93089486, 0.67612654, 0.73441752, 0.86847339,
                    0.49873225, 0.51083168, 0.18343972, 0.99380898, 0.27840809, 0.38028817,
                    0.12055708, 0.56715537, 0.92005746, 0.77072270, 0.85278176, 0.05315950,
                    0.87168699, 0.58858043])
Y_TRAIN = np.array([0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1])

EXPECTED_LIKELIHOOD = 0.000070237  # the value the notebook prints as "Correct answer"
EXPECTED_NLL = 9.563639387


def x_train():
    return X_TRAIN.copy()


def y_train():
    return Y_TRAIN.copy()


def x_model():
    return np.arange(0, 1, 0.01)


def beta_1_vals():
    return np.arange(-2, 6.0, 0.1)


def _lambda_train(beta_1_value=None):
    beta_0, omega_0, beta_1, omega_1 = get_parameters()
    if beta_1_value is not None:
        beta_1[0, 0] = beta_1_value
    return sigmoid(shallow_nn(X_TRAIN, beta_0, omega_0, beta_1, omega_1))


# ---- values the notebook's cells build ----------------------------------------------------------

def lambda_model():
    """`lambda_model = sigmoid(model_out)` in the first plotting cell (shape (1, 100))."""
    beta_0, omega_0, beta_1, omega_1 = get_parameters()
    return sigmoid(shallow_nn(x_model(), beta_0, omega_0, beta_1, omega_1))


def lambda_train():
    """`lambda_train` in the likelihood and NLL test cells (shape (1, 20))."""
    return _lambda_train()


def likelihood():
    """`likelihood = compute_likelihood(y_train, lambda_train)`; printed, expected 0.000070237."""
    return compute_likelihood(Y_TRAIN, _lambda_train())


def nll():
    """`nll = compute_negative_log_likelihood(y_train, lambda_train)`; printed, expected 9.563639387."""
    return compute_negative_log_likelihood(Y_TRAIN, _lambda_train())


def likelihoods():
    """`likelihoods` after the loop over beta_1_vals = np.arange(-2, 6.0, 0.1)."""
    return np.array([compute_likelihood(Y_TRAIN, _lambda_train(b)) for b in beta_1_vals()])


def nlls():
    """`nlls` after the loop over beta_1_vals = np.arange(-2, 6.0, 0.1)."""
    return np.array([compute_negative_log_likelihood(Y_TRAIN, _lambda_train(b)) for b in beta_1_vals()])


def best_beta_1():
    """`beta_1[0,0]` after the last cell: the beta_1 value of minimum NLL (also of maximum likelihood)."""
    return float(beta_1_vals()[np.argmin(nlls())])


# lambda_model is left out: the loop and the last cell reassign it (the function above is its first value)
CELL_VALUES = {
    "likelihood": likelihood,
    "nll": nll,
    "likelihoods": likelihoods,
    "nlls": nlls,
}


def printed_optimum():
    """The last cell's two lines: max likelihood and its beta_1, min NLL and its beta_1."""
    lk, nl, b = likelihoods(), nlls(), beta_1_vals()
    return [lk.max(), b[np.argmax(lk)], nl.min(), b[np.argmin(nl)]]


def plot_likelihoods():
    import matplotlib.pyplot as plt

    # as the notebook draws it: the likelihood on the left axis, the NLL on a twin right axis
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(beta_1_vals(), likelihoods(), color="tab:red")
    ax.set_xlabel("beta_1[0]")
    ax.set_ylabel("likelihood (reference)", color="tab:red")
    twin = ax.twinx()
    twin.plot(beta_1_vals(), nlls(), color="tab:blue")
    twin.set_ylabel("negative log likelihood (reference)", color="tab:blue")
    return fig
