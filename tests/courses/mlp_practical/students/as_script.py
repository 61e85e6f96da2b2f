# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 3: A two-layer network from scratch
#
# Last week you trained a single-layer (linear) model with gradient descent. This week you build a network with one hidden layer of $\tanh$ units, derive its gradients by hand and implement **forward** and **backward** propagation yourself, in NumPy.
#
# The code you write goes into the functions that currently `raise NotImplementedError('Write me!')`. Answer the written questions in the markdown cell under each question (LaTeX maths between `$...$`). Run the cells in order: each exercise is followed by a cell that checks it.
#
# As in the previous labs we seed one random generator at the start and use it everywhere, so that your results can be reproduced. The module `mlp_utils.py` next to this notebook loads the data, initialises the parameters and computes numerical gradients; you do not need to change it.

# %%
# Test hand-in: a correct solution handed in as a jupytext percent-format script, exported from the
# notebook with `jupytext --to py:percent`.
import matplotlib.pyplot as plt
import numpy as np
from mlp_utils import init_params, load_points, minibatches, numerical_gradient, rel_error

# initialise the random generator to be used later
seed = 20241015
rng = np.random.RandomState(seed)

# %% [markdown]
# ## The data
#
# `points.csv` holds 40 noisy observations of a smooth function of two inputs, one per row: $(x_1, x_2, y)$. We fit them with a small network, as a regression problem.

# %%
x, y = load_points("points.csv")
print("inputs:", x.shape, " targets:", y.shape)


# %% [markdown]
# ## Exercise 1: the tanh transfer function
#
# The hidden units of our network use the hyperbolic tangent
#
# (1) $h(a) = \tanh(a) = \frac{\exp(a) - \exp(-a)}{\exp(a) + \exp(-a)}$
#
# Implement `tanh` and its derivative `tanh_derivative`, both element-wise for an array `a` of any shape. For the derivative use equation (2), which you derive in Question 1 below.
#
# Implementation tip: `numpy.tanh` computes (1) without overflowing for large $|a|$.

# %%
def tanh(a):
    #code implementing eq. (1)
    return np.tanh(a)

def tanh_derivative(a):
    #code implementing eq. (2): the derivative of tanh at a
    return 1.0 - np.tanh(a) ** 2


# %%
a = np.linspace(-4, 4, 9)
slope = (tanh(a + 1e-5) - tanh(a - 1e-5)) / 2e-5   # central differences
if np.allclose(tanh(a), np.tanh(a)) and np.allclose(tanh_derivative(a), slope, atol=1e-6):
    print('Well done!')
else:
    print('Not quite: compare your values with np.tanh and with the finite differences')
    print('tanh:      ', tanh(a))
    print('derivative:', tanh_derivative(a))

# %%
grid = np.linspace(-4, 4, 161)
plt.plot(grid, tanh(grid), label="tanh(a)")
plt.plot(grid, tanh_derivative(grid), label="derivative")
plt.xlabel("a")
plt.legend()
plt.show()


# %% [markdown]
# ### Question 1
#
# Starting from (1), derive the derivative of $\tanh$ and write it in terms of $\tanh(a)$ itself. This is equation (2), the one `tanh_derivative` implements; written this way, the backward pass can reuse the hidden activations it already has.

# %% [markdown]
# $\tanh'(a) = 1 - \tanh(a)^2$

# %% [markdown]
# ## Exercise 2: the squared-error loss
#
# For a mini-batch of $N$ predictions $\hat{\mathbf{y}}^{(n)}$ with targets $\mathbf{y}^{(n)}$ the loss is the batch mean of half the squared error:
#
# (3) $E = \frac{1}{N} \sum_{n=1}^{N} \frac{1}{2} \left\|\hat{\mathbf{y}}^{(n)} - \mathbf{y}^{(n)}\right\|^2$
#
# `y_hat` and `y` are arrays of shape (N, K). Implement `squared_error`, which returns $E$ as a number, and `squared_error_grad`, which returns $\partial E / \partial \hat{\mathbf{y}}$ as an array of the shape of `y_hat` (equation (4), see Question 2).

# %%
def squared_error(y_hat, y):
    #code implementing eq. (3)
    diff = y_hat - y
    return float((diff * diff).sum()) / (2 * y_hat.shape[0])

def squared_error_grad(y_hat, y):
    #gradient of eq. (3) with respect to y_hat, eq. (4)
    return (y_hat - y) / y_hat.shape[0]


# %%
y_hat_test = rng.uniform(-1, 1, (5, 1))
y_test = rng.uniform(-1, 1, (5, 1))
numeric = numerical_gradient(lambda: squared_error(y_hat_test, y_test), y_hat_test)
print("loss:", squared_error(y_hat_test, y_test))
print("gradient error (should be below 1e-8):", rel_error(numeric, squared_error_grad(y_hat_test, y_test)))


# %% [markdown]
# ### Question 2
#
# For one example with a single output the loss (3) is $L = \frac{1}{2}(\hat{y} - y)^2$. Derive $\frac{\partial L}{\partial \hat{y}}$. (Averaging over the mini-batch divides it by $N$, which gives equation (4).)

# %% [markdown]
# **Your answer:** $\frac{\partial L}{\partial \hat{y}} = \hat{y} - y$

# %% [markdown]
# ## Exercise 3: leaky ReLU
#
# A rectified linear unit passes positive activations through and zeroes the others. The *leaky* variant keeps a small slope $\alpha$ for negative activations, so that their gradient never vanishes completely:
#
# (5) $h(a) = \begin{cases} a & \text{if } a > 0 \\ \alpha\, a & \text{otherwise} \end{cases}$
#
# Implement `leaky_relu(x, negative_slope=0.01)`, where `negative_slope` is $\alpha$. This week's network does not use it, but the coursework compares it with $\tanh$ for several values of $\alpha$.

# %%
def leaky_relu(x, negative_slope=0.01):
    #code implementing eq. (5)
    out = x.copy()
    out[x <= 0] *= negative_slope
    return out


# %%
grid = np.linspace(-3, 3, 121)
plt.plot(grid, leaky_relu(grid), label="leaky ReLU")
plt.plot(grid, tanh(grid), label="tanh")
plt.legend()
plt.show()
print(leaky_relu(np.array([-2.0, -0.5, 0.0, 0.5, 2.0])))


# %% [markdown]
# ## Exercise 4: forward propagation
#
# The network has one hidden layer of $H$ tanh units and a linear output layer. With the inputs of a mini-batch as the rows of $\mathbf{X}$ (shape (N, D)):
#
# (6) $\mathbf{A} = \mathbf{X}\mathbf{W}_1 + \mathbf{b}_1, \quad \mathbf{H} = \tanh(\mathbf{A}), \quad \hat{\mathbf{Y}} = \mathbf{H}\mathbf{W}_2 + \mathbf{b}_2$
#
# where $\mathbf{W}_1$ is (D, H), $\mathbf{b}_1$ is (H,), $\mathbf{W}_2$ is (H, K) and $\mathbf{b}_2$ is (K,); NumPy broadcasts the biases over the rows. Implement `forward_pass(x, w1, b1, w2, b2)`. It returns the tuple `(h, y_hat)`: the hidden activations $\mathbf{H}$, which the backward pass needs, and the outputs $\hat{\mathbf{Y}}$.

# %%
def forward_pass(x, w1, b1, w2, b2):
    #code implementing eq. (6); use your tanh from Exercise 1
    h = tanh(x @ w1 + b1)
    y_hat = h @ w2 + b2
    return h, y_hat


# %%
n_hidden = 8
w1, b1, w2, b2 = init_params(x.shape[1], n_hidden, y.shape[1], rng)
h, y_hat = forward_pass(x, w1, b1, w2, b2)
print("hidden:", h.shape, " outputs:", y_hat.shape)
print("loss before training: %.4f" % squared_error(y_hat, y))


# %% [markdown]
# ## Exercise 5: backward propagation
#
# Write $\boldsymbol{\delta}_2 = \partial E / \partial \hat{\mathbf{Y}}$ for the gradient of the loss with respect to the outputs, equation (4). The chain rule through (6) gives
#
# (7) $\frac{\partial E}{\partial \mathbf{W}_2} = \mathbf{H}^\top \boldsymbol{\delta}_2, \quad \frac{\partial E}{\partial \mathbf{b}_2} = \sum_{n} \boldsymbol{\delta}_2^{(n)}$
#
# (8) $\boldsymbol{\delta}_1 = (\boldsymbol{\delta}_2 \mathbf{W}_2^\top) \odot (1 - \mathbf{H}^2), \quad \frac{\partial E}{\partial \mathbf{W}_1} = \mathbf{X}^\top \boldsymbol{\delta}_1, \quad \frac{\partial E}{\partial \mathbf{b}_1} = \sum_{n} \boldsymbol{\delta}_1^{(n)}$
#
# where $\odot$ is the element-wise product and $1 - \mathbf{H}^2$ is equation (2) at the hidden units.
#
# Implement `backward_pass(x, y, w1, b1, w2, b2, dw1, db1, dw2, db2)`. The last four arguments are arrays of the shapes of the parameters: **add** the mini-batch's gradients to them in place (`dw1 += ...`) and return nothing. This is how PyTorch's `loss.backward()` treats `.grad`: gradients accumulate until you zero them, so calling `backward_pass` on several mini-batches before an update sums their gradients.

# %%
def backward_pass(x, y, w1, b1, w2, b2, dw1, db1, dw2, db2):
    #code implementing eqs. (7) and (8); add to dw1, db1, dw2 and db2 in place
    h, y_hat = forward_pass(x, w1, b1, w2, b2)
    delta2 = squared_error_grad(y_hat, y)
    dw2 += h.T @ delta2
    db2 += delta2.sum(axis=0)
    delta1 = (delta2 @ w2.T) * (1.0 - h ** 2)
    dw1 += x.T @ delta1
    db1 += delta1.sum(axis=0)


# %%
# Compare backward_pass with central differences on a small batch, at random (non-zero)
# parameters so that every term of the gradient matters.
xs, ys = x[:4], y[:4]
params = [rng.normal(0, 0.5, p.shape) for p in (w1, b1, w2, b2)]
grads = [np.zeros_like(p) for p in params]
backward_pass(xs, ys, *params, *grads)

def loss():
    return squared_error(forward_pass(xs, *params)[1], ys)

numeric = [numerical_gradient(loss, p) for p in params]
errors = [rel_error(n, g) for n, g in zip(numeric, grads)]
for name, e in zip(["dw1", "db1", "dw2", "db2"], errors):
    print("%s error: %.2e" % (name, e))
print('Well done!' if max(errors) < 1e-6 else 'Check your backward pass')

# a second call on the same batch must add the same gradients again
backward_pass(xs, ys, *params, *grads)
doubled = all(np.allclose(g, 2 * n) for g, n in zip(grads, numeric))
print('Accumulates correctly!' if doubled else 'backward_pass should add to dw1, db1, dw2, db2, not overwrite them')

# %% [markdown]
# ## Training
#
# Finally, train the network with gradient descent. Each epoch splits the 40 points into two mini-batches of 20 and accumulates the gradients of both before a single update of the parameters.

# %%
learning_rate = 0.1
max_epochs = 300

w1, b1, w2, b2 = init_params(x.shape[1], n_hidden, y.shape[1], rng)
params = [w1, b1, w2, b2]
grads = [np.zeros_like(p) for p in params]
history = []
for epoch in range(max_epochs):
    for g in grads:
        g.fill(0.0)                         # zero the accumulated gradients
    for xb, yb in minibatches(x, y, batch_size=20):
        backward_pass(xb, yb, w1, b1, w2, b2, *grads)
    for p, g in zip(params, grads):
        p -= learning_rate * g              # in place, so w1, b1, w2, b2 follow
    history.append(squared_error(forward_pass(x, w1, b1, w2, b2)[1], y))
    if (epoch + 1) % 50 == 0:
        print("MSE training cost after %d-th epoch is %f" % (epoch + 1, history[-1]))

# %%
plt.plot(history)
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.yscale("log")
plt.show()
