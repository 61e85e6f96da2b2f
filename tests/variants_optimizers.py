"""Variants of the optimizers solution notebook, built at test time by exact text edits.

Same contract as variants.py: each edit must match exactly once in the solution's cells, `broken`
maps a question id (the class name, or adam_update_symbolic) to substrings its feedback must
contain, and every other question must keep full marks. For the optimizer classes the needles
are the names of the settings whose trajectory the bug really changes (in backticks, as the
feedback names them); when a bug changes every setting, one of them is enough.

Settings (the grader drives each class with these and compares with torch.optim):
  SGD      plain lr=0.1 | momentum lr=0.05 momentum=0.9 | nesterov (+ nesterov=True) | weight_decay (+ weight_decay=0.1)
  Adam(W)  defaults | betas lr=0.05 betas=(0.8, 0.95) | weight_decay lr=0.05 weight_decay=0.1
  RMSprop  defaults | alpha lr=0.01 alpha=0.9 eps=1e-6
  Adagrad  defaults | eps lr=0.1 eps=1e-6
"""

from __future__ import annotations

from variants import ROOT, Variant, variants_of

SOLUTION = ROOT / "examples" / "optimizers_solution.ipynb"

# Adam and AdamW share most of their text; Adam's L2 line is what makes an edit land in Adam only.
_ADAM_STEP_TAIL = (
    "grad = grad + self.weight_decay * p\n"
    "                self.steps[i] += 1\n"
    "                t = self.steps[i]\n"
    "                m = self.beta1 * self.exp_avgs[i] + (1 - self.beta1) * grad\n"
    "                v = self.beta2 * self.exp_avg_sqs[i] + (1 - self.beta2) * grad * grad\n"
    "                self.exp_avgs[i], self.exp_avg_sqs[i] = m, v\n"
    "                m_hat = m / (1 - self.beta1 ** t)\n"
    "                v_hat = v / (1 - self.beta2 ** t)\n"
    "                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)"
)
_ADAM_STATE = (
    "eps=1e-8, weight_decay=0.0):\n"
    "        self.params = list(params)\n"
    "        self.lr = lr\n"
    "        self.beta1, self.beta2 = betas\n"
    "        self.eps = eps\n"
    "        self.weight_decay = weight_decay\n"
    "        self.steps = [0 for _ in self.params]\n"
    "        self.exp_avgs = [torch.zeros_like(p) for p in self.params]\n"
    "        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]"
)
_SGD_STEP = '''    def step(self):
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                g = p.grad
                if self.weight_decay != 0:
                    g = g + self.weight_decay * p
                if self.momentum != 0:
                    buf = self.momentum_buffers[i]
                    if buf is None:
                        buf = g.clone()
                    else:
                        buf = self.momentum * buf + g
                    self.momentum_buffers[i] = buf
                    if self.nesterov:
                        g = g + self.momentum * buf
                    else:
                        g = buf
                p -= self.lr * g'''
_ADAGRAD_LOOP = '''for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                g = p.grad
                self.sums[i] = self.sums[i] + g * g
                p -= self.lr * g / (self.sums[i].sqrt() + self.eps)'''
_ANSWER = ("$$\\hat m_t = \\frac{m_t}{1-\\beta_1^t}, \\qquad \\hat v_t = \\frac{v_t}{1-\\beta_2^t}$$\n\n"
           "$$\\theta_t = \\theta_{t-1} - \\alpha \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}$$")


def _zero_grad_after(last_init_line: str, body: str) -> tuple[str, str]:
    """Replace the zero_grad of the class whose __init__ ends with `last_init_line`."""
    old = f"{last_init_line}\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None"
    return old, f"{last_init_line}\n\n    def zero_grad(self):\n{body}"


_SGD_LAST = "self.momentum_buffers = [None for _ in self.params]"
_RMSPROP_LAST = "self.square_avgs = [torch.zeros_like(p) for p in self.params]"
_ADAGRAD_LAST = "self.sums = [torch.zeros_like(p) for p in self.params]"
_ZERO_IN_PLACE = "        for p in self.params:\n            if p.grad is not None:\n                p.grad.zero_()"


_v = variants_of(SOLUTION)


BUGGY: list[Variant] = [
    # m̂ = m, v̂ = v: already the first step is lr·(1 − β₁)/√(1 − β₂)·sign(g) instead of lr·sign(g)
    _v("adam_no_bias_correction",
       [(_ADAM_STEP_TAIL, _ADAM_STEP_TAIL.replace("m_hat = m / (1 - self.beta1 ** t)", "m_hat = m")
                                         .replace("v_hat = v / (1 - self.beta2 ** t)", "v_hat = v"))],
       {"Adam": ["`defaults`"]}),
    # AdamW's default weight_decay is 1e-2, so even `defaults` and `betas` see the L2-vs-decoupled difference
    _v("adamw_l2_instead_of_decoupled",
       [("p *= 1 - self.lr * self.weight_decay  # p <- p - lr * wd * p, before the Adam step",
         "grad = grad + self.weight_decay * p")],
       {"AdamW": ["`weight_decay`"]}),
    # Adam's default weight_decay is 0: only the `weight_decay` setting can tell
    _v("adam_decoupled_instead_of_l2",
       [("grad = grad + self.weight_decay * p", "p *= 1 - self.lr * self.weight_decay")],
       {"Adam": ["`weight_decay`"]}, partial={"Adam"}),
    # b = μb + (1 − μ)g: `plain` has no momentum and still passes
    _v("sgd_ema_momentum",
       [("buf = self.momentum * buf + g", "buf = self.momentum * buf + (1 - self.momentum) * g")],
       {"SGD": ["`momentum`", "`nesterov`", "`weight_decay`"]}, partial={"SGD"}),
    _v("sgd_nesterov_ignored",
       [("if self.nesterov:\n                        g = g + self.momentum * buf\n"
         "                    else:\n                        g = buf", "g = buf")],
       {"SGD": ["`nesterov`"]}, partial={"SGD"}),
    _v("rmsprop_no_sqrt",
       [("p -= self.lr * g / (v.sqrt() + self.eps)", "p -= self.lr * g / (v + self.eps)")],
       {"RMSprop": ["`defaults`"]}),
    # sqrt(v + eps) vs sqrt(v) + eps: with the default eps=1e-8 it only shows where some v ≲ 1e-7 (a gradient
    # coordinate ≲ 3e-3 on the first steps), so `defaults` depends on the problem's data; `alpha` (eps=0.1) shows it
    _v("rmsprop_eps_inside_sqrt",
       [("p -= self.lr * g / (v.sqrt() + self.eps)", "p -= self.lr * g / (v + self.eps).sqrt()")],
       {"RMSprop": ["`alpha`"]}, partial={"RMSprop"}),
    _v("adagrad_latest_square_only",
       [("self.sums[i] = self.sums[i] + g * g", "self.sums[i] = g * g")],
       {"Adagrad": ["`defaults`"]}),
    # gradients accumulate across steps: every setting drifts from the first step on
    _v("sgd_zero_grad_noop",
       [_zero_grad_after(_SGD_LAST, "        pass")],
       {"SGD": ["`plain`", "zero_grad"]}),
    # numerically right, but a forbidden shortcut: the rubric deducts
    _v("adagrad_delegates_to_torch_optim",
       [(_ADAGRAD_LAST, "self._inner = torch.optim.Adagrad(self.params, lr=lr, eps=eps)"),
        (_ADAGRAD_LOOP, "self._inner.step()")],
       {"Adagrad": ["torch.optim"]}, partial={"Adagrad"}),
    # a changed default: `weight_decay` passes the decay explicitly and still agrees
    _v("adamw_default_no_decay",
       [("eps=1e-8, weight_decay=1e-2)", "eps=1e-8, weight_decay=0.0)")],
       {"AdamW": ["`defaults`", "`betas`"]}, partial={"AdamW"}),
    _v("adam_latex_no_bias_correction",
       [(_ANSWER, "$$\\theta_t = \\theta_{t-1} - \\alpha \\frac{m_t}{\\sqrt{v_t}+\\epsilon}$$")],
       {"adam_update_symbolic": []}),
]

_SGD_STEP_DATA = '''    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            d_p = p.grad.data
            if self.weight_decay != 0:
                d_p = d_p.add(p.data, alpha=self.weight_decay)
            if self.momentum != 0:
                buf = self.momentum_buffers[i]
                if buf is None:
                    buf = self.momentum_buffers[i] = d_p.clone()
                else:
                    buf.mul_(self.momentum).add_(d_p)
                d_p = d_p.add(buf, alpha=self.momentum) if self.nesterov else buf
            p.data.add_(d_p, alpha=-self.lr)'''

_ADAM_STATE_DICT = (
    "eps=1e-8, weight_decay=0.0):\n"
    "        self.params = list(params)\n"
    "        self.lr = lr\n"
    "        self.beta1, self.beta2 = betas\n"
    "        self.eps = eps\n"
    "        self.weight_decay = weight_decay\n"
    "        self.state = {}  # id(p) -> {'step', 'm', 'v'}"
)
_ADAM_STEP_TAIL_DICT = (
    "grad = grad + self.weight_decay * p\n"
    "                s = self.state.setdefault(id(p), {'step': 0, 'm': torch.zeros_like(p), 'v': torch.zeros_like(p)})\n"
    "                s['step'] += 1\n"
    "                t = s['step']\n"
    "                s['m'] = self.beta1 * s['m'] + (1 - self.beta1) * grad\n"
    "                s['v'] = self.beta2 * s['v'] + (1 - self.beta2) * grad * grad\n"
    "                m_hat = s['m'] / (1 - self.beta1 ** t)\n"
    "                v_hat = s['v'] / (1 - self.beta2 ** t)\n"
    "                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)"
)
# torch.optim.Adam's own arrangement of the same arithmetic
_ADAM_STEP_TAIL_TORCH = (
    "grad = grad + self.weight_decay * p\n"
    "                self.steps[i] += 1\n"
    "                t = self.steps[i]\n"
    "                exp_avg, exp_avg_sq = self.exp_avgs[i], self.exp_avg_sqs[i]\n"
    "                exp_avg.lerp_(grad, 1 - self.beta1)\n"
    "                exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)\n"
    "                bias_correction1 = 1 - self.beta1 ** t\n"
    "                bias_correction2 = 1 - self.beta2 ** t\n"
    "                step_size = self.lr / bias_correction1\n"
    "                denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(self.eps)\n"
    "                p.addcdiv_(exp_avg, denom, value=-step_size)"
)

CORRECT: list[Variant] = [
    _v("sgd_p_data_without_no_grad", [(_SGD_STEP, _SGD_STEP_DATA)]),
    _v("state_dict_keyed_by_id",
       [(_ADAM_STATE, _ADAM_STATE_DICT), (_ADAM_STEP_TAIL, _ADAM_STEP_TAIL_DICT),
        (_RMSPROP_LAST, "self.state = {}"),
        ("v = self.alpha * self.square_avgs[i] + (1 - self.alpha) * g * g\n                self.square_avgs[i] = v",
         "v = self.alpha * self.state.get(id(p), torch.zeros_like(p)) + (1 - self.alpha) * g * g\n"
         "                self.state[id(p)] = v"),
        (_ADAGRAD_LAST, "self.state = {id(p): torch.zeros_like(p) for p in self.params}"),
        ("self.sums[i] = self.sums[i] + g * g\n                p -= self.lr * g / (self.sums[i].sqrt() + self.eps)",
         "self.state[id(p)] += g * g\n                p -= self.lr * g / (self.state[id(p)].sqrt() + self.eps)")]),
    _v("zero_grad_in_place",
       [_zero_grad_after(last, _ZERO_IN_PLACE) for last in (_SGD_LAST, _RMSPROP_LAST, _ADAGRAD_LAST)]),
    _v("adam_torch_form",
       [("class Adam:\n", "import math\n\n\nclass Adam:\n"), (_ADAM_STEP_TAIL, _ADAM_STEP_TAIL_TORCH)]),
    # b₀ = 0 gives b₁ = μ·0 + g = g exactly: the same first step as torch's b₁ = g
    _v("sgd_buffer_starts_at_zero",
       [(_SGD_LAST, "self.momentum_buffers = [torch.zeros_like(p) for p in self.params]"),
        ("if buf is None:\n                        buf = g.clone()\n                    else:\n"
         "                        buf = self.momentum * buf + g",
         "buf = self.momentum * buf + g")]),
    # p − lr·wd·p instead of p·(1 − lr·wd): the same up to float rounding
    _v("adamw_decay_subtracted",
       [("p *= 1 - self.lr * self.weight_decay  # p <- p - lr * wd * p, before the Adam step",
         "p -= self.lr * self.weight_decay * p")]),
    _v("adam_latex_expanded",
       [(_ANSWER, "$$\\theta_t = \\theta_{t-1} - \\frac{\\alpha}{1-\\beta_1^t}\\frac{m_t}{\\sqrt{v_t/(1-\\beta_2^t)}+\\epsilon}$$")]),
    _v("adam_latex_where_after",
       [(_ANSWER, "$$\\theta_t = \\theta_{t-1} - \\alpha \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}$$\n\n"
                  "where $\\hat m_t = \\frac{m_t}{1-\\beta_1^t}$ and $\\hat v_t = \\frac{v_t}{1-\\beta_2^t}$ "
                  "are the bias-corrected moments.")]),
]
