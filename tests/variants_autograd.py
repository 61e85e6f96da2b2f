"""Variants of the `autograd` assignment's solution notebook, built at test time by exact text edits.

Same rules as `variants.py`: every `old` must occur exactly once in the solution notebook (markdown
cells included), `broken` lists the questions that must lose points, every other question must keep
full marks. Question ids are the function names.
"""

from __future__ import annotations

from pathlib import Path

from variants import variants_of

ROOT = Path(__file__).resolve().parents[1]
AUTOGRAD_SEED = ROOT / "examples" / "autograd_solution.ipynb"


_v = variants_of(AUTOGRAD_SEED)


# the solution's function bodies, quoted whole where a variant rewrites one
_MSE_BODY = ("    w = w.detach().clone().requires_grad_(True)  # a fresh leaf: the caller's w is left alone\n"
             "    mse = F.mse_loss(x * w, y)\n"
             "    (grad_w,) = torch.autograd.grad(mse, [w])\n"
             "    return grad_w")
_JACOBIAN_ROWS = "    rows = [torch.autograd.grad(p[i], [a], retain_graph=True)[0] for i in range(p.numel())]"

SOLUTION = AUTOGRAD_SEED

BUGGY = [
    # the gradient of the summed squared error: a factor n too large (identical when n = 1, as in the seed's example)
    _v("mse_sum_not_mean", [("mse = F.mse_loss(x * w, y)", "mse = F.mse_loss(x * w, y, reduction='sum')")],
       {"mse_grad_w": []}),
    _v("linear_grads_swapped", [("return (weight.grad, bias.grad)", "return (bias.grad, weight.grad)")],
       {"linear_mse_grads": []}),
    # the next row of the Jacobian (wrapping round, so the last i does not raise an IndexError instead)
    _v("softmax_row_off_by_one", [("p_i = F.softmax(a, dim=0)[i]", "p_i = F.softmax(a, dim=0)[(i + 1) % a.numel()]")],
       {"softmax_grad_row": []}),
    # no minus sign off the diagonal: J_ij = +p_i p_j (the transpose is no bug: softmax's Jacobian is symmetric)
    _v("jacobian_off_diagonal_sign", [("return torch.stack(rows)", "return torch.stack(rows).abs()")],
       {"softmax_jacobian_autograd": []}),
    # makes the caller's w require grad and accumulates into its .grad: right values on a fresh w,
    # but the input's autograd state is changed (its data bytes are not)
    _v("mse_mutates_w_grad_state",
       [("    w = w.detach().clone().requires_grad_(True)  # a fresh leaf: the caller's w is left alone\n",
         "    w.requires_grad_()\n"),
        ("    (grad_w,) = torch.autograd.grad(mse, [w])\n    return grad_w", "    mse.backward()\n    return w.grad")],
       {"mse_grad_w": []}),
    # the right values from a formula derived by hand: the rubric requires torch.autograd
    _v("mse_hand_formula", [(_MSE_BODY, "    return 2 * x * (x * w - y) / x.numel()")],
       {"mse_grad_w": ["autograd"]}, partial={"mse_grad_w"}),
    # the graph is freed after the first row: RuntimeError (backward through the graph a second time)
    _v("jacobian_without_retain_graph", [("retain_graph=True)[0]", ")[0]")],
       {"softmax_jacobian_autograd": ["RuntimeError"]}),
]

CORRECT = [
    _v("mse_via_backward", [("    (grad_w,) = torch.autograd.grad(mse, [w])\n    return grad_w",
                             "    mse.backward()\n    return w.grad")]),
    _v("linear_via_autograd_grad", [("    loss.backward()\n    return (weight.grad, bias.grad)",
                                     "    grad_w, grad_b = torch.autograd.grad(loss, [weight, bias])\n"
                                     "    return (grad_w, grad_b)")]),
    _v("softmax_row_via_backward", [("    (grad_row,) = torch.autograd.grad(p_i, [a])\n    return grad_row",
                                     "    p_i.backward()\n    return a.grad")]),
    _v("jacobian_via_backward", [(_JACOBIAN_ROWS,
                                  "    rows = []\n"
                                  "    for i in range(p.numel()):\n"
                                  "        a.grad = None\n"
                                  "        p[i].backward(retain_graph=True)\n"
                                  "        rows.append(a.grad)")]),
    _v("linear_grads_as_list", [("return (weight.grad, bias.grad)", "return [weight.grad, bias.grad]")]),
    _v("jacobian_functional", [(_JACOBIAN_ROWS + "\n    return torch.stack(rows)",
                                "    return torch.autograd.functional.jacobian(lambda a: F.softmax(a, dim=0), a)")]),
    _v("softmax_row_dim_minus_one", [("p_i = F.softmax(a, dim=0)[i]", "p_i = F.softmax(a, dim=-1)[i]")]),
    # softmax's Jacobian is symmetric (J_ij = p_i (δ_ij − p_j) = J_ji), so the transpose is the same matrix
    _v("jacobian_transposed", [("return torch.stack(rows)", "return torch.stack(rows).T")]),
    _v("float64_outputs", [("    return grad_w", "    return grad_w.double()"),
                           ("return (weight.grad, bias.grad)", "return (weight.grad.double(), bias.grad.double())"),
                           ("    return grad_row", "    return grad_row.double()"),
                           ("return torch.stack(rows)", "return torch.stack(rows).double()")]),
]
