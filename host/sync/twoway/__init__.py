"""Two-way sync: customers, products and invoices that come in from the ledger.

The plugin lists and maps the ledger's records (``list_records``), declares its mappable fields
(``list_sync_fields``) and pushes host customers and products (``push_record``); this package
owns the rest, one concept per module:

* :mod:`~host.sync.twoway.conflicts` -- per-field fingerprints and who wins a conflict;
* the settings of each object, the import job and its progress, applying records to host
  clients, service types and invoices, Retry of waiting records, and the outbound pushes of
  customers and products (see each module's docstring).
"""
