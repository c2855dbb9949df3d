"""pytest plugin (``pytest11`` entry point ``psa``): fixtures for host and provider-plugin tests.

Filled in by the host's integration work; see docs/plugin-authors.md.
"""
