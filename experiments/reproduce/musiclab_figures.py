"""The MusicLab figures, measured the same way on the data and on the model.

The estimators of the data's README (and of Salganik, Dodds & Watts 2006):

* market share ``m_i = d_i / sum_k d_k``; Gini over the 48 songs;
* U of the social condition: over the pairs of social worlds;
* U of the independent condition: between two random halves of its participants,
  averaged over 200 splits (there is one independent world);
* quality: the independent world's market share; its Spearman rank correlation with
  each social world's share.

:func:`figures` takes per-participant download matrices, so the same function measures
the data (:func:`observed`) and the model's runs
(:mod:`loopsim.experiments.reproduce.musiclab_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loopsim.simulator.metrics import gini, spearman
from loopsim.simulator.metrics.markets import (
    half_split_unpredictability,
    market_shares,
    unpredictability,
)
from loopsim.simulator.world.musiclab_io import MusicLabData, read_musiclab

#: Random half-splits of the independent world (as in the data's README).
HALF_SPLITS = 200


@dataclass(frozen=True)
class MarketFigures:
    """The README's figures of one experiment (data or one model replicate of it).

    Attributes:
        gini_social: ``(W,)`` Gini of each social world's downloads.
        gini_independent: Gini of the independent world's downloads.
        u_social: U over the pairs of social worlds.
        u_independent: U between random halves of the independent world.
        spearman: ``(W,)`` Spearman of the independent shares with each social world's.
        downloads_social: ``(W,)`` downloads of each social world.
        downloads_independent: Downloads of the independent world.
        participants_social: ``(W,)`` downloading participants of each social world.
        participants_independent: Downloading participants of the independent world.
    """

    gini_social: np.ndarray
    gini_independent: float
    u_social: float
    u_independent: float
    spearman: np.ndarray
    downloads_social: np.ndarray
    downloads_independent: float
    participants_social: np.ndarray
    participants_independent: int


def figures(social: list[np.ndarray], independent: np.ndarray, rng: np.random.Generator,
            splits: int = HALF_SPLITS) -> MarketFigures:
    """The figures from per-participant downloads.

    Args:
        social: One ``(P_w, 48)`` matrix per social world (row: a participant).
        independent: ``(P, 48)`` matrix of the independent world.
        rng: Draws the half-splits.
        splits: Number of half-splits of the independent world.
    """
    d_social = np.stack([x.sum(axis=0) for x in social])
    d_indep = independent.sum(axis=0)
    quality = market_shares(d_indep[None, :])[0]
    shares = market_shares(d_social)
    return MarketFigures(
        gini_social=np.array([gini(d) for d in d_social]),
        gini_independent=gini(d_indep),
        u_social=unpredictability(shares),
        u_independent=half_split_unpredictability(independent, rng, splits),
        spearman=np.array([spearman(quality, m) for m in shares]),
        downloads_social=d_social.sum(axis=1),
        downloads_independent=float(d_indep.sum()),
        participants_social=np.array([int((x.sum(axis=1) > 0).sum()) for x in social]),
        participants_independent=int((independent.sum(axis=1) > 0).sum()),
    )


def observed(data: MusicLabData | str | Path, seed: int = 0) -> MarketFigures:
    """The figures of Experiment 1's files (``data`` or the folder holding them)."""
    if not isinstance(data, MusicLabData):
        data = read_musiclab(data)
    return figures([w.per_participant() for w in data.social], data.independent.per_participant(),
                   np.random.default_rng(seed))


__all__ = ["HALF_SPLITS", "MarketFigures", "figures", "observed"]
