"""Single-bug variants of the Understanding Deep Learning notebooks (udlbook/udlbook), built at test
time by exact text edits of the solutions shipped in assignments/udl-*/.

Same rules as variants.py: every `old` must occur exactly once in the solution notebook (markdown
cells included), `broken` lists what must lose points with needles `[]`, everything else must keep
full marks. Keys are the upstream function names, or, for a value a cell builds, the variable's
name. A variable assigned by several cells is keyed `name@exercise`, the exercise being the student
function the cell calls (`grad_path1@adam`, `y@sigmoid`) or, in the momentum notebook whose
exercises are lines inside loop cells, the loop (`phi_all@momentum`, `phi_all@nesterov`). Each key
of the form `name@...` matches CELL_VALUES in assignments/<notebook>/reference.py.

Dependencies between student code, which make one bug show in several keys:
  udl_3_4_activations  y@sigmoid / y@heaviside run the student's sigmoid / heaviside in shallow_1_1_3
  udl_5_2_bce          compute_likelihood calls bernoulli_distribution; every printed and looped value
                       (likelihood, nll, likelihoods, nlls, the printed optimum) goes through the student's sigmoid; the
                       solution's NLL is written directly in log space and does not call bernoulli_distribution
  udl_6_5_adam         adam does not call normalized_gradients
"""

from __future__ import annotations

from pathlib import Path

from variants import Variant

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("udl_3_4_activations", "udl_5_2_bce", "udl_6_4_momentum", "udl_6_5_adam")
# each assignment ships its own starter (the blank) and solution: assignments/udl-6-5-adam/...
_FOLDERS = {n: ROOT / "assignments" / n.replace("_", "-") for n in NOTEBOOKS}

SOLUTIONS = {n: _FOLDERS[n] / "solution.ipynb" for n in NOTEBOOKS}
BLANKS = {n: _FOLDERS[n] / "starter.ipynb" for n in NOTEBOOKS}


def _variants(notebook: str, specs: list[tuple]) -> list[Variant]:
    out = []
    for spec in specs:
        name, edits, broken = spec[:3]
        partial = spec[3] if len(spec) > 3 else set()
        out.append(Variant(f"{notebook}__{name}", edits, {k: [] for k in broken}, partial=partial,
                           seed=SOLUTIONS[notebook]))
    return out


# ---- 3.4 activation functions ------------------------------------------------------------------
_SIGMOID = "activation = 1.0 / (1.0 + np.exp(-10.0 * preactivation))"
_HEAVISIDE = "activation = (preactivation >= 0).astype(int)"

_ACTIVATIONS = _variants("udl_3_4_activations", [
    # the standard sigmoid, without the notebook's factor 10
    ("sigmoid_without_factor_10", [(_SIGMOID, "activation = 1.0 / (1.0 + np.exp(-preactivation))")],
     ["sigmoid", "sig_z", "y@sigmoid", "sigmoid_plot"]),
    ("sigmoid_wrong_sign", [(_SIGMOID, "activation = 1.0 / (1.0 + np.exp(10.0 * preactivation))")],
     ["sigmoid", "sig_z", "y@sigmoid", "sigmoid_plot"]),
    # heaviside[0] must be 1. z = np.arange(-1,1,0.01) never hits 0.0 exactly (its middle value is
    # 8.9e-16), so heav_z keeps its value; the network's pre_1 (x = 0.3) and pre_2 (x = 0.5) are
    # exactly 0.0, so y@heaviside changes
    ("heaviside_zero_at_zero", [(_HEAVISIDE, "activation = (preactivation > 0).astype(int)")],
     ["heaviside", "y@heaviside"]),
    ("heaviside_as_sign", [(_HEAVISIDE, "activation = np.sign(preactivation)")],
     ["heaviside", "heav_z", "y@heaviside", "heaviside_plot"]),
])

# ---- 5.2 binary cross-entropy --------------------------------------------------------------------
_SIG_OUT = "sig_model_out = 1.0 / (1.0 + np.exp(-model_out))"
_PROB = "prob = np.power(lambda_param, y) * np.power(1.0 - lambda_param, 1 - y)"
_LIKELIHOOD = "likelihood = np.prod(bernoulli_distribution(y_train, lambda_param))"
_NLL = "nll = -np.sum(y_train * np.log(lambda_param) + (1 - y_train) * np.log(1.0 - lambda_param))"

_BCE = _variants("udl_5_2_bce", [
    ("sigmoid_wrong_sign", [(_SIG_OUT, "sig_model_out = 1.0 / (1.0 + np.exp(model_out))")],
     ["sigmoid", "likelihood", "nll", "likelihoods", "nlls", "optimum", "likelihood_plot"]),
    ("bernoulli_swapped", [(_PROB, "prob = np.power(lambda_param, 1 - y) * np.power(1.0 - lambda_param, y)")],
     ["bernoulli_distribution", "likelihood", "likelihoods", "optimum", "likelihood_plot"]),  # compute_likelihood: isolated
    ("likelihood_sum_not_product", [(_LIKELIHOOD, "likelihood = np.sum(bernoulli_distribution(y_train, lambda_param))")],
     ["compute_likelihood", "likelihood", "likelihoods", "optimum", "likelihood_plot"]),
    ("nll_without_minus", [(_NLL, "nll = np.sum(y_train * np.log(lambda_param) + (1 - y_train) * np.log(1.0 - lambda_param))")],
     ["compute_negative_log_likelihood", "nll", "nlls", "optimum", "likelihood_plot"]),
    # −log of the product of probabilities, not a sum of logs: equal on the notebook's 20 points
    # (so nll and nlls keep their values), but the product underflows to 0 and the NLL becomes inf
    # on a large dataset (a few thousand points): only a probe with many points can see it
    ("nll_from_product_not_log_space",
     [(_NLL, "nll = -np.log(np.prod(bernoulli_distribution(y_train, lambda_param)))")],
     ["compute_negative_log_likelihood"], {"compute_negative_log_likelihood"}),
])

# ---- 6.4 momentum --------------------------------------------------------------------------------
_MOMENTUM_TODO = "# TODO -- calculate momentum - replace the line below\n"
_MOMENTUM = _MOMENTUM_TODO + "  momentum = beta * momentum + (1 - beta) * gradient"
_NESTEROV_GRAD = ("gradient = compute_gradient(data[0,batch_index], data[1,batch_index], "
                  "phi_all[:,c_step:c_step+1] - alpha * beta * momentum)")
_NESTEROV_TODO = "# TODO -- calculate Nesterov momentum - replace the lines below\n"
_NESTEROV = _NESTEROV_TODO + "  " + _NESTEROV_GRAD + "\n  momentum = beta * momentum + (1 - beta) * gradient"

_MOMENTUM_VARIANTS = _variants("udl_6_4_momentum", [
    # SGD-style momentum m ← βm + g: not the book's equation 6.11 (steps 1/(1 − β) = 2.5 times longer)
    ("momentum_without_one_minus_beta", [(_MOMENTUM, _MOMENTUM_TODO + "  momentum = beta * momentum + gradient")],
     ["phi_all@momentum", "momentum_plot"]),
    ("momentum_weights_swapped",
     [(_MOMENTUM, _MOMENTUM_TODO + "  momentum = (1 - beta) * momentum + beta * gradient")],
     ["phi_all@momentum", "momentum_plot"]),
    ("nesterov_without_lookahead",
     [(_NESTEROV_GRAD, "gradient = compute_gradient(data[0,batch_index], data[1,batch_index], phi_all[:,c_step:c_step+1])")],
     ["phi_all@nesterov", "nesterov_plot"]),
    ("nesterov_lookahead_wrong_sign",
     [(_NESTEROV_GRAD, _NESTEROV_GRAD.replace("- alpha * beta * momentum", "+ alpha * beta * momentum"))],
     ["phi_all@nesterov", "nesterov_plot"]),
    ("nesterov_without_one_minus_beta",
     [(_NESTEROV, _NESTEROV_TODO + "  " + _NESTEROV_GRAD + "\n  momentum = beta * momentum + gradient")],
     ["phi_all@nesterov", "nesterov_plot"]),
])

# ---- 6.5 Adam ------------------------------------------------------------------------------------
_NORMALIZED_STEP = "grad_path[:,c_step+1] = grad_path[:,c_step] - alpha * m / (np.sqrt(v) + epsilon)"
_ADAM_M = "m = beta * m + (1 - beta) * grad"
_ADAM_TILDE = ("m_tilde = m / (1 - np.power(beta, c_step + 1))\n"
               "        v_tilde = v / (1 - np.power(gamma, c_step + 1))")
_ADAM_STEP = "grad_path[:,c_step+1] = grad_path[:,c_step] - alpha * m_tilde / (np.sqrt(v_tilde) + epsilon)"

_ADAM = _variants("udl_6_5_adam", [
    ("adam_without_bias_correction", [(_ADAM_TILDE, "m_tilde = m\n        v_tilde = v")],
     ["adam", "grad_path1@adam", "adam_plot"]),
    # t counted from 0 in the correction: 1 − β⁰ = 0 at the first step, the path becomes nan
    ("adam_bias_correction_off_by_one",
     [(_ADAM_TILDE, "m_tilde = m / (1 - np.power(beta, c_step))\n        v_tilde = v / (1 - np.power(gamma, c_step))")],
     ["adam", "grad_path1@adam", "adam_plot"]),
    ("adam_without_one_minus_beta", [(_ADAM_M, "m = beta * m + grad")],
     ["adam", "grad_path1@adam", "adam_plot"]),
    ("adam_without_sqrt", [(_ADAM_STEP, "grad_path[:,c_step+1] = grad_path[:,c_step] - alpha * m_tilde / (v_tilde + epsilon)")],
     ["adam", "grad_path1@adam", "adam_plot"]),
    ("normalized_gradients_without_sqrt",
     [(_NORMALIZED_STEP, "grad_path[:,c_step+1] = grad_path[:,c_step] - alpha * m / (v + epsilon)")],
     ["normalized_gradients", "grad_path1@normalized_gradients", "normalized_gradients_plot"]),
])

BUGGY: dict[str, list[Variant]] = {
    "udl_3_4_activations": _ACTIVATIONS,
    "udl_5_2_bce": _BCE,
    "udl_6_4_momentum": _MOMENTUM_VARIANTS,
    "udl_6_5_adam": _ADAM,
}
