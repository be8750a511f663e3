"""Backend discovery: entry points in the ``mastra.storage`` group, loaded lazily, keyed by id."""

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
    from .storage import BackendStorage, Storage

ENTRY_POINT_GROUP = "mastra.storage"
DISABLE_ENV = "MASTRA_DISABLE_PLUGINS"
CORE_DISTRIBUTION = "mastra-core"
_log = get_logger("mastra_core.registry")


@attrs.define(kw_only=True, frozen=True)
class BackendInfo:
    """An installed backend: its class and the distribution that provides it."""

    id: str
    cls: type[BackendStorage]
    distribution: str
    version: str


@attrs.define(kw_only=True)
class Registry:
    """Everything the plugins registered."""

    backends: dict[str, BackendInfo] = attrs.field(factory=dict)
    #: (domain, backend id) -> (factory, distribution)
    domain_factories: dict[tuple[str, str], tuple[Callable[[Any], Any], str]] = attrs.field(factory=dict)
    vector_stores: dict[str, tuple[Callable[..., Any], str]] = attrs.field(factory=dict)
    embedders: dict[str, tuple[Callable[..., Any], str]] = attrs.field(factory=dict)

    def backend(self, backend_id: str) -> BackendInfo:
        try:
            return self.backends[backend_id]
        except KeyError:
            installed = ", ".join(sorted(self.backends)) or "none"
            raise UnknownBackendError(
                f"no storage backend {backend_id!r} is installed (installed: {installed}); "
                f"`pip install mastra-{backend_id}` would add it",
                details={"backend": backend_id, "installed": sorted(self.backends)},
            ) from None

    def backend_for_url(self, url: str) -> BackendInfo:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        for info in self.backends.values():
            if scheme in info.cls.url_schemes:
                return info
        known = {s: i.id for i in self.backends.values() for s in i.cls.url_schemes}
        hint = {"postgresql": "pg", "postgres": "pg", "mongodb": "mongodb", "mongodb+srv": "mongodb", "dynamodb": "dynamodb",
                "redis": "upstash", "rediss": "upstash", "upstash": "upstash", "file": "libsql", "libsql": "libsql"}.get(scheme)
        extra = f"; `pip install mastra-{hint}` would add it" if hint else ""
        raise UnknownBackendError(
            f"no installed backend handles URL scheme {scheme!r} (known: {sorted(known) or 'none'}){extra}",
            details={"scheme": scheme, "url": redact(url)},
        )


def _disabled() -> set[str]:
    return {d.strip() for d in os.environ.get(DISABLE_ENV, "").split(",") if d.strip()}


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use: core's own plugin plus every entry point.

    ``plugin_manager.cache_clear()`` (or :func:`cache_clear`) forgets it, for tests.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    from .inmemory import plugin as inmemory_plugin

    pm.register(inmemory_plugin, name=CORE_DISTRIBUTION)
    from .memory import plugin as memory_plugin

    pm.register(memory_plugin, name=f"{CORE_DISTRIBUTION}:memory")
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


@cache
def registry() -> Registry:
    """What every plugin registered (built once, lazily)."""
    pm = plugin_manager()
    reg = Registry()

    def version_of(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "0+unknown"

    for impl in pm.hook.mastra_register_backends.get_hookimpls():
        dist = impl.plugin_name

        def register_backend(cls: type[BackendStorage], *, _dist: str = dist) -> None:
            backend_id = getattr(cls, "backend_id", None)
            if not isinstance(backend_id, str) or not backend_id:
                raise PluginLoadError(f"plugin {_dist!r} registered {cls!r} without a backend_id", details={"distribution": _dist})
            if backend_id in reg.backends and reg.backends[backend_id].cls is not cls:
                other = reg.backends[backend_id].distribution
                raise DuplicateBackendError(
                    f"backend id {backend_id!r} is provided by both {other!r} and {_dist!r}; uninstall one, "
                    f"or skip one with {DISABLE_ENV}",
                    details={"backend": backend_id, "distributions": [other, _dist]},
                )
            reg.backends[backend_id] = BackendInfo(id=backend_id, cls=cls, distribution=_dist, version=version_of(_dist))

        impl.function(register=register_backend)

    for domain, hook_name in hookspecs.DOMAIN_HOOKS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            dist = impl.plugin_name

            def register_domain(backend_id: str, factory: Callable[[Any], Any], *, _dist: str = dist, _domain: str = domain) -> None:
                key = (_domain, backend_id)
                if key in reg.domain_factories:
                    other = reg.domain_factories[key][1]
                    raise DuplicateBackendError(
                        f"the {_domain} store of backend {backend_id!r} is registered by both {other!r} and {_dist!r}",
                        details={"backend": backend_id, "domain": _domain, "distributions": [other, _dist]},
                    )
                reg.domain_factories[key] = (factory, _dist)

            impl.function(register=register_domain)

    for hook_name, target in (("mastra_register_vector_stores", reg.vector_stores), ("mastra_register_embedders", reg.embedders)):
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            dist = impl.plugin_name

            def register_named(name: str, factory: Callable[..., Any], *, _dist: str = dist, _target: dict[str, Any] = target,
                                _kind: str = hook_name) -> None:
                if name in _target and _target[name][0] is not factory:
                    raise DuplicateBackendError(
                        f"{_kind.removeprefix('mastra_register_')[:-1]} {name!r} is registered by both {_target[name][1]!r} and {_dist!r}",
                        details={"id": name, "distributions": [_target[name][1], _dist]},
                    )
                _target[name] = (factory, _dist)

            impl.function(register=register_named)
    return reg


def cache_clear() -> None:
    """Forget the plugin manager and registry (tests; after installing a plugin at run time)."""
    registry.cache_clear()
    plugin_manager.cache_clear()


def get_backend(backend_id: str) -> type[BackendStorage]:
    """The backend class registered under ``backend_id``."""
    return registry().backend(backend_id).cls


def create_storage(backend_id: str, /, **config: Any) -> BackendStorage:
    """Build a storage of an installed backend: ``create_storage("pg", id="pg-storage", connection_string=...)``.

    ``id`` defaults to ``"<backend>-storage"``. Unknown config keys are errors.
    """
    cls = get_backend(backend_id)
    config.setdefault("id", f"{backend_id}-storage")
    return cls(**config)


def open_storage(url: str, /, **config: Any) -> BackendStorage:
    """Build a storage from a URL, choosing the backend by its scheme (``file:``, ``postgresql:``, ``redis:``...)."""
    info = registry().backend_for_url(url)
    config.setdefault("id", f"{info.id}-storage")
    return info.cls.from_url(url, **config)


def notify(hook_name: str, **kwargs: Any) -> None:
    """Call a lifecycle hook; observers that raise are logged, never propagated."""
    try:
        getattr(plugin_manager().hook, hook_name)(**kwargs)
    except Exception:
        _log.warning("lifecycle hook failed", hook=hook_name, exc_info=sys.exc_info())


def import_optional(module: str, distribution: str) -> Any:
    """Import a driver lazily with an error that says which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PluginLoadError(f"{module} is not installed: `pip install {distribution}`", details={"module": module}) from exc


def domain_factory(domain: str, backend_id: str) -> Callable[[Storage], Any] | None:
    entry = registry().domain_factories.get((domain, backend_id))
    return entry[0] if entry else None
