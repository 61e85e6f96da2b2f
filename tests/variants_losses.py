"""Variants of the `losses` assignment's solution notebook, built at test time by exact text edits.

Same rules as `variants.py`: every `old` must occur exactly once in the solution notebook (markdown
cells included), `broken` lists the questions that must lose points, every other question must keep
full marks. Question ids are the function names (and `*_symbolic` for the written derivations).
"""

from __future__ import annotations

from pathlib import Path

from variants import variants_of

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "examples" / "losses_solution.ipynb"


_v = variants_of(SOLUTION)


# the solution's lines and bodies, quoted whole where a variant rewrites them
_MSE_LOSS = "return ((y_pred - y) ** 2).mean()"
_MSE_GRAD = "return 2 * (y_pred - y) / y_pred.numel()"
_L1_GRAD = "return torch.sign(y_pred - y) / y_pred.numel()"
_BCE_LOSS = "return -(y * log_p + (1 - y) * log_1mp).mean()"
_BCE_GRAD = "return (p - y) / (p * (1 - p)) / p.numel()"
_BCE_LOGITS_LOSS = "loss = torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-torch.abs(z)))"
_BCE_LOGITS_GRAD = "return (sig - y) / z.numel()"
_CE_SHIFT = "shifted = logits - logits.max(dim=1, keepdim=True).values"
_CE_LOG_PROBS = (_CE_SHIFT + "\n"
                 "    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))")
_CE_MEAN = "return -picked.mean()"
_CE_GRAD_BODY = ("    n = logits.shape[0]\n"
                 "    exps = torch.exp(logits - logits.max(dim=1, keepdim=True).values)\n"
                 "    probs = exps / exps.sum(dim=1, keepdim=True)\n"
                 "    onehot = torch.zeros_like(probs)\n"
                 "    onehot[torch.arange(n), target] = 1.0\n"
                 "    return (probs - onehot) / n")
_CE_ONEHOT = "    onehot = torch.zeros_like(probs)\n    onehot[torch.arange(n), target] = 1.0"
_CE_GRAD_RETURN = "return (probs - onehot) / n"
_NLL_PICK = "chosen = log_probs.gather(1, target[:, None]).squeeze(1)"
_MSE_LATEX = r"$$\frac{\partial L}{\partial \hat y_i} = \frac{2}{n}(\hat y_i - y_i)$$"
_BCE_LOGITS_LATEX = r"$$\frac{\partial L}{\partial z} = \sigma(z) - y$$"

BUGGY = [
    # the sum of squares: n times too large, except on the single-element probe (n = 1)
    _v("mse_loss_sum", [(_MSE_LOSS, "return ((y_pred - y) ** 2).sum()")],
       {"mse_loss": []}, partial={"mse_loss"}),
    _v("mse_grad_no_two", [(_MSE_GRAD, "return (y_pred - y) / y_pred.numel()")],
       {"mse_grad": []}),
    # the gradient of the summed loss: right only on the single-element probe (n = 1)
    _v("mse_grad_no_mean", [(_MSE_GRAD, "return 2 * (y_pred - y)")],
       {"mse_grad": []}, partial={"mse_grad"}),
    _v("l1_grad_no_mean", [(_L1_GRAD, "return torch.sign(y_pred - y)")],
       {"l1_grad": []}),
    _v("bce_loss_sign_flipped", [(_BCE_LOSS, "return (y * log_p + (1 - y) * log_1mp).mean()")],
       {"bce_loss": []}),
    _v("bce_grad_of_sum", [(_BCE_GRAD, "return (p - y) / (p * (1 - p))")],
       {"bce_grad": []}),
    # log σ(z) computed naively: right for moderate logits, inf/NaN at |z| = 50, 100 (1 − σ(z) rounds to 0)
    _v("bce_logits_naive",
       [(_BCE_LOGITS_LOSS, "loss = -(y * torch.log(torch.sigmoid(z)) + (1 - y) * torch.log(1 - torch.sigmoid(z)))")],
       {"bce_with_logits_loss": ["large logits z = [-100, -50, 50, 100] with y = [1, 0, 1, 0]"]},
       partial={"bce_with_logits_loss"}),
    _v("bce_logits_grad_no_mean", [(_BCE_LOGITS_GRAD, "return sig - y")],
       {"bce_with_logits_grad": []}),
    # exp of the raw logits: right for small logits, inf at magnitude 1000
    _v("cross_entropy_no_logsumexp", [(_CE_SHIFT, "shifted = logits")],
       {"cross_entropy_loss": ["logits of magnitude 1000 ([[1000, 999, 998], [-1000, -1001, -1002]], targets [2, 0])"]},
       partial={"cross_entropy_loss"}),
    # summed over the batch: N times too large, except on the one-sample probe (N = 1)
    _v("cross_entropy_sum_over_batch", [(_CE_MEAN, "return -picked.sum()")],
       {"cross_entropy_loss": []}, partial={"cross_entropy_loss"}),
    _v("cross_entropy_grad_no_onehot", [(_CE_GRAD_RETURN, "return probs / n")],
       {"cross_entropy_grad": []}),
    _v("nll_first_column", [(_NLL_PICK, "chosen = log_probs[:, 0]")],
       {"nll_loss": []}),
    # the right values from torch's own loss: the forbidden call costs the question points
    _v("mse_loss_via_functional", [(_MSE_LOSS, "return torch.nn.functional.mse_loss(y_pred, y)")],
       {"mse_loss": ["torch.nn.functional.mse_loss"]}, partial={"mse_loss"}),
    # the right values from autograd of the hand-written loss: the rubric forbids torch.autograd
    _v("cross_entropy_grad_via_autograd",
       [(_CE_GRAD_BODY, "    z = logits.detach().clone().requires_grad_(True)\n"
                        "    loss = cross_entropy_loss(z, target)\n"
                        "    (grad,) = torch.autograd.grad(loss, [z])\n"
                        "    return grad")],
       {"cross_entropy_grad": ["torch.autograd"]}, partial={"cross_entropy_grad"}),
    _v("mse_latex_no_two", [(_MSE_LATEX, r"$$\frac{\partial L}{\partial \hat y_i} = \frac{1}{n}(\hat y_i - y_i)$$")],
       {"mse_grad_symbolic": []}),
    _v("bce_logits_latex_sign", [(_BCE_LOGITS_LATEX, r"$$\frac{\partial L}{\partial z} = y - \sigma(z)$$")],
       {"bce_with_logits_grad_symbolic": []}),
]

CORRECT = [
    _v("mse_loss_square_mean", [(_MSE_LOSS, "return torch.mean(torch.square(y_pred - y))")]),
    # log(1 + e^z) as logaddexp(0, z): stable too
    _v("bce_logits_logaddexp", [(_BCE_LOGITS_LOSS, "loss = torch.logaddexp(torch.zeros_like(z), z) - y * z")]),
    _v("cross_entropy_logsumexp", [(_CE_LOG_PROBS, "log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)")]),
    _v("cross_entropy_grad_scatter_onehot",
       [(_CE_ONEHOT, "    onehot = torch.zeros_like(probs).scatter_(1, target[:, None], 1)")]),
    _v("cross_entropy_grad_eye_onehot",
       [(_CE_ONEHOT, "    onehot = torch.eye(logits.shape[1])[target]")]),
    _v("l1_grad_where_zero_at_ties",
       [(_L1_GRAD, "d = y_pred - y\n"
                   "    step = torch.where(d > 0, torch.ones_like(d), torch.where(d < 0, -torch.ones_like(d), torch.zeros_like(d)))\n"
                   "    return step / y_pred.numel()")]),
    _v("mse_grad_float64", [(_MSE_GRAD, "return (2 * (y_pred - y) / y_pred.numel()).double()")]),
    # ŷ defined on an earlier line, then used in the graded equation
    _v("bce_logits_latex_yhat",
       [(_BCE_LOGITS_LATEX, "Writing $\\hat y = \\sigma(z)$ for the predicted probability:\n\n"
                            r"$$\frac{\partial L}{\partial z} = \hat y - y$$")]),
    _v("mse_latex_one_fraction",
       [(_MSE_LATEX, r"$$\frac{\partial L}{\partial \hat y_i} = \frac{2(\hat y_i - y_i)}{n}$$")]),
]
