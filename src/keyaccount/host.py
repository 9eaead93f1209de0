"""The plugin host: a typed facade over pluggy's manager.

Built-in plugins (``DEFAULT_PLUGINS``) and external ones (entry-point group ``keyaccount``)
are loaded lazily, on first use, through the same hooks. A plugin that fails to import or to
register is reported with its name and error and skipped; the host keeps working.

Environment:

``KEYACCOUNT_DISABLE_PLUGINS``
    Comma-separated plugin names never to load (built-in or external), e.g. ``zoho,csv``.
``KEYACCOUNT_LOAD_PLUGINS``
    If set, only these external plugins are loaded (empty string: none).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from keyaccount import hookspecs
from keyaccount.crm import CrmProvider, CrmProviderFactory
from keyaccount.errors import DuplicateRegistration, PluginError, UnknownStoreURL
from keyaccount.events import DomainEvent
from keyaccount.schema import SchemaRegistry
from keyaccount.storage import Store, StoreURL

if TYPE_CHECKING:
    from keyaccount.lifecycle.signals import ChurnSignal
    from keyaccount.tiering.criteria import Criterion

log = logging.getLogger("keyaccount.plugins")

ENTRY_POINT_GROUP = "keyaccount"
DISABLE_ENV = "KEYACCOUNT_DISABLE_PLUGINS"
LOAD_ENV = "KEYACCOUNT_LOAD_PLUGINS"
STORE_ENV = "KEYACCOUNT_STORE"
DEFAULT_STORE_URL = "sqlite:///keyaccount.db"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "keyaccount.plugins.core_records",
    "keyaccount.plugins.memory",
    "keyaccount.plugins.csv_store",
    "keyaccount.plugins.sqlite_store",
    "keyaccount.plugins.operations_records",
    "keyaccount.plugins.governance_records",
    "keyaccount.plugins.zoho",
    "keyaccount.plugins.intelligence_records",
    "keyaccount.plugins.risk_records",
)

StoreFactory = Callable[[StoreURL, SchemaRegistry], Store]


@attrs.frozen
class PluginInfo:
    """What ``keyaccount plugins`` shows for one plugin."""

    name: str
    source: str
    status: str  # "loaded", "failed" or "blocked"
    registers: tuple[str, ...] = ()
    error: str | None = None


@attrs.frozen
class Registration:
    """A named thing a plugin registered: a storage scheme or a CRM provider."""

    name: str
    factory: Any
    plugin: str
    description: str = ""


def _names_from_env(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _importer(module_name: str) -> Callable[[], object]:
    return lambda: importlib.import_module(module_name)


def _short_name(module_name: str) -> str:
    last = module_name.rsplit(".", 1)[-1]
    return last.removesuffix("_store")


class PluginHost:
    """Owns the pluggy manager and exposes one typed method per hook."""

    def __init__(
        self,
        *,
        default_plugins: Iterable[str] = DEFAULT_PLUGINS,
        load_entry_points: bool = True,
        blocked: Iterable[str] | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._default_plugins = tuple(default_plugins)
        self._load_entry_points = load_entry_points
        env_blocked = _names_from_env(DISABLE_ENV) or set()
        self._blocked = set(blocked or ()) | env_blocked
        self._loaded = False
        self._infos: dict[str, PluginInfo] = {}
        self._registers: dict[str, list[str]] = {}
        self._schemas = SchemaRegistry()
        self._backends: dict[str, Registration] = {}
        self._providers: dict[str, Registration] = {}
        self._criteria: dict[str, Registration] = {}
        self._signals: dict[str, Registration] = {}

    # -- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        """Load built-in and external plugins once; later calls do nothing."""
        if self._loaded:
            return
        self._loaded = True
        for module_name in self._default_plugins:
            self._add(
                _short_name(module_name),
                _importer(module_name),
                source=f"built-in ({module_name})",
            )
        if self._load_entry_points:
            self._load_external()
        for name in list(self._infos):
            if self._infos[name].status == "loaded":
                self._collect(name, strict=False)

    def _load_external(self) -> None:
        allowed = _names_from_env(LOAD_ENV)
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if allowed is not None and ep.name not in allowed:
                continue
            dist = ep.dist
            where = f"{dist.name} {dist.version}" if dist is not None else ep.value
            self._add(ep.name, ep.load, source=f"entry point ({where})")

    def _add(self, name: str, load: Callable[[], object], *, source: str) -> None:
        if name in self._infos:
            previous = self._infos[name].source
            raise DuplicateRegistration("plugin", name, previous, source)
        if name in self._blocked:
            self._infos[name] = PluginInfo(name, source, "blocked")
            self.pm.set_blocked(name)
            return
        try:
            plugin = load()
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except Exception as err:  # a broken plugin must never break the host
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            message = f"{type(err).__name__}: {err}"
            log.warning("keyaccount plugin %r (%s) was skipped: %s", name, source, message)
            self._infos[name] = PluginInfo(name, source, "failed", error=message)
            return
        self._infos[name] = PluginInfo(name, source, "loaded")

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register a plugin object or module from code (tests, embedding applications)."""
        self.load()
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        self._add(plugin_name, lambda: plugin, source="registered in code")
        if self._infos[plugin_name].status == "loaded":
            try:
                self._collect(plugin_name, strict=True)
            except Exception:
                self.pm.unregister(name=plugin_name)
                del self._infos[plugin_name]
                raise

    def unregister(self, name: str) -> None:
        """Remove a plugin registered from code, with everything it registered."""
        self.pm.unregister(name=name)
        self._infos.pop(name, None)
        self._registers.pop(name, None)
        self._backends = {k: r for k, r in self._backends.items() if r.plugin != name}
        self._providers = {k: r for k, r in self._providers.items() if r.plugin != name}
        self._criteria = {k: r for k, r in self._criteria.items() if r.plugin != name}
        self._signals = {k: r for k, r in self._signals.items() if r.plugin != name}

    def _impls_of(self, plugin_name: str, hook_name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook_name)
        return [i for i in caller.get_hookimpls() if i.plugin_name == plugin_name]

    def _collect(self, plugin_name: str, *, strict: bool) -> None:
        """Run one plugin's registration hooks, attributing what it registers to it.

        If a hook raises, whatever the plugin registered so far is taken back. Code that
        registers a plugin itself (``strict``) gets the error; a plugin found while loading
        is reported and skipped, except for a duplicate name, which is a conflict between
        two plugins that the user must settle.
        """
        saved = (
            self._schemas.snapshot(),
            dict(self._backends),
            dict(self._providers),
            dict(self._criteria),
            dict(self._signals),
        )
        try:
            self._run_registration_hooks(plugin_name)
        except Exception as err:
            schemas, self._backends, self._providers, self._criteria, self._signals = saved
            self._schemas.restore(schemas)
            self._registers.pop(plugin_name, None)
            if strict or isinstance(err, DuplicateRegistration):
                raise
            self.pm.unregister(name=plugin_name)
            message = f"{type(err).__name__}: {err}"
            source = self._infos[plugin_name].source
            log.warning("keyaccount plugin %r (%s) was skipped: %s", plugin_name, source, message)
            self._infos[plugin_name] = PluginInfo(plugin_name, source, "failed", error=message)

    def _run_registration_hooks(self, plugin_name: str) -> None:
        registers = self._registers.setdefault(plugin_name, [])

        def add(table: dict[str, Registration], what: str) -> Callable[..., None]:
            def register(name: str, factory: Any, *, description: str = "") -> None:
                if name in table:
                    raise DuplicateRegistration(what, name, table[name].plugin, plugin_name)
                table[name] = Registration(name, factory, plugin_name, description)
                registers.append(f"{what} {name}")

            return register

        def add_named(
            table: dict[str, Registration], what: str, expected: type[Any]
        ) -> Callable[[Any], None]:
            # Criteria and signals carry their own name; register(obj) files them under it.
            def register(obj: Any) -> None:
                if not isinstance(obj, expected):
                    raise PluginError(
                        f"plugin {plugin_name!r} registered {obj!r} as a {what}; "
                        f"expected a {expected.__name__}"
                    )
                name = obj.name
                if name in table:
                    raise DuplicateRegistration(what, name, table[name].plugin, plugin_name)
                table[name] = Registration(name, obj, plugin_name, getattr(obj, "label", ""))
                registers.append(f"{what} {name}")

            return register

        # Imported here: both modules import models and storage, which import nothing of the host.
        from keyaccount.lifecycle.signals import ChurnSignal
        from keyaccount.tiering.criteria import Criterion

        schema_register = self._schemas.registrar(plugin_name)

        def register_record(cls: type[Any], *, kind: str, **kw: Any) -> None:
            schema_register(cls, kind=kind, **kw)
            registers.append(f"record {kind}")

        calls: Mapping[str, Callable[..., None]] = {
            "register_record_types": register_record,
            "register_storage_backends": add(self._backends, "storage"),
            "register_crm_providers": add(self._providers, "crm"),
            "register_tier_criteria": add_named(self._criteria, "tier-criterion", Criterion),
            "register_churn_signals": add_named(self._signals, "churn-signal", ChurnSignal),
        }
        for hook_name, register in calls.items():
            for impl in self._impls_of(plugin_name, hook_name):
                kwargs = {"register": register}
                impl.function(*[kwargs[a] for a in impl.argnames])

    # -- typed hook facade ---------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, loaded or not, with what it registered."""
        self.load()
        return [
            attrs.evolve(info, registers=tuple(self._registers.get(info.name, ())))
            for info in self._infos.values()
        ]

    def record_types(self) -> SchemaRegistry:
        self.load()
        return self._schemas

    def storage_backends(self) -> dict[str, Registration]:
        self.load()
        return dict(self._backends)

    def crm_providers(self) -> dict[str, Registration]:
        self.load()
        return dict(self._providers)

    def tier_criteria(self) -> dict[str, Criterion]:
        """Tiering criteria plugins registered through ``register_tier_criteria``, by name."""
        self.load()
        return {name: reg.factory for name, reg in self._criteria.items()}

    def churn_signals(self) -> dict[str, ChurnSignal]:
        """Churn signals plugins registered through ``register_churn_signals``, by name."""
        self.load()
        return {name: reg.factory for name, reg in self._signals.items()}

    def open_store(self, url: str | None = None) -> Store:
        """Open the store at ``url`` (default: ``$KEYACCOUNT_STORE`` or ``sqlite:///keyaccount.db``)."""
        parsed = StoreURL.parse(url or os.environ.get(STORE_ENV) or DEFAULT_STORE_URL)
        backends = self.storage_backends()
        if parsed.scheme not in backends:
            known = ", ".join(sorted(backends)) or "none"
            raise UnknownStoreURL(
                f"no storage backend for {parsed.scheme!r} in {parsed.raw!r} (registered: {known})"
            )
        factory: StoreFactory = backends[parsed.scheme].factory
        return factory(parsed, self._schemas)

    def crm_provider(self, name: str, config: Mapping[str, str]) -> CrmProvider:
        providers = self.crm_providers()
        if name not in providers:
            known = ", ".join(sorted(providers)) or "none"
            raise PluginError(f"no CRM provider named {name!r} (registered: {known})")
        factory: CrmProviderFactory = providers[name].factory
        return factory(config)

    def emit(self, event: DomainEvent) -> None:
        """Call every ``on_domain_event`` implementation; one failing never stops the others."""
        self.load()
        for impl in reversed(self.pm.hook.on_domain_event.get_hookimpls()):
            kwargs = {"event": event}
            try:
                impl.function(*[kwargs[a] for a in impl.argnames])
            except Exception:
                log.exception(
                    "plugin %r failed handling domain event %s", impl.plugin_name, event.name
                )


_default_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host used by ``keyaccount.open_store`` and the CLI."""
    global _default_host
    if _default_host is None:
        _default_host = PluginHost()
    return _default_host


def open_store(url: str | None = None) -> Store:
    return get_host().open_store(url)
