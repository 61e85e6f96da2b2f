"""Python references and probe builders for assignments/autograd.yaml."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def linear_mse_grads(x, w, b, y):
    """(∂L/∂w, ∂L/∂b) for L = mse(x @ w + b, y): a tuple, which no single torch expression gives."""
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    loss = F.mse_loss(x @ w + b, y)
    gw, gb = torch.autograd.grad(loss, [w, b])
    return gw, gb


def linear_problem(probe: str, gen: torch.Generator) -> dict:
    """A small noisy linear-regression batch, so the gradients are those of a realistic fit."""
    n, d = {"small": (4, 2), "larger": (16, 3)}[probe]
    x = torch.randn(n, d, generator=gen)
    true_w = torch.randn(d, generator=gen)
    y = x @ true_w + 0.5 + 0.1 * torch.randn(n, generator=gen)
    w = torch.randn(d, generator=gen)
    b = torch.tensor(0.25)
    return {"x": x, "w": w, "b": b, "y": y}
