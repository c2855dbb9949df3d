"""xero provider plugin for the PSA host."""

__version__ = "0.1.0"
