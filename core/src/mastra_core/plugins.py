"""The plugin manager and the one collector of everything plugins register.

Core's own plugins are listed by module name in :data:`BUILTIN_PLUGINS` (imported by name, so this
module imports no backend and the import graph of core has no cycle); installed distributions are
found through the ``mastra.storage`` entry-point group. Both are loaded lazily, once per process.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from . import hookspecs
from .errors import DuplicateBackendError, PluginLoadError, UnknownBackendError
from .log import get_logger, redact

if TYPE_CHECKING:
    from .storage import BackendStorage

ENTRY_POINT_GROUP = "mastra.storage"
DISABLE_ENV = "MASTRA_DISABLE_PLUGINS"
CORE_DISTRIBUTION = "mastra-core"
#: Core's built-in plugins, in one place: (plugin name, module).
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    (CORE_DISTRIBUTION, "mastra_core.inmemory.plugin"),
    (f"{CORE_DISTRIBUTION}:commands", "mastra_core.commands"),
)
_log = get_logger("mastra_core.plugins")
#: URL scheme -> the backend id whose distribution would handle it (for the "pip install" hint).
_SCHEME_HINTS = {"postgresql": "pg", "postgres": "pg", "mongodb": "mongodb", "mongodb+srv": "mongodb",
                 "dynamodb": "dynamodb", "redis": "upstash", "rediss": "upstash", "upstash": "upstash",
                 "file": "libsql", "libsql": "libsql", "mysql": "mysql", "mariadb": "mysql"}

#: ``handler(argv) -> exit code`` of a registered sub-command.
CommandHandler = Callable[[list[str]], int]


@attrs.define(kw_only=True, frozen=True)
class BackendInfo:
    """An installed backend: its class and the distribution that provides it."""

    id: str
    cls: type[BackendStorage]
    distribution: str
    version: str


@attrs.define(kw_only=True, frozen=True)
class DomainFactory:
    """A registered domain store factory: ``factory(storage)`` builds it; ``replace`` marks a replacement."""

    factory: Callable[[Any], Any]
    distribution: str
    replace: bool = False


@attrs.define(kw_only=True, frozen=True)
class Command:
    """A registered ``mastra <name> ...`` sub-command."""

    name: str
    help: str
    handler: CommandHandler
    distribution: str


@attrs.define(kw_only=True)
class Registry:
    """Everything the plugins registered, gathered by :func:`registry`."""

    backends: dict[str, BackendInfo] = attrs.field(factory=dict)
    #: (domain, backend id) -> the factory in force (a replacement wins over the original)
    domain_factories: dict[tuple[str, str], DomainFactory] = attrs.field(factory=dict)
    vector_stores: dict[str, tuple[Callable[..., Any], str]] = attrs.field(factory=dict)
    embedders: dict[str, tuple[Callable[..., Any], str]] = attrs.field(factory=dict)
    commands: dict[str, Command] = attrs.field(factory=dict)
    harnesses: dict[str, tuple[Any, str]] = attrs.field(factory=dict)

    def backend(self, backend_id: str) -> BackendInfo:
        """The installed backend ``backend_id``; an error listing the installed ids otherwise."""
        try:
            return self.backends[backend_id]
        except KeyError:
            installed = ", ".join(sorted(self.backends)) or "none"
            raise UnknownBackendError(
                f"no storage backend {backend_id!r} is installed (installed: {installed}); "
                f"`pip install mastra-{backend_id}` would add it (from a checkout of the repository: "
                f"`pip install -e plugins/mastra-{backend_id}`)",
                details={"backend": backend_id, "installed": sorted(self.backends)},
            ) from None

    def backend_for_url(self, url: str) -> BackendInfo:
        """The installed backend whose class lists the URL's scheme."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        for info in self.backends.values():
            if scheme in info.cls.url_schemes:
                return info
        known = {s: i.id for i in self.backends.values() for s in i.cls.url_schemes if s}  # "": a bare path
        hint = _SCHEME_HINTS.get(scheme)
        extra = (f"; `pip install mastra-{hint}` would add it (from a checkout of the repository: "
                 f"`pip install -e plugins/mastra-{hint}`)" if hint else "")
        raise UnknownBackendError(
            f"no installed backend handles URL scheme {scheme!r} (known: {sorted(known) or 'none'}){extra}",
            details={"scheme": scheme, "url": redact(url)},
        )

    def domains_of(self, backend_id: str) -> tuple[str, ...]:
        """The domains registered for a backend, in the canonical order."""
        return tuple(d for d in hookspecs.DOMAIN_HOOKS if (d, backend_id) in self.domain_factories)


def _disabled() -> set[str]:
    return {d.strip() for d in os.environ.get(DISABLE_ENV, "").split(",") if d.strip()}


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use: core's built-in plugins plus every entry point.

    ``cache_clear()`` forgets it, for tests.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=name)
    disabled = _disabled()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.name
        if ep.name in disabled or dist in disabled:
            _log.info("plugin disabled", distribution=dist)
            continue
        if pm.get_plugin(ep.name) is not None:
            continue  # the same distribution seen twice on sys.path
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {dist!r} failed to load ({type(exc).__name__}: {exc}); fix or uninstall it, "
                f"or skip it with {DISABLE_ENV}={dist}",
                details={"distribution": dist, "entry_point": ep.value},
            ) from exc
        pm.register(module, name=ep.name)
    return pm


def _version_of(dist: str) -> str:
    try:
        return metadata.version(dist.split(":", 1)[0])
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _Collector:
    """Calls every registration hook with a ``register`` callback that files what it is given."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.reg = Registry()
        self._originals: dict[tuple[str, str], DomainFactory] = {}
        self._replacements: dict[tuple[str, str], DomainFactory] = {}

    def _impls(self, hook_name: str) -> list[Any]:
        return list(getattr(self.pm.hook, hook_name).get_hookimpls())

    def collect(self) -> Registry:
        for impl in self._impls("mastra_register_backends"):
            impl.function(register=self._backend_register(impl.plugin_name))
        for domain, hook_name in hookspecs.DOMAIN_HOOKS.items():
            for impl in self._impls(hook_name):
                impl.function(register=self._domain_register(domain, impl.plugin_name))
        for hook_name, target in (("mastra_register_vector_stores", self.reg.vector_stores),
                                  ("mastra_register_embedders", self.reg.embedders),
                                  ("mastra_register_test_harnesses", self.reg.harnesses)):
            for impl in self._impls(hook_name):
                impl.function(register=self._named_register(hook_name, target, impl.plugin_name))
        for impl in self._impls("mastra_register_commands"):
            impl.function(register=self._command_register(impl.plugin_name))
        return self.reg

    def _backend_register(self, dist: str) -> Callable[[type[BackendStorage]], None]:
        def register(cls: type[BackendStorage]) -> None:
            backend_id = getattr(cls, "backend_id", None)
            if not isinstance(backend_id, str) or not backend_id:
                raise PluginLoadError(f"plugin {dist!r} registered {cls!r} without a backend_id",
                                      details={"distribution": dist})
            known = self.reg.backends.get(backend_id)
            if known is not None and known.cls is not cls:
                raise DuplicateBackendError(
                    f"backend id {backend_id!r} is provided by both {known.distribution!r} and {dist!r}; "
                    f"uninstall one, or skip one with {DISABLE_ENV}",
                    details={"backend": backend_id, "distributions": [known.distribution, dist]},
                )
            self.reg.backends[backend_id] = BackendInfo(id=backend_id, cls=cls, distribution=dist,
                                                        version=_version_of(dist))

        return register

    def _domain_register(self, domain: str, dist: str) -> Callable[..., None]:
        def register(backend_id: str, factory: Callable[[Any], Any], *, replace: bool = False) -> None:
            key = (domain, backend_id)
            new = DomainFactory(factory=factory, distribution=dist, replace=replace)
            # Originals and replacements are kept apart, so a second provider (or a second replacement)
            # is refused whatever order pluggy calls the plugins in; the replacement wins in the end.
            slot = self._replacements if replace else self._originals
            old = slot.get(key)
            if old is not None and old.factory is not factory:
                how = "replace" if replace else "provide"
                raise DuplicateBackendError(
                    f"the {domain} store of backend {backend_id!r} is registered to {how} by both "
                    f"{old.distribution!r} and {dist!r}; uninstall one, or skip one with {DISABLE_ENV}",
                    details={"backend": backend_id, "domain": domain, "distributions": [old.distribution, dist]},
                )
            slot[key] = new
            self.reg.domain_factories[key] = self._replacements.get(key) or new

        return register

    def _named_register(self, hook_name: str, target: dict[str, tuple[Any, str]], dist: str) -> Callable[..., None]:
        kind = hook_name.removeprefix("mastra_register_").removesuffix("s").replace("_", " ")

        def register(name: str, factory: Any) -> None:
            if name in target and target[name][0] is not factory:
                raise DuplicateBackendError(
                    f"{kind} {name!r} is registered by both {target[name][1]!r} and {dist!r}",
                    details={"id": name, "distributions": [target[name][1], dist]},
                )
            target[name] = (factory, dist)

        return register

    def _command_register(self, dist: str) -> Callable[[str, str, CommandHandler], None]:
        def register(name: str, help: str, handler: CommandHandler) -> None:
            known = self.reg.commands.get(name)
            if known is not None and known.handler is not handler:
                raise DuplicateBackendError(
                    f"command {name!r} is registered by both {known.distribution!r} and {dist!r}",
                    details={"command": name, "distributions": [known.distribution, dist]},
                )
            self.reg.commands[name] = Command(name=name, help=help, handler=handler, distribution=dist)

        return register


@cache
def registry() -> Registry:
    """What every plugin registered (built once, lazily)."""
    return _Collector(plugin_manager()).collect()


def cache_clear() -> None:
    """Forget the plugin manager and registry (tests; after installing a plugin at run time)."""
    registry.cache_clear()
    plugin_manager.cache_clear()


def notify(hook_name: str, **kwargs: Any) -> None:
    """Call a lifecycle hook; observers that raise are logged, never propagated."""
    try:
        getattr(plugin_manager().hook, hook_name)(**kwargs)
    except Exception:
        _log.warning("lifecycle hook failed", hook=hook_name, exc_info=sys.exc_info())


def domain_factory(domain: str, backend_id: str) -> Callable[[Any], Any] | None:
    """The factory registered for ``domain`` of ``backend_id`` (a replacement wins), or None."""
    entry = registry().domain_factories.get((domain, backend_id))
    return entry.factory if entry else None
