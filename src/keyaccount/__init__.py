"""keyaccount: key-account (大客户) relationship management for Python applications."""

from keyaccount.clock import Clock, FixedClock, SystemClock
from keyaccount.events import DomainEvent
from keyaccount.hookspecs import hookimpl
from keyaccount.host import PluginHost, get_host, open_store
from keyaccount.money import Money

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "DomainEvent",
    "FixedClock",
    "Money",
    "PluginHost",
    "SystemClock",
    "__version__",
    "get_host",
    "hookimpl",
    "open_store",
]
