"""Known-wrong optimizers, run next to torch.optim so feedback can name the mistake a student made.

Each class takes the same arguments as the student's class and implements one classic bug.
They are references for recognising mistakes, never for awarding points.
"""

from __future__ import annotations

import torch


class _Base:
    def __init__(self, params, **hyper):
        self.params = list(params)
        self.hyper = hyper
        self.state = [dict() for _ in self.params]
        self.t = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class AdamNoBiasCorrection(_Base):
    """m and v used as they are: the first steps are far too small."""

    def step(self):
        lr, (b1, b2), eps, wd = (self.hyper[k] for k in ("lr", "betas", "eps", "weight_decay"))
        decoupled = self.hyper.get("decoupled", False)
        with torch.no_grad():
            for p, s in zip(self.params, self.state):
                g = p.grad
                if decoupled:
                    p.mul_(1 - lr * wd)
                elif wd:
                    g = g + wd * p
                s["m"] = b1 * s.get("m", torch.zeros_like(p)) + (1 - b1) * g
                s["v"] = b2 * s.get("v", torch.zeros_like(p)) + (1 - b2) * g * g
                p.sub_(lr * s["m"] / (s["v"].sqrt() + eps))


class AdamWNoBiasCorrection(AdamNoBiasCorrection):
    def __init__(self, params, **hyper):
        super().__init__(params, decoupled=True, **hyper)


class SGDMomentumAverage(_Base):
    """Momentum as an exponential moving average, b = μb + (1 − μ)g, starting from zero."""

    def step(self):
        lr, mu, wd, nesterov = (self.hyper.get(k, d) for k, d in (("lr", 0), ("momentum", 0.0), ("weight_decay", 0.0), ("nesterov", False)))
        with torch.no_grad():
            for p, s in zip(self.params, self.state):
                g = p.grad + wd * p
                b = s["b"] = mu * s.get("b", torch.zeros_like(p)) + (1 - mu) * g
                p.sub_(lr * (g + mu * b if nesterov else b))


class _RMSpropWrongDenominator(_Base):
    def denominator(self, v, eps):
        raise NotImplementedError

    def step(self):
        lr, alpha, eps = self.hyper["lr"], self.hyper["alpha"], self.hyper["eps"]
        with torch.no_grad():
            for p, s in zip(self.params, self.state):
                v = s["v"] = alpha * s.get("v", torch.zeros_like(p)) + (1 - alpha) * p.grad ** 2
                p.sub_(lr * p.grad / self.denominator(v, eps))


class RMSpropNoSqrt(_RMSpropWrongDenominator):
    """Dividing by the running mean of g² itself instead of its square root."""

    def denominator(self, v, eps):
        return v + eps


class RMSpropEpsInsideSqrt(_RMSpropWrongDenominator):
    """ε inside the square root: √(v + ε) instead of √v + ε."""

    def denominator(self, v, eps):
        return (v + eps).sqrt()


class AdagradLatestSquare(_Base):
    """Scaling by the latest g² instead of the running sum of all of them."""

    def step(self):
        lr, eps = self.hyper["lr"], self.hyper["eps"]
        with torch.no_grad():
            for p in self.params:
                p.sub_(lr * p.grad / (p.grad.abs() + eps))
