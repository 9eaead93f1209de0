"""The plugin surface stays honest: every hook is tested and documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from keyaccount import hookspecs

ROOT = Path(__file__).resolve().parents[2]


def hook_specs() -> dict[str, list[str]]:
    specs = {}
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(fn, "keyaccount_spec"):
            specs[name] = list(inspect.signature(fn).parameters)
    return specs


HOOKS = hook_specs()


def test_hookspecs_are_found() -> None:
    assert {"register_storage_backends", "register_crm_providers", "on_domain_event"} <= set(HOOKS)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_has_a_test(hook: str) -> None:
    pattern = re.compile(rf"^\s*def test_hook_{hook}\(", re.M)
    sources = (p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    assert any(pattern.search(text) for text in sources), f"write a test named test_hook_{hook}"


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    heading = f"## {hook}({', '.join(HOOKS[hook])})"
    assert heading in docs, f"docs/plugins.md needs a section headed {heading!r}"


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_has_a_docstring(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Fires" in doc, "say when the hook fires"
