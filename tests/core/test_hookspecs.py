"""The hook specs are a public contract: their names and argument names are pinned here."""

from __future__ import annotations

import inspect

import pluggy
from mastra_core import hookspecs

PINNED = {
    "mastra_register_backends": ["register"],
    "mastra_register_memory_stores": ["register"],
    "mastra_register_workflows_stores": ["register"],
    "mastra_register_scores_stores": ["register"],
    "mastra_register_observability_stores": ["register"],
    "mastra_register_agents_stores": ["register"],
    "mastra_register_evals_stores": ["register"],
    "mastra_register_traces_stores": ["register"],
    "mastra_register_vector_stores": ["register"],
    "mastra_register_embedders": ["register"],
    "mastra_register_commands": ["register"],
    "mastra_register_test_harnesses": ["register"],
    "mastra_storage_opened": ["storage"],
    "mastra_storage_initialized": ["storage"],
    "mastra_storage_closing": ["storage"],
    "mastra_storage_error": ["storage", "domain", "operation", "error"],
}


def _specs() -> dict[str, object]:
    return {name: obj for name, obj in vars(hookspecs).items() if name.startswith("mastra_") and callable(obj)}


def test_exactly_the_pinned_specs_exist() -> None:
    assert sorted(_specs()) == sorted(PINNED)


def test_spec_arguments_are_pinned() -> None:
    for name, fn in _specs().items():
        assert list(inspect.signature(fn).parameters) == PINNED[name], name


def test_every_spec_is_marked_and_documented() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, fn in _specs().items():
        assert getattr(pm.hook, name).spec is not None, name
        doc = inspect.getdoc(fn) or ""
        assert "Called" in doc or "Notification" in doc, f"{name} must say when it is called"
        assert "Return" in doc, f"{name} must say what it returns"


def test_domain_hook_table_matches_specs() -> None:
    assert set(hookspecs.DOMAIN_HOOKS.values()) <= set(PINNED)


def test_specs_are_written_out_one_by_one() -> None:
    """No generated specs: every spec is a function defined in hookspecs.py under its own name."""
    for name, fn in _specs().items():
        assert getattr(fn, "__name__", None) == name, name
        assert getattr(fn, "__module__", None) == hookspecs.__name__, name
