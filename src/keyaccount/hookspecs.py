"""Every plugin hook keyaccount calls, in one place.

Plugins implement hooks with ``@keyaccount.hookimpl`` and may accept any subset of the
documented arguments (pluggy's opt-in arguments), so new arguments can be added to a hook
without breaking existing plugins. Hooks are never renamed or have arguments removed.

Built-in backends and providers are plugins too: they are registered through these same
hooks from ``keyaccount.host.DEFAULT_PLUGINS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from keyaccount.crm import RegisterCrmProvider
    from keyaccount.events import DomainEvent
    from keyaccount.lifecycle.signals import RegisterChurnSignal
    from keyaccount.schema import RegisterRecordType
    from keyaccount.storage import RegisterStorageBackend
    from keyaccount.tiering.criteria import RegisterTierCriterion

PROJECT = "keyaccount"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_record_types(register: RegisterRecordType) -> None:
    """Register record types (attrs classes) that storage backends must be able to hold.

    Fires once, when the plugin host first loads. Call
    ``register(cls, kind="tier_assignment", indexes=("customer_id",))`` for each type; ``kind``
    names the table or file, ``indexes`` the fields services filter on. Registering a ``kind``
    twice raises ``DuplicateRegistration``.

    :param register: callable ``register(cls, *, kind, indexes=(), labels=None)``.
    """


@hookspec
def register_storage_backends(register: RegisterStorageBackend) -> None:
    """Register storage backends by URL scheme.

    Fires once, when the plugin host first loads. Call ``register("memory", factory)`` where
    ``factory(url: StoreURL, schemas: SchemaRegistry) -> Store`` opens a store for a URL such
    as ``memory://`` or ``sqlite:///path.db``. A scheme registered twice raises
    ``DuplicateRegistration``.

    :param register: callable ``register(scheme, factory, *, description="")``.
    """


@hookspec
def register_crm_providers(register: RegisterCrmProvider) -> None:
    """Register CRM providers by name (``"zoho"``, ``"fxiaoke"``...).

    Fires once, when the plugin host first loads. Call ``register("zoho", factory)`` where
    ``factory(config: Mapping[str, str]) -> CrmProvider`` builds a connected provider from
    plain configuration values. A name registered twice raises ``DuplicateRegistration``.

    :param register: callable ``register(name, factory, *, description="")``.
    """


@hookspec
def on_domain_event(event: DomainEvent) -> None:
    """React to a domain event (tier changed, stage changed, churn warning, risk alert...).

    Fires every time a service announces an event, in the service's thread, after the change
    the event describes has been stored. Every implementation is called (not firstresult);
    an exception raised by one is logged and does not stop the others or the service.

    :param event: the ``DomainEvent``; ``event.name`` says what happened.
    """


@hookspec
def register_tier_criteria(register: RegisterTierCriterion) -> None:
    """Add criteria to the tiering score model (客户分级评分指标).

    Fires once, when the plugin host first loads (not firstresult: every plugin's criteria
    are collected). Call ``register(Criterion(name, label, measure, normaliser,
    default_weight, missing_score))`` for each criterion; ``measure(activity, ctx)`` returns
    the raw value of one customer (or ``None``) from its ``CustomerActivity`` and the
    ``ScoringContext``. ``ScoringModel.from_host(host)`` includes every registered criterion.
    A name registered twice, or clashing with a built-in criterion, raises
    ``DuplicateRegistration``; anything but a ``Criterion`` raises ``PluginError``.

    :param register: callable ``register(criterion)``.
    """


@hookspec
def register_churn_signals(register: RegisterChurnSignal) -> None:
    """Add churn early-warning signals (流失预警信号) to the health score.

    Fires once, when the plugin host first loads (not firstresult: every plugin's signals are
    collected). Call ``register(ChurnSignal(name, label, evaluate, action))`` for each
    signal; ``evaluate(activity, ctx)`` returns a ``SignalHit`` (with the health penalty,
    0–100) when the signal fires for a customer, else ``None``.
    ``ChurnModel.from_host(host)`` includes every registered signal. A name registered twice,
    or clashing with a built-in signal, raises ``DuplicateRegistration``; anything but a
    ``ChurnSignal`` raises ``PluginError``.

    :param register: callable ``register(signal)``.
    """
