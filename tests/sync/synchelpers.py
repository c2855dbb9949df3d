"""Builders shared by the sync tests (imported by name; ``conftest.py`` adds this folder)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from host.extensions import db
from host.models import Client, Invoice, Project, SyncRecord


_projects = itertools.count(1)


def make_invoice(org, bu_index: int = 0, amount: str = "100.00", client_name: str = "Globex",
                 send: bool = False) -> Invoice:
    """A draft (or sent) invoice with one line of ``amount`` in the org's business unit."""
    from host.services.invoicing import create_invoice, send_invoice

    client = db.session.scalars(db.select(Client).filter_by(
        organization_id=org.id, name=client_name)).first()
    if client is None:
        client = Client(organization_id=org.id, name=client_name,
                        billing_email="ap@globex.test")
        db.session.add(client)
    project = Project(organization_id=org.id, client=client,
                      business_unit_id=org.business_unit_ids[bu_index],
                      name=f"Retainer {next(_projects)}")
    db.session.add(project)
    db.session.flush()
    invoice = create_invoice(project, [{"quantity": 1, "unit_price": Decimal(amount),
                                        "description": "Consulting"}])
    if send:
        send_invoice(invoice)
    return invoice


def records(object_type: str | None = None) -> list[SyncRecord]:
    query = db.select(SyncRecord).order_by(SyncRecord.id)
    if object_type:
        query = query.filter_by(object_type=object_type)
    return list(db.session.scalars(query))


def queued_record_ids(app) -> list[int]:
    """Record ids waiting in the (memory) Huey queue, without running them."""
    huey = app.extensions["psa_huey"]
    return [task.args[0] for task in huey.pending() if task.name.endswith("process_record")]


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def fresh_invoice(invoice_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id)
