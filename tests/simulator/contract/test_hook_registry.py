"""The hook registry: complete, and the docs page generated from it is current."""

from __future__ import annotations

import inspect
from pathlib import Path

from loopsim.simulator import contract
from loopsim.simulator.contract.hooks_page import hooks_page
from loopsim.simulator.contract.registry import HOOKS

PAGE = Path(__file__).resolve().parents[3] / "docs" / "hooks.md"
REQUIRED = {"RankingPolicy", "Estimator", "Selector", "World", "GroundTruth", "ClickModel",
            "RetrievalStage"}


def test_docs_hooks_page_is_generated_from_the_registry() -> None:
    assert PAGE.read_text() == hooks_page(), (
        "docs/hooks.md is stale: python -m loopsim.simulator.contract.hooks_page > docs/hooks.md")


def test_every_optional_protocol_of_the_contract_is_registered() -> None:
    protocols = {name for name, obj in vars(contract).items()
                 if inspect.isclass(obj) and getattr(obj, "_is_protocol", False)}
    registered = {h.protocol.__name__ for h in HOOKS}
    assert protocols - REQUIRED == registered, (protocols - REQUIRED) ^ registered


def test_every_hook_names_members_its_protocol_has() -> None:
    for hook in HOOKS:
        declared = set(dir(hook.protocol)) | set(getattr(hook.protocol, "__annotations__", {}))
        for member in hook.members:
            assert member in declared, (hook.name, member)
