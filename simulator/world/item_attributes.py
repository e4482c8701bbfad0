"""Observable item attributes: what a catalogue knows of its items, not the truth.

A world with ``item_attributes = d > 0`` gives each item ``d`` attributes, noisy linear
views of its latent features ``f_i`` (unit vectors of dimension ``n_factors``)::

    x_i = M f_i + attribute_noise * e_i,      M ~ N(0, 1 / n_factors)^(d x n_factors),
                                             e_i ~ N(0, 1)^d

(one mixing matrix ``M`` per world, fresh noise per item), and a categorical *genre*, the
signs of the first ``genre_bits`` latent features read as a binary number
(``0 .. 2**genre_bits - 1``: four genres by default). The attributes are what a content
model (a tower over item metadata) may read; the genre is a coarse tag of the kind a
catalogue carries. Neither is the relevance: a user's taste is ``pref_u . f_i``, of which
the genre keeps only signs, and the attributes only a noisy, mixed view.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ItemAttributeTable", "genre_codes"]


def genre_codes(features: np.ndarray, bits: int) -> np.ndarray:
    """``(I,)`` the genre of each row of ``features``: the signs of its first ``bits``
    entries as a binary number (entry 0 the lowest bit)."""
    signs = (features[:, :bits] > 0.0).astype(np.int64)
    return signs @ (1 << np.arange(bits, dtype=np.int64))


class ItemAttributeTable:
    """The attributes and genres of a world's items, grown as items are added.

    Args:
        dim: Attributes per item (0: the world gives none).
        noise: Standard deviation of the attribute noise.
        genre_bits: Latent features whose signs make the genre.
    """

    def __init__(self, dim: int, noise: float, genre_bits: int) -> None:
        self.dim = dim
        self.noise = noise
        self.genre_bits = genre_bits
        self._rng: np.random.Generator | None = None
        self._mix = np.zeros((0, 0))
        self._x = np.zeros((0, dim))
        self._genre = np.zeros(0, dtype=np.int64)

    def start(self, n_factors: int, rng: np.random.Generator) -> None:
        """Draw the mixing matrix from ``rng`` (the table's own stream, kept for the
        noise of items added later)."""
        self._rng = rng
        self._mix = rng.standard_normal((self.dim, n_factors)) / np.sqrt(n_factors)

    def add(self, features: np.ndarray) -> None:
        """Append the attributes and genres of new items with latent ``features``."""
        if self.dim == 0 or self._rng is None:
            return
        noise = self.noise * self._rng.standard_normal((features.shape[0], self.dim))
        self._x = np.vstack([self._x, features @ self._mix.T + noise])
        self._genre = np.concatenate([self._genre, genre_codes(features, self.genre_bits)])

    def attributes(self, items: np.ndarray) -> np.ndarray:
        """``(I, dim)`` the items' attributes (a copy)."""
        return self._x[items].copy()

    def genres(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` the items' genres (a copy)."""
        return self._genre[items].copy()
