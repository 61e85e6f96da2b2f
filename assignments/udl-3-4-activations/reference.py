"""NumPy references for UDL notebook 3.4 (Activation functions), from the book's definitions.

Graded functions: `sigmoid` (the notebook's steepened logistic sigmoid, 1 / (1 + exp(-10 z))) and
`heaviside` (0 for z < 0, 1 for z >= 0). The notebook's given code (`ReLU`, `lin`, `shallow_1_1_3`,
the parameter cells) is re-implemented here so the values its cells build can be computed alone.

`CELL_VALUES` maps each value a cell builds from a student function to a zero-argument function
returning it. A variable the notebook assigns in several cells is keyed `name@exercise`, the
exercise being the student function that cell runs (`y@sigmoid` is the `y` of the sigmoid network).
"""

from __future__ import annotations

import numpy as np

SIGMOID_SCALE = 10.0  # the notebook's non-standard factor: f[z] = 1 / (1 + exp(-10 z))


# ---- graded functions -------------------------------------------------------------------------

def sigmoid(preactivation):
    """Logistic sigmoid with the notebook's slope factor 10: 1 / (1 + exp(-10 z))."""
    z = np.asarray(preactivation, dtype=float)
    with np.errstate(over="ignore"):  # exp(1000) = inf gives exactly 0, which is right
        return 1.0 / (1.0 + np.exp(-SIGMOID_SCALE * z))


def heaviside(preactivation):
    """Unit step: 0 where z < 0, 1 where z >= 0 (heaviside[0] = 1, as the notebook defines it)."""
    z = np.asarray(preactivation, dtype=float)
    return np.where(z >= 0, 1.0, 0.0)


# ---- the notebook's given code ----------------------------------------------------------------

def ReLU(preactivation):
    return np.clip(np.asarray(preactivation, dtype=float), 0.0, None)


def lin(preactivation, a=0.0, b=1.0):
    """The notebook's linear activation with its shipped a=0, b=1 (students are told to try others)."""
    return a + b * np.asarray(preactivation, dtype=float)


def shallow_1_1_3(x, activation_fn, phi_0, phi_1, phi_2, phi_3, theta_10, theta_11, theta_20, theta_21, theta_30, theta_31):
    """One input, three hidden units, one output: y = φ0 + Σ_d φd a[θd0 + θd1 x] (equation 3.1)."""
    pre_1 = theta_10 + theta_11 * x
    pre_2 = theta_20 + theta_21 * x
    pre_3 = theta_30 + theta_31 * x
    act_1, act_2, act_3 = activation_fn(pre_1), activation_fn(pre_2), activation_fn(pre_3)
    w_act_1, w_act_2, w_act_3 = phi_1 * act_1, phi_2 * act_2, phi_3 * act_3
    y = phi_0 + w_act_1 + w_act_2 + w_act_3
    return y, pre_1, pre_2, pre_3, act_1, act_2, act_3, w_act_1, w_act_2, w_act_3


THETAS = dict(theta_10=0.3, theta_11=-1.0, theta_20=-1.0, theta_21=2.0, theta_30=-0.5, theta_31=0.65)
PHIS_RELU = dict(phi_0=-0.3, phi_1=2.0, phi_2=-1.0, phi_3=7.0)  # the ReLU cell's output weights
PHIS = dict(phi_0=0.3, phi_1=0.5, phi_2=-1.0, phi_3=0.9)  # the sigmoid, heaviside and linear cells'
OUTPUT_NAMES = ("y", "pre_1", "pre_2", "pre_3", "act_1", "act_2", "act_3", "w_act_1", "w_act_2", "w_act_3")


def x_values():
    return np.arange(0, 1, 0.01)


def z_values():
    return np.arange(-1, 1, 0.01)


def network_outputs(activation_fn, phis=PHIS) -> dict:
    """Every variable a network cell unpacks from shallow_1_1_3, by name."""
    out = shallow_1_1_3(x_values(), activation_fn, phis["phi_0"], phis["phi_1"], phis["phi_2"], phis["phi_3"],
                        THETAS["theta_10"], THETAS["theta_11"], THETAS["theta_20"], THETAS["theta_21"],
                        THETAS["theta_30"], THETAS["theta_31"])
    return dict(zip(OUTPUT_NAMES, out))


# ---- values the notebook's cells build ----------------------------------------------------------

def sig_z():
    """`sig_z = sigmoid(z)` with z = np.arange(-1,1,0.01)."""
    return sigmoid(z_values())


def heav_z():
    """`heav_z = heaviside(z)` with z = np.arange(-1,1,0.01)."""
    return heaviside(z_values())


def y_relu():
    """`y` after the ReLU network cell (given code, no exercise)."""
    return network_outputs(ReLU, PHIS_RELU)["y"]


def y_sigmoid():
    """`y` after the cell that runs shallow_1_1_3(x, sigmoid, ...)."""
    return network_outputs(sigmoid)["y"]


def y_heaviside():
    """`y` after the cell that runs shallow_1_1_3(x, heaviside, ...)."""
    return network_outputs(heaviside)["y"]


def y_lin():
    """`y` after the linear-activation cell, with lin's shipped a=0, b=1 (not graded: students edit a, b)."""
    return network_outputs(lin)["y"]


CELL_VALUES = {
    "sig_z": sig_z,
    "heav_z": heav_z,
    "y@sigmoid": y_sigmoid,
    "y@heaviside": y_heaviside,
}


# ---- reference figures (shown next to the student's in the HTML feedback) -------------------------

def _curve(x, y, title):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(x, y, "r-")
    ax.set_title(title)
    return fig


def plot_sig_z():
    return _curve(z_values(), sig_z(), "sigmoid(z) (reference)")


def plot_heav_z():
    return _curve(z_values(), heav_z(), "heaviside(z) (reference)")
