"""Host records linked to what the provider holds, the way the worker leaves them.

The inbound scenarios apply a plugin's :class:`ChangeSet` through the host's own inbound path
(:func:`host.sync.inbound.apply_changes`), which finds host invoices through their synced
records. :func:`synced_invoice` writes what a successful push leaves behind: a sent host
invoice in ``connection``'s business unit and its ``synced`` record carrying the provider's id.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

_projects = itertools.count(1)


def synced_invoice(connection, sample_invoice, external_id: str):
    """A sent host invoice of ``sample_invoice``'s total, synced as ``external_id``."""
    from host.extensions import db
    from host.models import BusinessUnit, Client, Project
    from host.services.invoicing import create_invoice, send_invoice
    from host.sync.outbox import find_record

    unit = db.session.get(BusinessUnit, connection.business_unit_id)
    client = Client(organization_id=unit.organization_id, name=sample_invoice.client.name,
                    billing_email=sample_invoice.client.billing_email or "")
    project = Project(organization_id=unit.organization_id, client=client,
                      business_unit_id=unit.id,
                      name=f"Contract suite {next(_projects)}")
    db.session.add_all([client, project])
    db.session.flush()
    invoice = create_invoice(project, [{"quantity": 1, "unit_price": Decimal(sample_invoice.total),
                                        "description": "Contract suite"}])
    send_invoice(invoice)  # the outbox writes the pending record, as for any sent invoice
    record = find_record(connection.id, "invoice", invoice.id)
    assert record is not None, "the host wrote no sync record for the connection (is it active?)"
    record.status = "synced"
    record.external_id = external_id
    db.session.commit()
    return invoice


def provider_payments(invoice) -> list:
    """The host payments on ``invoice`` that came from the provider (still recorded)."""
    from host.extensions import db

    db.session.refresh(invoice)
    return [p for p in invoice.payments if p.source == "provider" and p.status == "recorded"]
