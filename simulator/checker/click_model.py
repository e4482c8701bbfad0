"""``check_click_model``: run a click model's contract on hand-made slates.

The twin of :func:`~loopsim.simulator.checker.checks.check_policy` for a user's click
model (:class:`~loopsim.simulator.contract.click_model.ClickModel`): one small check per
property, each raising :class:`~loopsim.simulator.errors.ContractError` that names the
check, the model, what was found and the likely fix.

Usage::

    from loopsim.simulator import check_click_model
    check_click_model(MyClickModel(eta=0.7))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from loopsim.simulator.checker.constructor import check_constructor_only_stores
from loopsim.simulator.contract.click_model import ClickModel
from loopsim.simulator.contract.registry import declared
from loopsim.simulator.errors import ContractError
from loopsim.simulator.loop.policy_calls import GlobalRandomWatch

#: The seed of the checks' draws.
CHECK_SEED = 20261206
#: Sessions of the Monte-Carlo agreement check, and its tolerance in standard errors.
MC_SESSIONS = 20_000
MC_TOLERANCE_SE = 5.0


def _fail(check: str, model: object, what: str, fix: str) -> ContractError:
    return ContractError(f"{check} failed for click model {type(model).__name__}: {what} {fix}")


def _relevance(b: int = 6, k: int = 4) -> np.ndarray:
    """``(b, k)`` hand-made relevances in (0, 1), one row all zeros."""
    rng = np.random.default_rng(CHECK_SEED)
    rel = rng.uniform(0.05, 0.95, size=(b, k))
    rel[0] = 0.0
    return rel


def check_click_model_members(model: ClickModel) -> None:
    """The model has every method of :class:`~loopsim.simulator.contract.ClickModel`."""
    if isinstance(model, ClickModel):
        return
    wanted = [m for m in ("sample", "expected_clicks", "best_expected_clicks", "examination")
              if not callable(getattr(model, m, None))]
    raise _fail("check_click_model_members", model, f"it has no {', '.join(wanted)}.",
                "Implement every method of loopsim.simulator.contract.ClickModel.")


def check_sample_shapes(model: ClickModel) -> None:
    """``sample`` returns ``(B, k)`` bool clicks and rewards that are 0 without a click."""
    rel = _relevance()
    clicks, rewards = model.sample(rel, np.random.default_rng(CHECK_SEED))
    clicks, rewards = np.asarray(clicks), np.asarray(rewards)
    if clicks.shape != rel.shape or rewards.shape != rel.shape or clicks.dtype != np.bool_:
        raise _fail("check_sample_shapes", model, f"sample returned clicks {clicks.shape} "
                    f"{clicks.dtype} and rewards {rewards.shape} for relevance {rel.shape}.",
                    "Return (clicks, rewards), each (B, k); clicks as bool.")
    if np.any(clicks[0]) or np.any(rewards[~clicks] != 0):
        raise _fail("check_sample_shapes", model, "it clicked an item of relevance 0, or "
                    "rewarded an impression without a click.",
                    "Click with probability (examination x relevance); reward only clicks.")


def check_expected_matches_sampled(model: ClickModel) -> None:
    """``expected_clicks`` agrees with the mean of many ``sample`` draws."""
    rel = _relevance()
    expected = np.asarray(model.expected_clicks(rel), dtype=np.float64)
    if expected.shape != (rel.shape[0],):
        raise _fail("check_expected_matches_sampled", model, "expected_clicks returned "
                    f"shape {expected.shape}.", f"Return ({rel.shape[0]},), one per slate.")
    many = np.repeat(rel, MC_SESSIONS // rel.shape[0], axis=0)
    clicks, _ = model.sample(many, np.random.default_rng(CHECK_SEED + 1))
    per = np.asarray(clicks, dtype=np.float64).sum(axis=1).reshape(rel.shape[0], -1)
    mean, se = per.mean(axis=1), per.std(axis=1) / np.sqrt(per.shape[1]) + 1e-9
    worst = int(np.argmax(np.abs(mean - expected) / se))
    if abs(mean[worst] - expected[worst]) > MC_TOLERANCE_SE * se[worst] + 1e-9:
        raise _fail("check_expected_matches_sampled", model, f"slate {worst}: "
                    f"expected_clicks {expected[worst]:.4f}, sampled mean "
                    f"{mean[worst]:.4f} ± {se[worst]:.4f}.", "expected_clicks must be the "
                    "exact expectation of the clicks sample() draws (the regret uses it).")


def check_best_is_best(model: ClickModel) -> None:
    """``best_expected_clicks`` of the sorted top items is at least any slate's."""
    rel = -np.sort(-_relevance(), axis=1)
    best = np.asarray(model.best_expected_clicks(rel), dtype=np.float64)
    shuffled = np.asarray(model.expected_clicks(rel[:, ::-1]), dtype=np.float64)
    if best.shape != (rel.shape[0],) or np.any(best < shuffled - 1e-9):
        raise _fail("check_best_is_best", model, "best_expected_clicks is below the "
                    "expected clicks of another order of the same items.",
                    "Return the expected clicks of the best slate built from these items.")


def check_examination(model: ClickModel) -> None:
    """``examination(k)`` is ``None`` or ``(k,)`` probabilities."""
    e = model.examination(4)
    if e is None:
        return
    e = np.asarray(e, dtype=np.float64)
    if e.shape != (4,) or not np.all((e >= 0) & (e <= 1)):
        raise _fail("check_examination", model, f"examination(4) returned {e!r:.80}.",
                    "Return (k,) probabilities in [0, 1], or None when examination "
                    "depends on earlier clicks.")


def check_deterministic_given_rng(model: ClickModel) -> None:
    """The same generator state gives the same clicks; global generators untouched."""
    rel = _relevance()
    watch = GlobalRandomWatch()
    a = model.sample(rel, np.random.default_rng(CHECK_SEED))[0]
    b = model.sample(rel, np.random.default_rng(CHECK_SEED))[0]
    if not np.array_equal(np.asarray(a), np.asarray(b)) or watch.touched():
        raise _fail("check_deterministic_given_rng", model, "two draws from the same "
                    "generator state differ, or the global random state changed.",
                    "Draw only from the rng that sample() receives.")


CLICK_MODEL_CHECKS: tuple[Callable[[ClickModel], None], ...] = (
    check_click_model_members, check_sample_shapes, check_examination,
    check_expected_matches_sampled, check_best_is_best, check_deterministic_given_rng,
)


def check_click_model(model: ClickModel) -> list[str]:
    """Run every click-model check; return the model's declared optional hooks.

    Raises:
        ContractError: naming the failed check, the model, what was found and the fix.
    """
    check_constructor_only_stores(model, "click model", ContractError)
    for check in CLICK_MODEL_CHECKS:
        check(model)
    return declared(model, ("click_model",))


__all__ = ["CLICK_MODEL_CHECKS", "check_best_is_best", "check_click_model",
           "check_click_model_members", "check_deterministic_given_rng",
           "check_examination", "check_expected_matches_sampled", "check_sample_shapes"]
