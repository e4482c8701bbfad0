"""The MusicLab world: songs with an appeal and a quality, and displayed download counts.

The artificial music market of Salganik, Dodds & Watts (2006): a fixed set of songs
(48 in the experiments), each with an *appeal* (how likely it is to be listened to,
once seen) and a *quality* (how likely a listen ends in a download). In the social
conditions users also see how many times each song was downloaded so far; the
attractiveness of a song is then::

    relevance(i) = appeal[i] + social_weight * downloads[i] ** social_exponent

(Krumme et al. 2012; Maldonado et al. 2018). Pair it with the trial-offer click model
(``click_model=trial_offer``), which reads ``relevance`` as the attractiveness and
:meth:`MusicLabWorld.conversion_of_slates` as the download probability. The true value
of a song is its quality. Relevance is the same for every user.

**Songs calibrated on MusicLab's data** (``data_dir`` set): instead of Beta draws, the
48 songs take the download shares ``w_i`` of Experiment 1's independent world (read from
the raw files in ``data_dir``, never copied), with their sampling noise removed: the
measured shares ``m_i`` spread more than the songs' expected shares because each is
estimated from about 1,600 downloads, so the deviations from ``1/48`` are shrunk by
``s = sqrt(1 - noise / variance)``, ``variance`` the shares' variance over songs and
``noise = mean_i m_i (1 - m_i) / D`` (``D`` downloads) its binomial part
(a method-of-moments estimate: a song's expected share is ``1/48 + s (m_i - 1/48)``).
Downloads only show the product of appeal
and quality (the files have no listens), so the split is an assumption, set by
``appeal_share`` (theta)::

    appeal[i]  = (w_i / max w) ** theta
    quality[i] = (w_i / max w) ** (1 - theta)

and ``appeal * quality`` is proportional to ``w``: the expected download share of a
song in an independent world whose order is random is its measured share.
``theta = 0.5`` (the default) splits it evenly; then appeal, quality and ``w`` rank the
songs alike, and the true value ranks them as the paper's quality (the independent
share) does.

Two options bring the model's participants closer to MusicLab's (both off by default):

* ``participants`` (``"independent"`` or ``"social"``, with ``data_dir``): participants
  differ in how much they do. Each participant's activity is drawn from the downloads
  per participant of that condition of Experiment 1 (most download one song, a few
  nearly all 48), scaled so the mean stays ``sessions_per_user_per_day``.
* ``download_once``: a participant never listens again to a song they downloaded (the
  site let each song be downloaded once): its attractiveness for them is 0. Relevance
  is then personal (``is_global`` is false).
"""

from __future__ import annotations

import functools

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Probability,
)
from loopsim.simulator.world.state import UniformActivity, WorldState


class MusicLabWorld(UniformActivity, WorldState):
    """Songs with appeal and quality; attractiveness grows with the displayed downloads.

    Args:
        n_users: Number of participants (all identical; they only carry activity).
        n_items: Number of songs.
        sessions_per_user_per_day: Listening sessions per participant per day.
        appeal_alpha: Appeal ``~ Beta(appeal_alpha, appeal_beta)``.
        appeal_beta: See ``appeal_alpha``.
        quality_alpha: Quality (download probability after a listen)
            ``~ Beta(quality_alpha, quality_beta)``.
        quality_beta: See ``quality_alpha``.
        social_weight: ``lambda >= 0`` in front of the social signal (0: independent
            condition, downloads are not shown).
        social_exponent: ``r >= 0``, the exponent applied to the download counts.
        seed: Optional fixed seed of the songs (replicate worlds share their songs).
        data_dir: Folder of MusicLab's raw download files: the songs' appeal and quality
            then come from Experiment 1's independent world (``n_items`` must be 48).
        appeal_share: ``theta`` in ``[0, 1]``, how the measured independent share is
            split between appeal and quality (with ``data_dir`` only).
        participants: ``None``, ``"independent"`` or ``"social"``: draw each
            participant's activity from that condition's downloads per participant
            (with ``data_dir`` only).
        download_once: A participant does not listen again to a song they downloaded.

    :attr:`n_items` is the number of songs; :attr:`version` changes when a song is added
    or, in a social world, when downloads change.
    """

    item_arrival_rate = 0.0
    item_lifetime = None
    #: Relevance is an attractiveness weight (it grows with downloads), not a probability:
    #: only a click model that reads it as such may run on this world.
    relevance_kind = "attractiveness"

    def __init__(
        self,
        n_users: PositiveInt = 700,
        n_items: PositiveInt = 48,
        sessions_per_user_per_day: Positive = 1.0,
        appeal_alpha: Positive = 4.0,
        appeal_beta: Positive = 4.0,
        quality_alpha: Positive = 4.0,
        quality_beta: Positive = 4.0,
        social_weight: NonNegative = 1.0,
        social_exponent: NonNegative = 1.0,
        seed: NonNegativeInt | None = None,
        data_dir: str | None = None,
        appeal_share: Probability = 0.5,
        participants: str | None = None,
        download_once: bool = False,
    ) -> None:
        super().__init__(n_users, n_items, sessions_per_user_per_day, seed)
        self.data_dir = data_dir
        self.appeal_share = appeal_share
        self.participants = participants
        self.download_once = download_once
        self._activity = np.full(n_users, float(sessions_per_user_per_day))
        self.appeal_alpha = appeal_alpha
        self.appeal_beta = appeal_beta
        self.quality_alpha = quality_alpha
        self.quality_beta = quality_beta
        self.social_weight = social_weight
        self.social_exponent = social_exponent

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the songs' appeal and quality; no download yet."""
        self._appeal = np.zeros(0)
        self._quality = np.zeros(0)
        self._downloads = np.zeros(0)
        self._user_downloads = np.zeros((self.n_users, 0))
        self._reset_items()
        if self.data_dir is None:
            self.add_items(self.n_initial_items, rng)
            return
        appeal, quality = calibrated_songs(self.data_dir, self.appeal_share,
                                           self.download_once)
        if self.n_initial_items != appeal.size:
            raise ConfigError(f"`world.n_items == {self.n_initial_items}` but the MusicLab data "
                              f"in `world.data_dir` has {appeal.size} songs: set "
                              f"world.n_items={appeal.size}.")
        self._appeal, self._quality = appeal, quality
        if self.participants is not None:
            self._activity = participant_activity(self.data_dir, self.participants,
                                                  self.n_users, self.sessions_per_user_per_day,
                                                  rng)
        self._downloads = np.zeros(appeal.size)
        self._user_downloads = np.zeros((self.n_users, appeal.size))
        self._items_added(0, appeal.size)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new songs (appeal, then quality) and return their ids."""
        start, stop = self._n_items, self._n_items + n
        self._appeal = grown(self._appeal, stop)
        self._quality = grown(self._quality, stop)
        self._downloads = grown(self._downloads, stop)
        self._user_downloads = np.pad(self._user_downloads, ((0, 0), (0, stop - start)))
        self._appeal[start:stop] = rng.beta(self.appeal_alpha, self.appeal_beta, n)
        self._quality[start:stop] = rng.beta(self.quality_alpha, self.quality_beta, n)
        return self._items_added(start, stop)

    # -- state ----------------------------------------------------------------------
    @property
    def is_global(self) -> bool:
        """Every participant sees the same attractiveness (not with ``download_once``)."""
        return not self.download_once

    def activity(self) -> np.ndarray:
        """``(n_users,)`` expected sessions per day of each participant."""
        return self._activity.copy()

    def appeal(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` appeal of songs."""
        return self._appeal[items]

    def quality(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` probability of a download after a listen."""
        return self._quality[items]

    def downloads(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` downloads so far (what the social conditions display)."""
        return self._downloads[items]

    def user_downloads(self) -> np.ndarray:
        """``(n_users, n_items)`` downloads of each participant (read-only view)."""
        view = self._user_downloads.view()
        view.flags.writeable = False
        return view

    def attractiveness(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` appeal plus the social signal of the displayed downloads."""
        a = self._appeal[items]
        if self.social_weight == 0:
            return a
        return a + self.social_weight * self._downloads[items] ** float(self.social_exponent)

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` attractiveness (a choice weight for the trial-offer model)."""
        a = np.broadcast_to(self.attractiveness(items), (len(users), len(items)))
        if not self.download_once:
            return a
        return np.where(self._user_downloads[np.ix_(users, items)] > 0, 0.0, a)

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` attractiveness of ``slates[b, r]``."""
        if self.download_once:
            done = self._user_downloads[np.asarray(users)[:, None], slates] > 0
            return np.where(done, 0.0, self.attractiveness(slates))
        if slates.shape[0] > 0 and slates.strides[0] == 0:
            return np.broadcast_to(self.attractiveness(slates[0]), slates.shape)
        return self.attractiveness(slates)

    def conversion_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` download probability (quality) of ``slates[b, r]`` after a listen."""
        if slates.shape[0] > 0 and slates.strides[0] == 0:
            return np.broadcast_to(self._quality[slates[0]], slates.shape)
        return self._quality[slates]

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """The quality of songs: their true ranking."""
        return self._quality[items]

    def observe(self, feedback: Feedback) -> None:
        """Add the batch's downloads (rewards) to the displayed counts."""
        if len(feedback) == 0:
            return
        got = feedback.reward > 0
        if not got.any():
            return
        reward = feedback.reward[got].astype(np.float64)
        np.add.at(self._downloads, feedback.item[got], reward)
        np.add.at(self._user_downloads, (feedback.user[got], feedback.item[got]), reward)
        if self.social_weight > 0:
            self._version += 1

    def __repr__(self) -> str:
        return (
            f"MusicLabWorld(n_items={self.n_initial_items}, social_weight={self.social_weight}, "
            f"social_exponent={self.social_exponent})"
        )


def expected_shares(downloads: np.ndarray) -> np.ndarray:
    """Market shares with their binomial sampling noise shrunk away (module docstring)."""
    d = np.asarray(downloads, dtype=np.float64)
    total = d.sum()
    m = d / total
    variance = m.var()
    noise = float((m * (1.0 - m)).mean() / total)
    shrink = np.sqrt(max(0.0, 1.0 - noise / variance)) if variance > 0 else 0.0
    return m.mean() + shrink * (m - m.mean())


def participant_activity(data_dir: str, condition: str, n_users: int, mean: float,
                         rng: np.random.Generator) -> np.ndarray:
    """``(n_users,)`` activities drawn from a condition's downloads per participant.

    Args:
        data_dir: Folder of the MusicLab files.
        condition: ``"independent"`` (world 9) or ``"social"`` (worlds 1-8 pooled).
        n_users: Participants to draw.
        mean: The activities' mean (sessions per participant per day).
        rng: The world's stream.
    """
    from loopsim.simulator.world.musiclab_io import read_musiclab

    data = read_musiclab(data_dir)
    if condition == "independent":
        counts = data.independent.per_participant().sum(axis=1)
    elif condition == "social":
        counts = np.concatenate([w.per_participant().sum(axis=1) for w in data.social])
    else:
        raise ConfigError(f"`world.participants == {condition!r}`: use 'independent', "
                          "'social' or null.")
    drawn = rng.choice(counts, n_users, replace=True)
    return drawn * (float(mean) / drawn.mean())


def successive_inclusion(weights: np.ndarray, counts: np.ndarray, draws: int = 2000,
                         seed: int = 0) -> np.ndarray:
    """Expected download share of each song when participants download without repeats.

    Participant ``u`` downloads ``counts[u]`` distinct songs, each next one drawn with
    probability proportional to ``weights`` among the songs not yet downloaded
    (successive sampling, as ``download_once`` makes the trial-offer model do when
    every session is a listen). Estimated by ``draws`` Gumbel-top-k samples per distinct
    count from a fixed seed (so calibration is deterministic).

    Returns:
        ``(n,)`` shares summing to 1.
    """
    rng = np.random.default_rng(seed)
    logw = np.log(np.asarray(weights, dtype=np.float64))
    n = logw.size
    keys = logw + rng.gumbel(size=(draws, n))
    order = np.argsort(-keys, axis=1)
    rank = np.empty_like(order)
    rank[np.arange(draws)[:, None], order] = np.arange(n)
    values, multiplicity = np.unique(np.minimum(np.asarray(counts, dtype=np.int64), n),
                                     return_counts=True)
    total = np.zeros(n)
    for c, m in zip(values, multiplicity, strict=True):
        total += m * (rank < c).mean(axis=0)
    return total / total.sum()


def calibrated_songs(data_dir: str, appeal_share: float, download_once: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(appeal, quality)`` of the 48 songs from the independent world's downloads.

    See the module's docstring: ``appeal = (w / max w) ** theta`` and
    ``quality = (w / max w) ** (1 - theta)``, ``w`` the independent market shares with
    their sampling noise removed. With ``download_once`` the participants of the
    independent world download without repeats, which flattens the shares of a song
    weight: ``w`` is then the weight whose successive sampling
    (:func:`successive_inclusion`, with world 9's downloads per participant) gives the
    de-noised shares (found by a fixed-point iteration).
    """
    return _calibrated(str(data_dir), float(appeal_share), bool(download_once))


@functools.lru_cache(maxsize=8)
def _calibrated(data_dir: str, theta: float, download_once: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    from loopsim.simulator.world.musiclab_io import read_musiclab

    indep = read_musiclab(data_dir).independent
    target = expected_shares(indep.downloads)
    w = target.copy()
    if download_once:
        counts = indep.per_participant().sum(axis=1)
        for _ in range(25):
            w = w * target / successive_inclusion(w, counts)
            w /= w.sum()
    w = w / w.max()
    appeal, quality = w**theta, w ** (1.0 - theta)
    appeal.flags.writeable = False
    quality.flags.writeable = False
    return appeal, quality


__all__ = ["MusicLabWorld", "calibrated_songs", "expected_shares", "participant_activity",
           "successive_inclusion"]
