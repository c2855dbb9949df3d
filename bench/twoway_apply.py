"""The host's own cost of applying one page of the two-way import, without a provider.

    .venv/bin/python bench/twoway_apply.py                  # 3,000 host clients, 5 pages of 100
    .venv/bin/python bench/twoway_apply.py --existing 500 --pages 2 --profile 25

The import's speed is the slower of two things: the provider's answers (paced by its rate
limits) and the host applying each page (``apply_customers`` / ``apply_items`` /
``apply_invoices`` in one transaction). This measures only the second: a migrated SQLite
database holding ``--existing`` clients (and as many service types and imported invoices), then
pages of ``--page-size`` new customers, products and invoices (2-3 lines each, every third
paid) built as :mod:`host.contract.records` values and applied as the importer applies them
(``ImportRun``, fence, apply, cursor, commit), then the same pages again (records already
linked: the incremental pass's case).

Printed per object and pass: records, seconds, records/min and SQL statements per record
(counted on the engine). ``--profile N`` prints cProfile's top N functions of the last case.
Compare with what the limits allow: ``page_size`` records per request, so QuickBooks' 500
requests/min allow ~50,000 records/min and Xero's 60 ~6,000; a host slower than that is what
holds the import back.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _app(folder: Path):
    from flask_migrate import upgrade

    from host import create_app
    from host.integrations.testing import _config

    app = create_app(_config(folder, ("fakeprovider",)))
    with app.app_context():
        upgrade(revision="heads")
    return app


def _seed(app, existing: int):
    """An organization with ``existing`` clients, service types and imported invoices; a
    connected fake-provider connection with every object's direction "in". Returns its id."""
    from host.extensions import db
    from host.integrations.testing import create_org, make_connection
    from host.models import Client, Invoice, ServiceType
    from host.sync.twoway.settings import setting_for

    org = create_org(app)
    cid = make_connection(app, org.business_unit_ids[0], "fakeprovider",
                          settings={"default_item": "1"})
    with app.app_context():
        from host.models import Connection

        connection = db.session.get(Connection, cid)
        for object in ("customer", "item", "invoice"):
            setting_for(connection, object).direction = "in"
        db.session.add_all(Client(organization_id=org.id, name=f"Host client {i}",
                                  billing_email=f"host{i}@example.test", active=True)
                           for i in range(existing))
        db.session.add_all(ServiceType(organization_id=org.id, name=f"Host service {i}",
                                       sku=f"HS-{i}", active=True)
                           for i in range(existing))
        db.session.commit()
        client_id = db.session.scalars(db.select(Client.id).limit(1)).first()
        if existing and hasattr(Invoice, "source"):
            _seed_invoices(db, connection, client_id, existing)
        db.session.commit()
    return cid


def _seed_invoices(db, connection, client_id, n):
    from host.models import Invoice

    unit = connection.business_unit
    columns = {c.name for c in Invoice.__table__.columns}
    for i in range(n):
        values = dict(organization_id=unit.organization_id, business_unit_id=unit.id,
                      client_id=client_id, number=f"H-{i}", sequence=i + 1,
                      currency=unit.organization.currency, source="host")
        invoice = Invoice(**{k: v for k, v in values.items() if k in columns})
        for name in ("issue_date", "due_date"):
            if name in columns and getattr(invoice, name) is None:
                setattr(invoice, name, date(2026, 1, 1))
        db.session.add(invoice)


def customers(page: int, size: int):
    from host.contract.records import InboundCustomer

    return [InboundCustomer(external_id=f"C{page}-{i}", name=f"Ledger customer {page}-{i}",
                            billing_email=f"c{page}-{i}@ledger.test", tax_number="GB123",
                            version="1")
            for i in range(size)]


def items(page: int, size: int):
    from host.contract.records import InboundItem

    return [InboundItem(external_id=f"I{page}-{i}", name=f"Ledger product {page}-{i}",
                        sku=f"LP-{page}-{i}", unit_price=Decimal("12.50"),
                        description="A product", version="1")
            for i in range(size)]


def invoices(page: int, size: int):
    from host.contract.records import InboundInvoice, InboundLine
    from host.contract.types import PaymentAllocation, PaymentRecord

    out = []
    for i in range(size):
        lines = tuple(InboundLine(description=f"Line {n}", quantity=Decimal(2),
                                  unit_price=Decimal("12.50"), amount=Decimal("25.00"),
                                  item_external_id=f"I{page}-{(i + n) % size}")
                      for n in range(2 + i % 2))
        subtotal = sum((line.amount for line in lines), Decimal(0))
        paid = i % 3 == 0
        out.append(InboundInvoice(
            external_id=f"V{page}-{i}", number=f"L-{page}-{i}",
            customer_external_id=f"C{page}-{i}", currency="USD",
            issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1),
            status="paid" if paid else "open", lines=lines, subtotal=subtotal,
            tax_total=Decimal(0), total=subtotal, amount_due=Decimal(0) if paid else subtotal,
            version="1",
            payments=(PaymentRecord(
                external_id=f"P{page}-{i}", date=date(2026, 11, 2),
                allocations=(PaymentAllocation(f"V{page}-{i}", subtotal),)),) if paid else ()))
    return out


BUILD = {"customer": customers, "item": items, "invoice": invoices}


class StatementCounter:
    """Counts the SQL statements an engine executes."""

    def __init__(self, engine) -> None:
        import sqlalchemy as sa

        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *args) -> None:
        self.count += 1


def apply_pages(app, connection_id: int, object: str, pages: int, size: int, counter) -> tuple:
    """Apply ``pages`` pages of ``object`` as the importer does; (records, seconds,
    statements)."""
    from host.extensions import db
    from host.models import SyncObjectSetting
    from host.models.connection import Connection
    from host.sync.twoway import import_lease
    from host.sync.twoway.importer import APPLY
    from host.sync.twoway.run import ImportRun, default_fields
    from host.sync.twoway.settings import setting_for

    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        setting_id = setting_for(connection, object).id
        db.session.commit()
        token = import_lease.claim(setting_id, 300)
        declared = default_fields(object)
        run = None
        records = seconds = 0.0
        before = counter.count
        for page in range(pages):
            batch = BUILD[object](page, size)
            started = time.perf_counter()
            assert import_lease.fence(setting_id, token, 300)
            setting = db.session.get(SyncObjectSetting, setting_id)
            if run is None:
                run = ImportRun(setting.connection, setting, declared=declared)
            run.next_page(setting.connection, setting)
            APPLY[object](run, batch)
            setting.cursor = str(page)
            db.session.commit()
            seconds += time.perf_counter() - started
            records += len(batch)
        statements = counter.count - before
        import_lease.fence(setting_id, token, 0, release=True)
        db.session.commit()
        failed = db.session.get(SyncObjectSetting, setting_id).failed
        db.session.remove()
    return int(records), seconds, statements, failed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=3000,
                        help="clients, service types and invoices the host holds first")
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print cProfile's top N functions of applying the invoices")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="twoway-apply-"))
    try:
        app = _app(folder)
        connection_id = _seed(app, args.existing)
        with app.app_context():
            from host.extensions import db

            counter = StatementCounter(db.engine)
        print(f"host holds {args.existing} clients / service types / invoices; "
              f"pages of {args.page_size}")
        print(f"{'object':10} {'pass':12} {'records':>8} {'seconds':>8} {'rec/min':>9} "
              f"{'SQL/record':>10} {'failed':>6}")
        profiler = cProfile.Profile() if args.profile else None
        for label in ("new", "again"):
            for object in ("customer", "item", "invoice"):
                last = profiler is not None and object == "invoice" and label == "new"
                if last:
                    profiler.enable()
                n, seconds, statements, failed = apply_pages(
                    app, connection_id, object, args.pages, args.page_size, counter)
                if last:
                    profiler.disable()
                print(f"{object:10} {label:12} {n:8d} {seconds:8.2f} {n / seconds * 60:9.0f} "
                      f"{statements / n:10.1f} {failed:6d}")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
