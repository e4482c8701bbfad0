"""check_world and check_click_model: every built-in passes; each flaw names its check."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import (
    AttentionChoiceModel,
    CascadeModel,
    ChaneyWorld,
    ContractError,
    InterestWorld,
    MusicLabWorld,
    PositionBasedModel,
    SyntheticWorld,
    TrialOfferModel,
    check_click_model,
    check_world,
)
from loopsim.simulator.checker import CLICK_MODEL_CHECKS, WORLD_CHECKS


@pytest.mark.parametrize("world", [SyntheticWorld(n_users=40, n_items=15), ChaneyWorld(),
                                   InterestWorld(), MusicLabWorld()],
                         ids=lambda w: type(w).__name__)
def test_builtin_worlds_pass_check_world(world: object) -> None:
    hooks = check_world(world)  # type: ignore[arg-type]
    assert "n_users" in hooks


@pytest.mark.parametrize("model", [PositionBasedModel(eta=0.7), CascadeModel(),
                                   TrialOfferModel(), AttentionChoiceModel()],
                         ids=lambda m: type(m).__name__)
def test_builtin_click_models_pass_check_click_model(model: object) -> None:
    check_click_model(model)  # type: ignore[arg-type]


class FlawedWorld(SyntheticWorld):
    """A synthetic world told to break one property of the world contract."""

    def __init__(self, flaw: str | None = None, n_users: int = 30, n_items: int = 12) -> None:
        super().__init__(n_users=n_users, n_items=n_items)
        self.flaw = flaw
        if flaw == "state_in_init":
            self.table = np.zeros(3)  # public derived state

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        rel = super().relevance(users, items)
        if self.flaw == "relevance_shape":
            return rel.T
        if self.flaw == "relevance_range":
            return rel + 1.5
        if self.flaw == "global":
            np.random.random()  # noqa: NPY002 (the flaw under test)
        return rel

    def reset(self, rng: np.random.Generator) -> None:
        super().reset(np.random.default_rng() if self.flaw == "unseeded" else rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        ids = super().add_items(n, rng)
        return ids[::-1] if self.flaw == "add_items" else ids


WORLD_FLAWS = [
    ("state_in_init", "check_constructor_only_stores", r"sets `table`, which is not a parameter"),
    ("relevance_shape", "check_relevance", r"returned shape \(12, 7\) for 7 users and 12 items"),
    ("relevance_range", "check_relevance", r"keep it in \[0, 1\]"),
    ("add_items", "check_add_items", r"add_items\(2, rng\) returned \[13, 12\]"),
    ("unseeded", "check_deterministic_given_rng", r"two resets with the same generator"),
    ("global", "check_no_global_random_state", r"changed the state of numpy\.random"),
]


@pytest.mark.parametrize(("flaw", "check", "message"), WORLD_FLAWS,
                         ids=[f[0] for f in WORLD_FLAWS])
def test_every_world_flaw_fails_its_check(flaw: str, check: str, message: str) -> None:
    with pytest.raises(ContractError, match=f"^{check} failed for (world )?FlawedWorld: "
                                             f".*{message}"):
        check_world(FlawedWorld(flaw))


def test_the_flawed_world_is_fine_without_a_flaw() -> None:
    check_world(FlawedWorld())


class FlawedClicks(PositionBasedModel):
    """A PBM told to break one property of the click-model contract."""

    def __init__(self, flaw: str | None = None, eta: float = 1.0) -> None:
        super().__init__(eta=eta)
        self.flaw = flaw

    def sample(self, relevance: np.ndarray, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
        clicks, rewards = super().sample(relevance, rng)
        if self.flaw == "int_clicks":
            return clicks.astype(np.int64), rewards
        if self.flaw == "reward_without_click":
            return clicks, rewards + 1.0
        return clicks, rewards

    def expected_clicks(self, relevance: np.ndarray) -> np.ndarray:
        out = super().expected_clicks(relevance)
        return out * 1.3 if self.flaw == "expectation" else out

    def examination(self, k: int) -> np.ndarray:
        e = super().examination(k)
        return e * 3 if self.flaw == "examination" else e


CLICK_FLAWS = [
    ("int_clicks", "check_sample_shapes", r"clicks as bool"),
    ("reward_without_click", "check_sample_shapes", r"rewarded an impression without a click"),
    ("expectation", "check_expected_matches_sampled", r"exact expectation"),
    ("examination", "check_examination", r"probabilities in \[0, 1\]"),
]


@pytest.mark.parametrize(("flaw", "check", "message"), CLICK_FLAWS,
                         ids=[f[0] for f in CLICK_FLAWS])
def test_every_click_model_flaw_fails_its_check(flaw: str, check: str, message: str) -> None:
    with pytest.raises(ContractError, match=f"^{check} failed for click model FlawedClicks: "
                                             f".*{message}"):
        check_click_model(FlawedClicks(flaw))


def test_the_checks_are_listed() -> None:
    assert len(WORLD_CHECKS) == 8 and len(CLICK_MODEL_CHECKS) == 6
