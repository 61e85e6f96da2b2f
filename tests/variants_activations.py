"""Variants of the `activations` assignment's solution notebooks (torch and NumPy editions), built at
test time by exact text edits.

Same rules as `variants.py`: every `old` must occur exactly once in the solution notebook (markdown
cells included), `broken` lists the questions that must lose points, every other question must keep
full marks. Question ids are the function names (and `*_symbolic` for the written derivations).

The derivatives reuse the student's own functions (`sigmoid_derivative` calls `sigmoid`,
`tanh_derivative` calls `tanh`, `softmax_jacobian` calls `softmax`), so a bug in one of those
also shows in the function built on it; such variants list both questions.
"""

from __future__ import annotations

from pathlib import Path

from variants import variants_of

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "examples" / "activations_solution.ipynb"
NUMPY_SOLUTION = ROOT / "examples" / "activations_numpy_solution.ipynb"


_v = variants_of(SOLUTION)


_np = variants_of(NUMPY_SOLUTION)


# probe labels from assignments/activations.yaml: the feedback names the failing probe by its label
_SOFTMAX_STABLE = "logits of magnitude 1000 ([1000, 999, 998] and [-1000, -1001, -1002])"
_SOFTMAX_DIM0 = "a 4×5 x with dim=0"
_JACOBIAN_STABLE = "x = [1000, 999, 998]"
_TANH_EXTREMES = "large |x| (±50, ±100)"

# the torch solution's lines and bodies, quoted whole where a variant rewrites them
_SIGMOID_BODY = ("    # exp(-|x|) is in (0, 1]: no overflow for any x\n"
                 "    z = torch.exp(-x.abs())\n"
                 "    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))")
_SIGMOID_RETURN = "return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))"
_SIGMOID_DERIV_BODY = "    s = sigmoid(x)\n    return s * (1 - s)"
_TANH_BODY = ("    a = x.abs()\n"
              "    return torch.sign(x) * -torch.expm1(-2 * a) / (1 + torch.exp(-2 * a))")
_TANH_DERIV = "return 1 - tanh(x) ** 2"
_RELU = "return torch.maximum(x, torch.zeros_like(x))"
_RELU_DERIV = "return (x > 0).to(x.dtype)"
_LEAKY = "return torch.where(x > 0, x, negative_slope * x)"
_LEAKY_DERIV_ONE = "torch.where(x > 0, torch.ones_like(x)"
_GELU_BODY = ("    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))  # Φ(x), the standard normal CDF\n"
              "    return x * cdf")
_SOFTMAX_MAX = "m = x.amax(dim=dim, keepdim=True)"
_SOFTMAX_SUM = "return e / e.sum(dim=dim, keepdim=True)"
_SOFTMAX_BODY = ("    m = x.amax(dim=dim, keepdim=True)  # subtract the max: exp never overflows\n"
                 "    e = torch.exp(x - m)\n"
                 "    return e / e.sum(dim=dim, keepdim=True)")
_JACOBIAN = "return torch.diag(p) - p[:, None] * p[None, :]"
_SIGMOID_LATEX = "$$\\sigma'(x) = \\sigma(x)(1-\\sigma(x))$$"
_TANH_LATEX = "$$\\tanh'(x) = 1 - \\tanh^2(x)$$"
_SOFTMAX_CASES = "\\begin{cases} p_i(1-p_i), & i = j \\\\ -p_i p_j, & i \\neq j \\end{cases}"


BUGGY = [
    # hard-coded slope: the default-slope probe still passes, the two with another negative_slope fail
    _v("leaky_relu_slope_ignored", [(_LEAKY, "return torch.where(x > 0, x, 0.01 * x)")],
       {"leaky_relu": []}, partial={"leaky_relu"}),
    # no max subtraction: exp(1000) = inf and exp(-1000) = 0 give NaN on the magnitude-1000 probes only
    # (softmax_jacobian calls softmax, so its [1000, 999, 998] probe fails as well)
    _v("softmax_no_max_subtraction", [(_SOFTMAX_BODY, "    e = torch.exp(x)\n    return e / e.sum(dim=dim, keepdim=True)")],
       {"softmax": [_SOFTMAX_STABLE], "softmax_jacobian": [_JACOBIAN_STABLE]}, partial={"softmax", "softmax_jacobian"}),
    # always along the last dimension: only the dim=0 probe notices
    _v("softmax_dim_ignored", [(_SOFTMAX_MAX, "m = x.amax(dim=-1, keepdim=True)"),
                               (_SOFTMAX_SUM, "return e / e.sum(dim=-1, keepdim=True)")],
       {"softmax": [_SOFTMAX_DIM0]}, partial={"softmax"}),
    # normalised over the whole tensor: right on the 1-D probe, wrong on every 2-D one
    _v("softmax_over_whole_tensor", [(_SOFTMAX_MAX, "m = x.max()"), (_SOFTMAX_SUM, "return e / e.sum()")],
       {"softmax": []}, partial={"softmax"}),
    # exp(±100) overflows float32: inf / inf = NaN at x = ±100 (tanh_derivative calls tanh)
    _v("tanh_naive_overflows", [(_TANH_BODY, "    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))")],
       {"tanh": [_TANH_EXTREMES], "tanh_derivative": [_TANH_EXTREMES]}, partial={"tanh", "tanh_derivative"}),
    # the tanh approximation is an accepted alternative for half credit
    _v("gelu_tanh_approximation",
       [(_GELU_BODY, "    return 0.5 * x * (1 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))")],
       {"gelu": ["tanh approximation"]}, partial={"gelu"}),
    _v("gelu_is_silu", [(_GELU_BODY, "    return x * sigmoid(x)")], {"gelu": []}),
    # right values, forbidden call: the rubric deducts for it
    _v("sigmoid_calls_torch_sigmoid", [(_SIGMOID_BODY, "    return torch.sigmoid(x)")],
       {"sigmoid": ["torch.sigmoid"]}, partial={"sigmoid"}),
    # right values, forbidden call. It differentiates a logaddexp form: through the solution's sigmoid,
    # autograd gives 0 at x = 0 (the gradient of |x| there is 0), and through 1 / (1 + exp(-x)) NaN at x = -100
    _v("sigmoid_derivative_by_autograd",
       [(_SIGMOID_DERIV_BODY, "    x = x.detach().clone().requires_grad_(True)\n"
                              "    s = torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))\n"
                              "    (grad,) = torch.autograd.grad(s.sum(), x)\n"
                              "    return grad")],
       {"sigmoid_derivative": ["torch.autograd.grad"]}, partial={"sigmoid_derivative"}),
    _v("relu_derivative_is_relu", [(_RELU_DERIV, "return relu(x)")], {"relu_derivative": []}),
    _v("tanh_derivative_not_squared", [(_TANH_DERIV, "return 1 - tanh(x)")], {"tanh_derivative": []}),
    _v("softmax_jacobian_sign", [(_JACOBIAN, "return torch.diag(p) + p[:, None] * p[None, :]")],
       {"softmax_jacobian": []}),
    _v("tanh_latex_plus", [(_TANH_LATEX, "$$\\tanh'(x) = 1 + \\tanh^2(x)$$")],
       {"tanh_derivative_symbolic": ["sign"]}),
    _v("softmax_latex_off_diagonal_positive", [("-p_i p_j, & i \\neq j", "p_i p_j, & i \\neq j")],
       {"softmax_jacobian_symbolic": ["negative"]}),
    # right values, but the caller's tensor is changed in place
    _v("relu_mutates_input", [(_RELU, "x[x < 0] = 0\n    return x")],
       {"relu": ["modified its input"]}, partial={"relu"}),
]

CORRECT = [
    _v("sigmoid_logaddexp", [(_SIGMOID_BODY, "    return torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))")]),
    # exp(100) = inf in float32, but 1 / (1 + inf) = 0: no NaN
    _v("sigmoid_naive", [(_SIGMOID_BODY, "    return 1 / (1 + torch.exp(-x))")]),
    _v("relu_clamp", [(_RELU, "return x.clamp(min=0)")]),
    _v("relu_where", [(_RELU, "return torch.where(x > 0, x, torch.zeros_like(x))")]),
    _v("relu_derivative_one_at_zero", [(_RELU_DERIV, "return (x >= 0).to(x.dtype)")]),
    _v("leaky_relu_derivative_one_at_zero", [(_LEAKY_DERIV_ONE, "torch.where(x >= 0, torch.ones_like(x)")]),
    _v("sigmoid_float64", [(_SIGMOID_RETURN, _SIGMOID_RETURN + ".double()")]),
    _v("softmax_logsumexp", [(_SOFTMAX_BODY, "    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))")]),
    _v("softmax_jacobian_outer", [(_JACOBIAN, "return torch.diag(p) - torch.outer(p, p)")]),
    _v("tanh_via_own_sigmoid", [(_TANH_BODY, "    return 2 * sigmoid(2 * x) - 1")]),
    _v("gelu_one_line", [(_GELU_BODY, "    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))")]),
    _v("sigmoid_latex_expanded", [(_SIGMOID_LATEX, "$$\\sigma'(x) = \\sigma(x) - \\sigma(x)^2$$")]),
    _v("softmax_latex_kronecker_delta", [(_SOFTMAX_CASES, "p_i(\\delta_{ij} - p_j)")]),
]

# the NumPy edition (no gelu, gelu_derivative)
_NP_LEAKY = "return np.where(x > 0, x, negative_slope * x)"
_NP_RELU = "return np.where(x > 0, x, np.zeros_like(x))"
_NP_RELU_DERIV = "return (x > 0).astype(x.dtype)"
_NP_SIGMOID_RETURN = "return np.where(x >= 0, 1 / (1 + z), z / (1 + z))"
_NP_SOFTMAX_MAX = "m = np.max(x, axis=dim, keepdims=True)"
_NP_SOFTMAX_SUM = "return e / np.sum(e, axis=dim, keepdims=True)"
_NP_SOFTMAX_BODY = ("    m = np.max(x, axis=dim, keepdims=True)  # subtract the max: exp never overflows\n"
                    "    e = np.exp(x - m)\n"
                    "    return e / np.sum(e, axis=dim, keepdims=True)")


BUGGY_NUMPY = [
    _np("numpy_softmax_no_max_subtraction",
        [(_NP_SOFTMAX_BODY, "    e = np.exp(x)\n    return e / np.sum(e, axis=dim, keepdims=True)")],
        {"softmax": [_SOFTMAX_STABLE], "softmax_jacobian": [_JACOBIAN_STABLE]}, partial={"softmax", "softmax_jacobian"}),
    _np("numpy_softmax_axis_ignored", [(_NP_SOFTMAX_MAX, "m = np.max(x, axis=-1, keepdims=True)"),
                                       (_NP_SOFTMAX_SUM, "return e / np.sum(e, axis=-1, keepdims=True)")],
        {"softmax": [_SOFTMAX_DIM0]}, partial={"softmax"}),
    _np("numpy_leaky_relu_slope_ignored", [(_NP_LEAKY, "return np.where(x > 0, x, 0.01 * x)")],
        {"leaky_relu": []}, partial={"leaky_relu"}),
    _np("numpy_relu_derivative_swapped", [(_NP_RELU_DERIV, "return (x <= 0).astype(x.dtype)")],
        {"relu_derivative": []}),
]

CORRECT_NUMPY = [
    _np("numpy_relu_maximum", [(_NP_RELU, "return np.maximum(x, 0)")]),
    _np("numpy_sigmoid_float64", [(_NP_SIGMOID_RETURN, _NP_SIGMOID_RETURN + ".astype(np.float64)")]),
    _np("numpy_softmax_logsumexp",
        [(_NP_SOFTMAX_BODY, "    m = np.max(x, axis=dim, keepdims=True)\n"
                            "    lse = m + np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))\n"
                            "    return np.exp(x - lse)")]),
]
