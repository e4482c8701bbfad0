"""A content tower: an upstream's item side as a learned linear map of item attributes.

With the catalogue's observable attributes ``x_i`` (``d`` per item, a constant appended:
``x~_i = [x_i, 1]``), the item factors and bias are::

    V_i = x~_i A          (A: (d + 1) x f)
    b_i = x~_i a          (a: d + 1)

so ``theta = [A | a]`` is one ``(d + 1) x (f + 1)`` matrix and the item part of the score
``U_u . V_i + b_i`` is ``x~_i theta u~_u`` with ``u~_u = [U_u, 1]``. Given the user side, its
fit is one ridge regression over the training pairs, whose normal equations are
accumulated per item (``sum_i kron(x~_i x~_i^T, G_i)`` with ``G_i`` the weighted
``u~ u~^T`` of item ``i``'s users): the cost grows with the items and pairs, never with a
per-impression loop.

The ridge pulls ``theta`` toward a *prior* ``theta_0``: ``0`` (``prior = "zero"``, ordinary
weight decay) or the tower's random initial weights (``prior = "init"``, the closed-form
counterpart of a lightly trained network started at random: where the data say little,
the tower stays the random projection of the attributes it started as, which keeps what
the attributes carry; where they say much, the fit moves it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TOWER_PRIORS", "fit_tower", "initial_tower"]

TOWER_PRIORS = ("zero", "init")


def initial_tower(n_attributes: int, n_factors: int, scale: float,
                  rng: np.random.Generator) -> np.ndarray:
    """``(d + 1, f + 1)`` random initial weights: ``A ~ N(0, scale^2 / d)``, ``a = 0``."""
    theta = np.zeros((n_attributes + 1, n_factors + 1))
    theta[:, :n_factors] = (scale / np.sqrt(max(n_attributes, 1))
                            * rng.standard_normal((n_attributes + 1, n_factors)))
    return theta


def fit_tower(x: np.ndarray, items: np.ndarray, user_side: np.ndarray, target: np.ndarray,
              weight: np.ndarray, lam: float, prior: np.ndarray) -> np.ndarray:
    """The ridge fit of ``theta`` to the pairs' targets.

    Args:
        x: ``(m, d + 1)`` attributes of the items (constant column included), by item id.
        items: ``(N,)`` the pairs' item ids.
        user_side: ``(N, f + 1)`` the pairs' ``[U_u, 1]``.
        target: ``(N,)`` what the item part must predict (the label minus the global
            mean and the user bias).
        weight: ``(N,)`` the pairs' showings.
        lam: Ridge penalty.
        prior: ``(d + 1, f + 1)`` the weights the penalty pulls toward.

    Returns:
        ``(d + 1, f + 1)`` the fitted ``theta``.
    """
    m, da = x.shape
    fu = user_side.shape[1]
    wu = user_side * weight[:, None]
    g = np.zeros((m, fu, fu))
    np.add.at(g, items, np.einsum("np,nq->npq", wu, user_side))
    r = np.zeros((m, fu))
    np.add.at(r, items, wu * target[:, None])
    gram = np.einsum("ia,ib,ipq->apbq", x, x, g).reshape(da * fu, da * fu)
    rhs = np.einsum("ia,ip->ap", x, r).reshape(-1)
    gram += lam * np.eye(da * fu)
    rhs += lam * prior.reshape(-1)
    return np.linalg.solve(gram, rhs).reshape(da, fu)
