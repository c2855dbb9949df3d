"""Domain services: every change of invoice, credit note and payment state goes through here.

Modules: ``totals`` (money arithmetic, pure), ``invoicing`` (create, edit, approve, send, void),
``payments`` (record, reverse), ``credit_notes`` (issue), ``snapshots`` (frozen contract
dataclasses for plugins), ``api_tokens``. Importing this package imports nothing else.
"""
