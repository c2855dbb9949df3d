"""How many invoices per second reach the provider through the outbox and the worker, against
a baseline that calls the plugin directly (no ledger, no queue), in the same run.

    .venv/bin/python bench/sync_throughput.py [--invoices 200] [--workers 2]

Uses the fake provider and its ledger over real HTTP on 127.0.0.1, Huey on SQLite and the
host's worker threads (``host.sync.worker.WorkerThread``). Prints the numbers; not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def build_app(folder: Path):
    import fakeledger
    from flask_migrate import upgrade

    from host import create_app

    app = create_app({
        "SECRET_KEY": "bench", "INSTANCE_DIR": str(folder),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'psa.sqlite3'}",
        "HUEY_BACKEND": "sqlite", "HUEY_SQLITE_PATH": str(folder / "huey.sqlite3"),
        "PSA_DISABLE_PLUGIN_AUTOLOAD": True, "PSA_PLUGINS": ["fakeprovider"],
        "FAKEPROVIDER_BASE_URL": fakeledger.serve(),
    })
    with app.app_context():
        upgrade(revision="heads")
    return app


def make_invoices(app, org, bu_index: int, count: int) -> list[int]:
    from host.extensions import db
    from host.models import Client, Project
    from host.services.invoicing import create_invoice

    with app.app_context():
        client = Client(organization_id=org.id, name=f"Bench client {bu_index}")
        project = Project(organization_id=org.id, client=client, name=f"Bench {bu_index}",
                          business_unit_id=org.business_unit_ids[bu_index])
        db.session.add_all([client, project])
        db.session.flush()
        ids = [create_invoice(project, [{"quantity": 1, "unit_price": Decimal("10.00"),
                                         "description": f"Line {i}"}]).id for i in range(count)]
        db.session.remove()
    return ids


def baseline(app, connection_id: int, invoice_ids: list[int]) -> float:
    """Direct dispatch: snapshot + plugin call per invoice, one after another."""
    from host.extensions import db
    from host.integrations.dispatch import call_owner
    from host.models import Connection, Invoice
    from host.services.snapshots import invoice_data

    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        start = time.perf_counter()
        for invoice_id in invoice_ids:
            data = invoice_data(db.session.get(Invoice, invoice_id))
            call_owner(connection, "on_invoice_sent", invoice=data,
                       idempotency_key=str(uuid.uuid4()))
        elapsed = time.perf_counter() - start
        db.session.remove()
    return elapsed


def through_queue(app, invoice_ids: list[int], workers: int) -> tuple[float, float]:
    """Send each invoice (outbox + commit + enqueue), let the worker push them all.
    Returns (seconds to send all, seconds until all synced)."""
    from host.extensions import db
    from host.models import Invoice, SyncRecord
    from host.services.invoicing import send_invoice
    from host.sync.worker import WorkerThread

    with app.app_context():
        start = time.perf_counter()
        with WorkerThread(app, workers=workers):
            for invoice_id in invoice_ids:
                send_invoice(db.session.get(Invoice, invoice_id))
            sent = time.perf_counter() - start
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                db.session.rollback()
                done = db.session.scalar(db.select(db.func.count()).select_from(SyncRecord)
                                         .where(SyncRecord.status == "synced",
                                                SyncRecord.object_id.in_(invoice_ids)))
                if done == len(invoice_ids):
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        db.session.remove()
    return sent, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import fakeledger

    from host.integrations.testing import create_org, make_connection

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        org = create_org(app, name="Bench Consulting")
        settings = {"default_item": "1"}
        direct_conn = make_connection(app, org.business_unit_ids[1], "fakeprovider",
                                      tokens=fakeledger.LEDGER.issue_tokens(), settings=settings)
        make_connection(app, org.business_unit_ids[0], "fakeprovider",
                        tokens=fakeledger.LEDGER.issue_tokens(), settings=settings)
        queued_ids = make_invoices(app, org, 0, args.invoices)
        direct_ids = make_invoices(app, org, 1, args.invoices)

        direct = baseline(app, direct_conn, direct_ids)
        sent, queued = through_queue(app, queued_ids, args.workers)
        pushed = len(fakeledger.LEDGER.invoices())

    n = args.invoices
    print(f"invoices per run:            {n}")
    print(f"baseline (direct dispatch):  {direct:7.2f} s  {n / direct:8.1f} invoices/s")
    print(f"outbox + worker ({args.workers} threads): {queued:7.2f} s  {n / queued:8.1f} "
          f"invoices/s (sending took {sent:.2f} s: {n / sent:.1f} sends/s in the web path)")
    print(f"overhead per invoice:        {(queued - direct) / n * 1000:7.1f} ms")
    print(f"invoices at the ledger:      {pushed} (expected {2 * n})")


if __name__ == "__main__":
    main()
