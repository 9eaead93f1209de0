from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import keyaccount
from keyaccount.cli import main
from keyaccount.errors import DuplicateRegistration, PluginError, UnknownStoreURL
from keyaccount.events import DomainEvent
from keyaccount.host import DEFAULT_PLUGINS, PluginHost

Install = Callable[[str, str, str], None]
EVENT = DomainEvent("tier.changed", datetime(2026, 1, 1, tzinfo=UTC), "c1", {"to": "A"})


def names(host: PluginHost) -> dict[str, str]:
    return {p.name: p.status for p in host.plugins()}


def test_built_in_backends_are_plugins_registered_through_the_hook(host: PluginHost) -> None:
    backends = host.storage_backends()
    assert {"memory", "csv", "sqlite"} <= set(backends)
    assert backends["memory"].plugin == "memory"
    loaded = names(host)
    assert all(loaded[name] == "loaded" for name in ("core_records", "memory", "csv", "sqlite"))
    assert len(DEFAULT_PLUGINS) == len(
        [p for p in host.plugins() if p.source.startswith("built-in")]
    )


def test_loading_is_lazy_and_idempotent() -> None:
    h = PluginHost(load_entry_points=False)
    assert h.pm.get_plugins() == set()
    h.load()
    count = len(h.pm.get_plugins())
    h.load()
    assert len(h.pm.get_plugins()) == count


def test_external_plugin_is_discovered_from_its_entry_point(install_plugin: Install) -> None:
    install_plugin("keyaccount-example", "example", "keyaccount_example")
    h = PluginHost()
    info = {p.name: p for p in h.plugins()}["example"]
    assert info.status == "loaded"
    assert info.source == "entry point (keyaccount-example 1.0)"
    assert set(info.registers) == {"record call_note", "storage example"}
    store = h.open_store("example://")
    assert type(store).__name__ == "ExampleStore"


def test_broken_plugin_is_reported_and_skipped(
    install_plugin: Install, caplog: pytest.LogCaptureFixture
) -> None:
    install_plugin("keyaccount-broken", "broken", "keyaccount_broken")
    install_plugin("keyaccount-example", "example", "keyaccount_example")
    with caplog.at_level(logging.WARNING, logger="keyaccount.plugins"):
        h = PluginHost()
        status = names(h)
    assert status["broken"] == "failed"
    assert status["example"] == "loaded"
    assert "sqlite" in h.storage_backends()
    failed = {p.name: p for p in h.plugins()}["broken"]
    assert (
        failed.error is not None and "keyaccount_dependency_that_is_not_installed" in failed.error
    )
    assert "'broken'" in caplog.text and "skipped" in caplog.text


def test_plugin_with_unknown_hook_is_rejected(install_plugin: Install) -> None:
    install_plugin("keyaccount-typo", "typo", "keyaccount_typo")
    h = PluginHost()
    info = {p.name: p for p in h.plugins()}["typo"]
    assert info.status == "failed"
    assert "register_storage_backend" in (info.error or "")
    assert "typo" not in h.storage_backends()


def test_env_var_blocks_named_plugins(
    install_plugin: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin("keyaccount-example", "example", "keyaccount_example")
    monkeypatch.setenv("KEYACCOUNT_DISABLE_PLUGINS", "example, csv")
    h = PluginHost()
    status = names(h)
    assert status["example"] == "blocked"
    assert status["csv"] == "blocked"
    assert "csv" not in h.storage_backends()
    with pytest.raises(UnknownStoreURL, match="no storage backend for 'csv'"):
        h.open_store("csv:///tmp/x")


def test_allow_list_env_var_limits_external_plugins(
    install_plugin: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin("keyaccount-example", "example", "keyaccount_example")
    monkeypatch.setenv("KEYACCOUNT_LOAD_PLUGINS", "")
    assert "example" not in names(PluginHost())
    monkeypatch.setenv("KEYACCOUNT_LOAD_PLUGINS", "example")
    assert names(PluginHost())["example"] == "loaded"


def test_duplicate_registration_is_a_clear_error(host: PluginHost) -> None:
    class Again:
        @keyaccount.hookimpl
        def register_storage_backends(self, register: Any) -> None:
            register("memory", lambda url, schemas: None)

    with pytest.raises(
        DuplicateRegistration,
        match="storage 'memory' is registered twice: first by memory, again by again",
    ):
        host.register(Again(), name="again")


def test_unknown_store_scheme_lists_the_known_ones(host: PluginHost) -> None:
    with pytest.raises(UnknownStoreURL, match=r"registered: csv, memory, sqlite"):
        host.open_store("postgres://db")
    with pytest.raises(UnknownStoreURL, match="has no scheme"):
        host.open_store("just-a-path.db")


def test_unknown_crm_provider_is_a_clear_error(host: PluginHost) -> None:
    with pytest.raises(PluginError, match="no CRM provider named 'nope'"):
        host.crm_provider("nope", {})


# -- one test per hook (tests/plugins/test_hook_coverage.py checks these names exist) ---------


def test_hook_register_record_types(host: PluginHost) -> None:
    @keyaccount.hookimpl
    def register_record_types(register: Any) -> None:
        from tests.plugins.fixtures.example.keyaccount_example import CallNote

        register(CallNote, kind="call_note", indexes=("customer_id",))

    class P:
        pass

    plugin = P()
    plugin.register_record_types = register_record_types  # type: ignore[attr-defined]
    host.register(plugin, name="notes")
    assert "call_note" in host.record_types()
    store = host.open_store("memory://")
    from tests.plugins.fixtures.example.keyaccount_example import CallNote

    store.put(CallNote("n1", "c1", datetime(2026, 1, 1, tzinfo=UTC), "回访"))
    assert store.get(CallNote, "n1").text == "回访"


def test_hook_register_storage_backends(host: PluginHost) -> None:
    from keyaccount.plugins.memory import MemoryStore

    class Backend:
        @keyaccount.hookimpl
        def register_storage_backends(self, register: Any) -> None:
            register("scratch", lambda url, schemas: MemoryStore(schemas, url.raw), description="x")

    host.register(Backend(), name="scratch-plugin")
    assert host.storage_backends()["scratch"].description == "x"
    assert host.open_store("scratch://").url == "scratch://"
    host.unregister("scratch-plugin")
    assert "scratch" not in host.storage_backends()


def test_hook_register_crm_providers(host: PluginHost) -> None:
    seen: list[dict[str, str]] = []

    class Provider:
        name = "inhouse"

    class Plugin:
        @keyaccount.hookimpl
        def register_crm_providers(self, register: Any) -> None:
            def factory(config: Any) -> Any:
                seen.append(dict(config))
                return Provider()

            register("inhouse", factory)

    host.register(Plugin(), name="inhouse-plugin")
    provider = host.crm_provider("inhouse", {"url": "https://crm.internal"})
    assert provider.name == "inhouse"
    assert seen == [{"url": "https://crm.internal"}]


def test_hook_on_domain_event(host: PluginHost, caplog: pytest.LogCaptureFixture) -> None:
    got: list[str] = []

    class Failing:
        @keyaccount.hookimpl
        def on_domain_event(self, event: DomainEvent) -> None:
            raise RuntimeError("notifier down")

    class Listening:
        @keyaccount.hookimpl
        def on_domain_event(self, event: DomainEvent) -> None:
            got.append(event.name)

    host.register(Listening(), name="listening")
    host.register(Failing(), name="failing")
    with caplog.at_level(logging.ERROR, logger="keyaccount.plugins"):
        host.emit(EVENT)
    assert got == ["tier.changed"]
    assert "'failing' failed handling domain event tier.changed" in caplog.text


def test_plugins_command_lists_what_each_plugin_registers(
    capsys: pytest.CaptureFixture[str], install_plugin: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin("keyaccount-broken", "broken", "keyaccount_broken")
    monkeypatch.setattr("keyaccount.host._default_host", None)
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "memory" in out and "storage memory" in out
    assert "record customer" in out
    assert "broken" in out and "failed" in out and "ModuleNotFoundError" in out
    monkeypatch.setattr("keyaccount.host._default_host", None)
    assert main(["plugins", "--json"]) == 0
    assert '"status": "loaded"' in capsys.readouterr().out


def test_plugin_failing_inside_a_hook_is_skipped_and_its_registrations_undone(
    install_plugin: Install, caplog: pytest.LogCaptureFixture
) -> None:
    install_plugin("keyaccount-halfway", "halfway", "keyaccount_halfway")
    install_plugin("keyaccount-example", "example", "keyaccount_example")
    with caplog.at_level(logging.WARNING, logger="keyaccount.plugins"):
        h = PluginHost()
        info = {p.name: p for p in h.plugins()}
    assert info["halfway"].status == "failed"
    assert info["halfway"].error == "RuntimeError: configuration file missing"
    assert info["halfway"].registers == ()
    assert "halfway" not in h.storage_backends()
    assert info["example"].status == "loaded"
    assert "'halfway'" in caplog.text


def test_plugin_registered_in_code_that_fails_raises_and_leaves_nothing(host: PluginHost) -> None:
    class Halfway:
        @keyaccount.hookimpl
        def register_storage_backends(self, register: Any) -> None:
            register("scratch", lambda url, schemas: None)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        host.register(Halfway(), name="halfway")
    assert "scratch" not in host.storage_backends()
    assert "halfway" not in {p.name for p in host.plugins()}
