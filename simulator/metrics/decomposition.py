"""The error decomposition of Wu et al. (2021) for a ranker trained on an upstream's outputs.

For a session of user ``u`` with pool ``P`` (the upstream's candidates), the upstream's
outputs ``o(u, i)`` for each pool item (its biases and its user and item factors) and the
ranker's inputs ``x(u, i)`` (a feature map of them), four slates are compared by their
exact expected clicks under the click model:

* ``B0``: the best slate of the catalogue (the oracle's);
* ``B1``: the pool ordered by the least-squares fit of the true relevance on a *flexible*
  function of the upstream's outputs (``o``, and every product of two of its entries: a
  degree-2 polynomial, which holds any bilinear user-item interaction): the best the
  upstream's outputs allow, up to that flexibility (the paper's Bayes-optimal downstream
  given the upstream);
* ``B2``: the pool ordered by the least-squares fit of the true relevance on the ranker's
  own model class (linear in ``x``): the best-in-class ranker;
* ``S``: the slate served.

Then, with the excess regret ``B0 - S`` (the regret of the session)::

    upstream error              = B0 - B1   (lost by the upstream: its pool, its outputs)
    ranker approximation error  = B1 - B2   (lost by the ranker's model class)
    ranker estimation error     = B2 - S    (lost by the ranker's finite, loop-shaped data)

which sum to ``B0 - S`` exactly. The fits are over the sampled sessions' (user, pool item)
pairs of one batch, each pair weighted alike; for a ranker with weights per user
(``per_session``), one fit per session (its user's pool), for both references. A
least-squares fit is not a regret minimizer: a term may come out slightly negative (e.g.
the linear fit orders a pool better than the flexible one); it is reported as it is.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.click_model import ClickModel

__all__ = ["fitted_order_clicks", "quadratic_features", "wu_terms"]


def quadratic_features(x: np.ndarray) -> np.ndarray:
    """``(N, d + d (d + 1) / 2)`` the columns of ``x`` and every product of two of them
    (in the order of ``np.triu_indices(d)``: ``x_0 x_0, x_0 x_1, ..., x_1 x_1, ...``)."""
    n, d = x.shape
    out = np.empty((n, d + d * (d + 1) // 2), dtype=x.dtype)
    out[:, :d] = x
    at = d
    for i in range(d):  # one product block per column: no (N, d^2 / 2) gathers
        out[:, at: at + d - i] = x[:, i: i + 1] * x[:, i:]
        at += d - i
    return out


def fitted_order_clicks(design: np.ndarray, relevance: np.ndarray, k: int,
                        click_model: ClickModel, per_session: bool = False) -> np.ndarray:
    """``(S,)`` expected clicks of each pool's top ``k`` by the least-squares fit of
    ``relevance`` (``(S, n)``) on ``design`` (``(S * n, p)``), best first; one fit over
    all sessions, or one per session (``per_session``)."""
    s, n = relevance.shape
    if per_session:
        x = design.reshape(s, n, -1)
        gram = np.einsum("snp,snq->spq", x, x)
        ridge = 1e-9 * np.maximum(np.trace(gram, axis1=1, axis2=2), 1e-12) / gram.shape[1]
        coef = np.linalg.solve(gram + ridge[:, None, None] * np.eye(gram.shape[1]),
                               np.einsum("snp,sn->sp", x, relevance)[..., None])[..., 0]
        pred = np.einsum("snp,sp->sn", x, coef)
    else:
        # normal equations, a vanishing ridge for the collinear columns (a constant in the
        # features, products with it): far faster than an SVD of the rows
        gram = design.T @ design
        ridge = 1e-9 * max(float(np.trace(gram)), 1e-12) / gram.shape[0]
        coef = np.linalg.solve(gram + ridge * np.eye(gram.shape[0]),
                               design.T @ relevance.reshape(-1))
        pred = (design @ coef).reshape(s, n)
    order = np.argsort(-pred, axis=1, kind="stable")[:, :k]
    return click_model.expected_clicks(np.take_along_axis(relevance, order, axis=1))


def wu_terms(best_catalogue: np.ndarray, relevance: np.ndarray, outputs: np.ndarray,
             features: np.ndarray, served: np.ndarray, click_model: ClickModel,
             k: int, per_session: bool = False) -> dict[str, np.ndarray]:
    """Per session, the three error terms and their sum, the excess regret.

    Args:
        best_catalogue: ``(S,)`` expected clicks of each session's best slate (``B0``).
        relevance: ``(S, n)`` true relevance of each pool item for the session's user.
        outputs: ``(S, n, p)`` the upstream's outputs for those pairs (a constant column
            included).
        features: ``(S, n, d)`` the ranker's inputs for those pairs.
        served: ``(S,)`` expected clicks of the served slates.
        click_model: Gives expected clicks of ordered relevances.
        k: Slate size.
        per_session: Fit both references per session (a ranker with weights per user).

    Returns:
        ``upstream``, ``approximation``, ``estimation`` and ``excess`` (``(S,)`` each).
    """
    x = features.reshape(-1, features.shape[-1]).astype(np.float64)
    o = outputs.reshape(-1, outputs.shape[-1]).astype(np.float64)
    k = min(k, relevance.shape[1])
    flexible = fitted_order_clicks(quadratic_features(o), relevance, k, click_model,
                                   per_session)
    in_class = fitted_order_clicks(x, relevance, k, click_model, per_session)
    return {"upstream": best_catalogue - flexible, "approximation": flexible - in_class,
            "estimation": in_class - served, "excess": best_catalogue - served}
