"""A non-linear head for a factor model: an MLP of the elementwise product ``U_u * V_i``.

The factor model's score is ``mu + b_user[u] + b_item[i] + head(U_u * V_i)``. The dot head
is the sum of ``U_u * V_i`` (a linear head); this one passes ``z = U_u * V_i`` through
``len(hidden)`` ReLU layers and a linear output (with a linear skip ``a . z``, so the dot
head is in its class: ``a = 1``, output weights 0). It is Wu et al.'s (2021) deeper head:
a downstream model that is linear in ``U_u * V_i`` reads the features below the head and
cannot express what the ReLU layers add.

Everything (factors, biases, head) is fitted jointly by full-batch Adam on the weighted
squared error of the (user, item) pairs with a ridge penalty on every parameter, as
:class:`~.FactorUpstream`'s ALS minimises it for the dot head.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MLPHead", "fit_mlp_factors"]


# einsum without BLAS: the same sums in the same order under every BLAS kernel (Adam's
# normalised steps would carry a kernel's round-off into the run, and into its goldens)
def _mm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("...a,ab->...b", x, w, optimize=False)


def _mv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("...a,a->...", x, w, optimize=False)


def _tv(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.einsum("na,n->a", x, g, optimize=False)


class MLPHead:
    """The head's weights: ReLU layers of widths ``hidden`` on ``z`` (``f`` wide), a skip.

    Args:
        n_factors: Width of ``z``.
        hidden: Widths of the ReLU layers.
        rng: Draws the initial weights (He initialization; the skip starts at 1, the
            output at 0: the head starts as the dot head).
    """

    def __init__(self, n_factors: int, hidden: tuple[int, ...],
                 rng: np.random.Generator) -> None:
        widths = (int(n_factors),) + tuple(int(h) for h in hidden)
        self.weights = [rng.standard_normal((a, b)) * np.sqrt(2.0 / a)
                        for a, b in zip(widths[:-1], widths[1:], strict=True)]
        self.biases = [np.zeros(b) for b in widths[1:]]
        self.out = np.zeros(widths[-1])
        self.skip = np.ones(int(n_factors))

    def params(self) -> list[np.ndarray]:
        """Every array of the head (updated in place by the optimiser)."""
        return [*self.weights, *self.biases, self.out, self.skip]

    def forward(self, z: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """``(...)`` the head's output for ``z`` (``(..., f)``) and each layer's activation."""
        acts = [z]
        h = z
        for w, b in zip(self.weights, self.biases, strict=True):
            h = np.maximum(_mm(h, w) + b, 0.0)
            acts.append(h)
        return _mv(h, self.out) + _mv(z, self.skip), acts

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """``(...)`` the head's output."""
        return self.forward(z)[0]

    def backward(self, acts: list[np.ndarray],
                 grad_out: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Gradients of ``sum(grad_out * head(z))``: per array of :meth:`params`, and ``dz``."""
        n_layers = len(self.weights)
        g_out = _tv(acts[-1], grad_out)
        g_skip = _tv(acts[0], grad_out)
        dz = np.outer(grad_out, self.skip)
        dh = np.outer(grad_out, self.out)
        g_w: list[np.ndarray] = [np.zeros(0)] * n_layers
        g_b: list[np.ndarray] = [np.zeros(0)] * n_layers
        for layer in range(n_layers - 1, -1, -1):
            dh = dh * (acts[layer + 1] > 0.0)
            g_w[layer] = np.einsum("na,nb->ab", acts[layer], dh, optimize=False)
            g_b[layer] = dh.sum(axis=0)
            dh = np.einsum("nb,ab->na", dh, self.weights[layer], optimize=False)
        return [*g_w, *g_b, g_out, g_skip], dz + dh


def _sum_rows(groups: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    """``(size, d)`` the rows of ``x`` (``(N, d)``) summed per group (bincount per column)."""
    return np.stack([np.bincount(groups, x[:, j], minlength=size) for j in range(x.shape[1])],
                    axis=1)


def fit_mlp_factors(head: MLPHead, tables: dict[str, np.ndarray], users: np.ndarray,
                    items: np.ndarray, target: np.ndarray, weight: np.ndarray, mu: float,
                    lam: float, steps: int, learning_rate: float,
                    state: dict[str, list[np.ndarray]] | None = None,
                    train_factors: bool = True) -> dict[str, list[np.ndarray]]:
    """Adam on ``sum_j weight_j (target_j - score_j)^2 + lam |params|^2``, in place.

    Args:
        head: The head (its arrays are updated in place).
        tables: ``u`` ``(U, f)``, ``v`` ``(I, f)``, ``user_bias`` ``(U,)``, ``item_bias``
            ``(I,)``: updated in place.
        users: ``(N,)`` the pairs' users.
        items: ``(N,)`` the pairs' items.
        target: ``(N,)`` each pair's label.
        weight: ``(N,)`` each pair's weight (its showings).
        mu: The global mean (fixed).
        lam: Ridge penalty.
        steps: Full-batch Adam steps.
        learning_rate: Adam's step size.
        state: The optimiser's moments from the last call (warm start), or ``None``.
        train_factors: Also update the factors and biases (``False``: the head only, on
            fixed factors and biases).

    Returns:
        The optimiser's moments, for the next call.
    """
    names = ("u", "v", "user_bias", "item_bias") if train_factors else ()
    params = [tables[k] for k in names] + head.params()
    if state is None or len(state["m"]) != len(params) or any(
            m.shape != p.shape for m, p in zip(state["m"], params, strict=True)):
        state = {"m": [np.zeros_like(p) for p in params],
                 "s": [np.zeros_like(p) for p in params], "t": [np.zeros(1)]}
    scale = 1.0 / max(float(weight.sum()), 1.0)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for _ in range(int(steps)):
        u, v = tables["u"][users], tables["v"][items]
        z = u * v
        h, acts = head.forward(z)
        resid = mu + tables["user_bias"][users] + tables["item_bias"][items] + h - target
        g = 2.0 * scale * weight * resid
        g_head, dz = head.backward(acts, g)
        grads = list(g_head)
        if train_factors:
            grads = [_sum_rows(users, dz * v, tables["u"].shape[0]),
                     _sum_rows(items, dz * u, tables["v"].shape[0]),
                     np.bincount(users, g, minlength=tables["user_bias"].size),
                     np.bincount(items, g, minlength=tables["item_bias"].size), *grads]
        state["t"][0] += 1.0
        t = float(state["t"][0].sum())
        for p, gr, m, s in zip(params, grads, state["m"], state["s"], strict=True):
            gr = gr + 2.0 * scale * lam * p
            m *= b1
            m += (1.0 - b1) * gr
            s *= b2
            s += (1.0 - b2) * gr * gr
            p -= learning_rate * (m / (1.0 - b1 ** t)) / (np.sqrt(s / (1.0 - b2 ** t)) + eps)
    return state
