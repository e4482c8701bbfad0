"""docs/hooks.md, generated from the hook registry.

``python -m loopsim.simulator.contract.hooks_page > docs/hooks.md`` writes it; a test
keeps the committed page in step with :data:`~loopsim.simulator.contract.registry.HOOKS`.
"""

from __future__ import annotations

from loopsim.simulator.contract.registry import ExtensionPoint, hook_table

#: The extension points in the order the hooks page lists them, with a title each.
POINT_TITLES: dict[ExtensionPoint, str] = {
    "policy": "Policy (the policy or any of its parts)",
    "estimator": "Estimator",
    "selector": "Selector",
    "world": "World",
    "click_model": "Click model",
}


def hooks_page() -> str:
    """The Markdown of docs/hooks.md: every optional hook, by extension point."""
    parts = ["# Optional hooks\n",
             "Generated from `loopsim.simulator.contract.registry.HOOKS` by "
             "`python -m loopsim.simulator.contract.hooks_page > docs/hooks.md` "
             "(a test keeps it in step). A component declares a hook by having its members; "
             "the engine checks hooks once when a run starts, never inside the loop, and "
             "`check_policy`, `check_world` and `check_click_model` report which ones a "
             "component declares.\n"]
    for point, title in POINT_TITLES.items():
        parts.append(f"## {title}\n\n{hook_table(point)}\n")
    return "\n".join(parts)


__all__ = ["POINT_TITLES", "hooks_page"]


if __name__ == "__main__":
    print(hooks_page(), end="")
