"""Test support shipped to users and plugin authors: conformance suites, fixtures, fakes.

The fixtures in ``keyaccount.testing.pytest_plugin`` are available in any project that has
keyaccount installed (it is registered under the ``pytest11`` entry point).
``keyaccount.testing.fake_zoho.FakeZoho`` is a loopback fake of Zoho CRM (fixture ``fake_zoho``).
``keyaccount.testing.storage.StorageConformance`` is the test class every storage backend
subclasses to prove it behaves like the built-in ones (see ``docs/storage.md``).
"""
