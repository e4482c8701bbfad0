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


def test_every_field_of_slates_is_documented_on_the_hooks_page() -> None:
    import dataclasses

    from loopsim.simulator.contract.batches import Slates
    from loopsim.simulator.contract.hooks_page import attribute_docs, slates_section

    documented = attribute_docs(Slates)
    section = slates_section()
    for f in dataclasses.fields(Slates):
        assert documented.get(f.name), f"Slates.{f.name} has no entry in its Attributes:"
        assert f"| `{f.name}` |" in section, f.name
    assert "validates its slates in full" in section


def test_markdown_turns_rest_roles_into_code() -> None:
    from loopsim.simulator.contract.hooks_page import markdown

    assert markdown("``x`` :class:`~a.b.C` :attr:`Feedback.versions`") == (
        "`x` `C` `Feedback.versions`")
