"""Raises while being imported (not an ``ImportError``: a configuration read at import time).

Loaded as the entry point ``brokenimport`` in the tests.
"""

raise RuntimeError("BROKENIMPORT_REGION must be set before import")
