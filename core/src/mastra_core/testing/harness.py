"""Harnesses of the contract suite: found through the ``mastra_register_test_harnesses`` hook.

A plugin registers ``register("<name>", "dotted.module")`` or ``register("<name>", "dotted.module:attribute")``
(or the module/object itself). The dotted name is imported only here, when a test run asks for that
harness, so no test code loads in production. This module does not import pytest.

A harness (module or object) provides ``BACKEND_ID``, ``async make_storage(namespace, **overrides) ->
Storage`` (an un-initialised storage on a fresh, empty namespace of a real service), and optionally
``async cleanup(namespace)``, ``PROBE_CONFIG`` (options building an unconnected instance whose
``capabilities`` decide the declared gaps) or ``probe_capabilities()``.

A harness of a networked backend opts into the fault suite (``test_faults.py``) with ``fault_upstream() ->
(host, port)`` (the TCP address of its real service) and ``async make_proxied_storage(namespace, host, port,
**overrides) -> Storage`` (an un-initialised storage on ``namespace`` that reaches the service through
``host:port``, the suite's loopback chaos proxy). Without both, the fault tests are deselected for that harness.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import attrs

from ..plugins import registry

if TYPE_CHECKING:
    from ..storage import Storage

__all__ = ["Harness", "UnknownHarnessError", "harness_names", "load_harness"]


class UnknownHarnessError(LookupError):
    """No harness is registered under the requested name (the message lists the registered ones)."""


def harness_names() -> list[str]:
    """The names of every registered harness, sorted."""
    return sorted(registry().harnesses)


def _resolve(target: Any) -> Any:
    """Import a ``"module"`` / ``"module:attribute"`` target; anything else is the harness itself."""
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else ():
        obj = getattr(obj, part)
    return obj


@attrs.define(frozen=True)
class Harness:
    """A loaded harness: its registered name, the distribution that registered it, and the target object."""

    name: str
    distribution: str
    target: Any

    @property
    def backend_id(self) -> str:
        """The backend the harness builds storages of."""
        return str(self.target.BACKEND_ID)

    async def make_storage(self, namespace: str, **overrides: Any) -> Storage:
        """An un-initialised storage on ``namespace`` (fresh and empty unless another storage uses it)."""
        storage: Storage = await self.target.make_storage(namespace, **overrides)
        return storage

    async def cleanup(self, namespace: str) -> None:
        """Drop what ``namespace`` created (a no-op when the harness has no ``cleanup``)."""
        cleanup = getattr(self.target, "cleanup", None)
        if cleanup is not None:
            await cleanup(namespace)

    @property
    def supports_faults(self) -> bool:
        """Whether the harness opted into the fault suite (``fault_upstream`` and ``make_proxied_storage``)."""
        return hasattr(self.target, "fault_upstream") and hasattr(self.target, "make_proxied_storage")

    def fault_upstream(self) -> tuple[str, int]:
        """The service's TCP address, which the chaos proxy forwards to."""
        host, port = self.target.fault_upstream()
        return str(host), int(port)

    async def make_proxied_storage(self, namespace: str, host: str, port: int, **overrides: Any) -> Storage:
        """An un-initialised storage on ``namespace`` reaching its service through ``host:port``."""
        storage: Storage = await self.target.make_proxied_storage(namespace, host, port, **overrides)
        return storage

    def capabilities(self) -> frozenset[str]:
        """The capabilities of the backend under test, without connecting anywhere."""
        probe = getattr(self.target, "probe_capabilities", None)
        if probe is not None:
            return frozenset(probe())
        from ..registry import get_backend

        cls = get_backend(self.backend_id)
        return frozenset(cls(id="capability-probe", **getattr(self.target, "PROBE_CONFIG", {})).capabilities)


def load_harness(name: str) -> Harness:
    """The harness registered as ``name``, imported now; :class:`UnknownHarnessError` lists the known names."""
    entries = registry().harnesses
    if name not in entries:
        known = ", ".join(harness_names()) or "none (install a mastra backend plugin)"
        raise UnknownHarnessError(f"no contract-suite harness {name!r} is registered; registered harnesses: {known}")
    target, distribution = entries[name]
    return Harness(name=name, distribution=distribution, target=_resolve(target))
