"""Measures relative to the ideal recommender (Chaney, Stewart & Engelhardt 2018).

Chaney et al. report homogenization and utility not in absolute terms but as the
change from what the *ideal* recommender (ranking by the true utility) gives in the
same simulated world. Their T-RECS replication does the same
(``sunnymatt/t-recs-experiments``, ``algo_confounding/chaney_utils.py``):
``transform_relative_to_ideal`` subtracts the ideal run's Jaccard trajectory from each
recommender's, trial by trial, and ``SimilarUserInteractionSimilarity`` compares the
Jaccard index of each user and their most similar user under the recommender with the
same pairs under the ideal recommender.

In loopsim a run records the absolute measures (``homogenization`` over random pairs,
``homogenization_nn`` over nearest-neighbour pairs, ``reward_per_session_window``);
runs of the ideal recommender (``policy=oracle``) at the same seed meet the same world
and users (common random numbers), so the relative measures are differences between
two runs at equal seeds and snapshot times:

* :func:`change_relative_to_ideal` -- ``x - x_ideal`` (the paper's "change in Jaccard
  index");
* :func:`utility_relative_to_ideal` -- ``(u - u_ideal) / u_ideal``, the fraction of the
  ideal's utility gained (negative: lost).
"""

from __future__ import annotations

import numpy as np

__all__ = ["change_relative_to_ideal", "utility_relative_to_ideal"]


def _pair(values: np.ndarray, ideal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(values, dtype=np.float64)
    b = np.asarray(ideal, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"the recommender's values and the ideal's must match run for run (same seeds, "
            f"same snapshot times), got shapes {a.shape} and {b.shape}."
        )
    return a, b


def change_relative_to_ideal(values: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """``values - ideal``, element by element (same seed, same snapshot time).

    Args:
        values: A measure (e.g. ``homogenization``) of a recommender, any shape, e.g.
            ``(seeds, snapshots)``.
        ideal: The same measure of the ideal recommender, same shape and order.

    Returns:
        The change relative to the ideal: positive when the recommender gives more.

    Raises:
        ValueError: the shapes differ.
    """
    a, b = _pair(values, ideal)
    return a - b


def utility_relative_to_ideal(utility: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    """``(utility - ideal) / ideal``, element by element; ``nan`` where ``ideal == 0``.

    Args:
        utility: Mean utility per session of a recommender, any shape.
        ideal: The ideal recommender's, same shape and order.

    Returns:
        The relative utility: 0 at the ideal, -0.1 for a tenth less.

    Raises:
        ValueError: the shapes differ.
    """
    a, b = _pair(utility, ideal)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, (a - b) / np.where(b != 0, b, 1.0), np.nan)
