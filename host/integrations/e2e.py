"""End-to-end harness: the host over real HTTP, a real worker process, users without a browser.

Used by the host's ``tests/e2e`` and by provider plugins' end-to-end tests::

    from host.integrations.e2e import E2E, poll_for, provider_link

    env = E2E(psa_template_db(("quickbooks",)), tmp_path, plugins=("quickbooks",),
              config={"QUICKBOOKS_API_BASE_URL": sandbox.url, ...})
    env.start()                       # host in a thread on 127.0.0.1, `flask --app host worker`
    org = env.new_org()
    tenant = env.connect(org, "quickbooks", consent=my_consent, setup={"default_item": "2"})
    invoice_id = env.draft_invoice(tenant, lines=[...])
    tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r and r["status"] == "synced")
    env.stop()

The worker gets the same configuration through ``PSA_*`` environment variables; values must be
strings, numbers, booleans or lists of strings.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable

import httpx

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
_counter = itertools.count(1)


def poll(check, timeout: float = 45.0, interval: float = 0.1, what: str = "condition"):
    """Call ``check()`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def poll_for(fetch, predicate, timeout: float = 45.0, what: str = "condition"):
    """Fetch until ``predicate(value)`` holds; return that value."""
    box = {}

    def check():
        box["value"] = fetch()
        return predicate(box["value"])

    poll(check, timeout=timeout, what=what)
    return box["value"]


class WorkerProcess:
    """``flask --app host worker`` in its own process."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([FLASK, "--app", "host", "worker", "--workers", "2"],
                                     env=self.env, cwd=str(ROOT), stdout=self._log,
                                     stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown (a crashed machine)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()


class User:
    """A logged-in browser-less user over real HTTP (cookies + CSRF from the page)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    def login(self, email: str, password: str) -> "User":
        page = self.http.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = self.http.post("/login", data={"email": email, "password": password,
                                              "csrf_token": token})
        assert resp.status_code in (302, 303), resp.text
        return self

    def post_form(self, page_path: str, action: str, data: dict | None = None):
        token = self.csrf(page_path)
        return self.http.post(action, data={"csrf_token": token, **(data or {})})

    def page(self, path: str) -> str:
        resp = self.http.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        return resp.text


@dataclass
class Tenant:
    """An organization with one business unit connected to a provider, and its admin."""

    org_id: int
    business_unit_id: int
    connection_id: int
    user: User


def _env_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


class E2E:
    """Host + worker for one test module (see the module docstring)."""

    def __init__(self, template_db: Path, folder: Path, *, plugins: Iterable[str],
                 config: dict | None = None, pythonpath: Iterable[str] = ()) -> None:
        self.folder = Path(folder)
        shutil.copyfile(template_db, self.folder / "psa.sqlite3")
        self.pythonpath = [str(p) for p in pythonpath]
        self.config = {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret",
            "INSTANCE_DIR": str(self.folder),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.folder / 'psa.sqlite3'}",
            "HUEY_BACKEND": "sqlite",
            "HUEY_SQLITE_PATH": str(self.folder / "huey.sqlite3"),
            "PSA_DISABLE_PLUGIN_AUTOLOAD": True,
            "PSA_PLUGINS": list(plugins),
            "SYNC_LEASE_SECONDS": 3,
            "SYNC_SWEEP_SECONDS": 1,
            "SYNC_STALE_PENDING_SECONDS": 2,
            "SYNC_BACKOFF_BASE_SECONDS": 3,
            "SYNC_BACKOFF_MAX_SECONDS": 10,
            **(config or {}),
        }
        self.app = None
        self.server = None
        self.url = ""
        self.worker: WorkerProcess | None = None

    # -- processes --------------------------------------------------------------------------
    def worker_env(self) -> dict:
        from host.config import env_name

        env = {k: v for k, v in os.environ.items() if not k.startswith("PSA_")}
        env["PSA_INSTANCE_DIR"] = str(self.folder)
        env["PYTHONPATH"] = os.pathsep.join([*self.pythonpath, env.get("PYTHONPATH", "")])
        for key, value in self.config.items():
            if key != "INSTANCE_DIR":
                env[env_name(key)] = _env_value(value)
        return env

    def start(self, worker: bool = True) -> "E2E":
        from host import create_app
        from host.sandbox_kit.serving import ServerThread

        self.app = create_app(dict(self.config))
        self.server = ServerThread(self.app).start()
        self.url = self.server.url
        if worker:
            self.start_worker()
        return self

    def start_worker(self) -> WorkerProcess:
        self.worker = WorkerProcess(self.worker_env(), self.folder / "worker.log").start()
        return self.worker

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()
        if self.server:
            self.server.stop()
        if self.app is not None:
            with self.app.app_context():
                from host.extensions import db

                db.session.remove()
                db.engine.dispose()

    def worker_log(self) -> str:
        path = self.folder / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- people and connections ---------------------------------------------------------------
    def user(self) -> User:
        return User(self.url)

    def new_org(self, name: str | None = None):
        """A fresh organization (two business units, an admin, a member); returns the
        ``host.integrations.testing.OrgFixture``."""
        from host.integrations.testing import create_org

        n = next(_counter)
        return create_org(self.app, name=name or f"Org{n} Consulting",
                          admin_email=f"admin{n}@e2e.test", member_email=f"member{n}@e2e.test")

    def connect(self, org, provider_key: str, *, consent: Callable[[str], str],
                setup: dict | None = None, tenant_id: str | None = None,
                business_unit_id: int | None = None, user: User | None = None) -> Tenant:
        """Connect a business unit through the host's real pages: Connect, the provider's
        consent (``consent(authorize_url) -> callback_url``), the tenant picker when the grant
        reaches several (``tenant_id``), and the setup step finished with ``setup`` values."""
        user = user or self.user().login(org.admin_email, org.password)
        bu = business_unit_id or org.business_unit_ids[0]
        start = user.post_form(f"/settings/integrations?business_unit={bu}",
                               f"/oauth/{provider_key}/start", {"business_unit": bu})
        assert start.status_code in (302, 303), start.text
        callback = httpx.URL(consent(start.headers["Location"]))
        done = user.http.get(f"{callback.path}?{callback.query.decode()}")
        if done.status_code == 200 and "/tenant/" in done.text:
            action = re.search(r'action="([^"]*/tenant/\d+)"', done.text).group(1)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', done.text).group(1)
            offered = re.findall(r'name="tenant" value="([^"]+)"', done.text)
            assert tenant_id in offered, (tenant_id, offered)
            done = user.http.post(action, data={"csrf_token": token, "tenant": tenant_id})
        assert done.status_code in (302, 303), done.text
        setup_path = done.headers["Location"]
        match = re.search(r"/connections/(\d+)/setup", setup_path)
        assert match, setup_path
        finish = user.post_form(setup_path, setup_path, {**(setup or {}), "action": "finish"})
        assert finish.status_code in (302, 303), finish.text
        return Tenant(org.id, bu, int(match.group(1)), user)

    # -- data ----------------------------------------------------------------------------------
    def draft_invoice(self, tenant: Tenant, lines: list[dict] | None = None, *,
                      amount: str = "100.00", client: dict | None = None,
                      project: dict | None = None) -> int:
        """A draft invoice for a new client and project of ``tenant``'s business unit.

        ``lines`` are ``host.services.invoicing.create_invoice`` line dicts (default: one
        "Consulting" line of ``amount``); ``client`` / ``project`` override their columns.
        """
        from host.extensions import db
        from host.models import Client, Project
        from host.services.invoicing import create_invoice

        n = next(_counter)
        with self.app.app_context():
            row = Client(**{"organization_id": tenant.org_id, "name": f"Client {n}",
                            "billing_email": "ap@client.test", **(client or {})})
            proj = Project(**{"organization_id": tenant.org_id, "client": row,
                              "business_unit_id": tenant.business_unit_id,
                              "name": f"Retainer {n}", **(project or {})})
            db.session.add_all([row, proj])
            db.session.flush()
            invoice = create_invoice(proj, lines or [{"quantity": 1,
                                                      "unit_price": Decimal(amount),
                                                      "description": "Consulting"}])
            invoice_id = invoice.id
            db.session.remove()
        return invoice_id

    def sync_row(self, object_id: int, object_type: str = "invoice",
                 operation: str | None = None):
        """The newest sync record of a host object (``operation``: create, void ...) as a
        dict, or None."""
        from host.extensions import db
        from host.models import SyncRecord

        with self.app.app_context():
            query = db.select(SyncRecord).filter_by(object_type=object_type, object_id=object_id)
            if operation:
                query = query.filter_by(operation=operation)
            record = db.session.scalars(query.order_by(SyncRecord.id.desc())).first()
            row = None if record is None else {
                "id": record.id, "status": record.status, "attempts": record.attempts,
                "key": record.idempotency_key, "external_id": record.external_id,
                "operation": record.operation, "number": record.number,
                "deep_link": record.deep_link, "note": record.note,
                "error_category": record.error_category, "events": [e.kind for e in record.events]}
            db.session.remove()
        return row

    # -- what a user does on the invoice pages -----------------------------------------------
    def press_send(self, tenant: Tenant, invoice_id: int) -> None:
        """The invoice page's ``#send-invoice`` button ("Send", or "Send again" once sent)."""
        assert 'id="send-invoice"' in tenant.user.page(f"/invoices/{invoice_id}")
        resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
        assert resp.status_code in (302, 303), resp.text

    def edit_invoice(self, tenant: Tenant, invoice_id: int, changes: dict | None = None,
                     new_line: dict | None = None, issue_date: str | None = None) -> None:
        """Edit through the host's ``/invoices/<id>/edit`` form: ``changes`` = {line position:
        {field: value}} (description, quantity, unit_price, discount); ``new_line`` = the
        form's extra line (``{"description": ..., "quantity": ..., ...}``)."""
        page = tenant.user.page(f"/invoices/{invoice_id}/edit")
        line_ids = list(dict.fromkeys(re.findall(r'name="description-(\d+)"', page)))
        data = {"issue_date": issue_date or re.search(
            r'name="issue_date"[^>]*value="([^"]+)"', page).group(1)}
        for pos, line_id in enumerate(line_ids):
            for field in ("description", "quantity", "unit_price", "discount"):
                value = re.search(rf'name="{field}-{line_id}" value="([^"]*)"', page).group(1)
                data[f"{field}-{line_id}"] = (changes or {}).get(pos, {}).get(
                    field, html.unescape(value))
        for field, value in (new_line or {}).items():
            data[f"new-{field}"] = value
        resp = tenant.user.post_form(f"/invoices/{invoice_id}/edit",
                                     f"/invoices/{invoice_id}/edit", data)
        assert resp.status_code in (302, 303), resp.text[-2000:]

    def record_payment(self, tenant: Tenant, invoice_id: int, amount: str, day: str,
                       reference: str = "") -> int:
        """Record a payment on the invoice page's form (what a user types in the host);
        returns the new host payment's id."""
        from host.extensions import db
        from host.models import Payment

        with self.app.app_context():
            known = set(db.session.scalars(db.select(Payment.id).filter_by(
                invoice_id=invoice_id)))
            db.session.remove()
        resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/payments",
                                     {"amount": amount, "date": day, "reference": reference})
        assert resp.status_code in (302, 303), resp.text[-2000:]
        with self.app.app_context():
            (payment_id,) = set(db.session.scalars(db.select(Payment.id).filter_by(
                invoice_id=invoice_id))) - known
            db.session.remove()
        return payment_id

    def wait_record(self, object_id: int, object_type: str = "invoice", *,
                    after: str | None = None, status: tuple[str, ...] | None = ("synced",),
                    timeout: float = 60.0) -> dict:
        """The newest sync record of the object once it settled (synced or failed) with an
        idempotency key other than ``after`` (a previous operation's); asserts its status is
        in ``status`` (None: either). Timeouts and surprises show the record and the worker
        log."""
        def settled(row):
            return row and row["status"] in ("synced", "failed") and row["key"] != after

        try:
            row = poll_for(lambda: self.sync_row(object_id, object_type), settled,
                           timeout=timeout, what=f"the {object_type} record settled")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; record {self.sync_row(object_id, object_type)}; "
                                 f"worker log {self.worker_log()[-3000:]}") from None
        assert status is None or row["status"] in status, (row, self.worker_log()[-3000:])
        return row

    def send_and_wait(self, tenant: Tenant, invoice_id: int, **wait) -> dict:
        """Press Send and wait for the push to settle (see :meth:`wait_record`)."""
        before = self.sync_row(invoice_id)
        self.press_send(tenant, invoice_id)
        return self.wait_record(invoice_id, after=before["key"] if before else None, **wait)

    def reconcile(self, connection_id: int, timeout: float = 60.0) -> None:
        """Queue one reconciliation pass (the periodic job) and wait until the worker ran
        it: a pass that asked the provider after this call (``reconciled_at``; a pass already
        running, or a webhook applied meanwhile, does not count). A failed pass raises with the
        reason the Manage page shows."""
        from host.extensions import db
        from host.models import Connection
        from host.models.mixins import utcnow
        from host.sync.queue import task

        def state():
            with self.app.app_context():
                row = db.session.get(Connection, connection_id)
                found = (row.reconciled_at, row.reconcile_error)
                db.session.remove()
            return found

        requested = utcnow()
        with self.app.app_context():
            db.session.get(Connection, connection_id).reconcile_error = None
            db.session.commit()
            task("reconcile_connection")(connection_id)
            db.session.remove()

        def done():
            reconciled_at, error = state()
            return (reconciled_at is not None and reconciled_at >= requested) or error

        poll(done, timeout=timeout, what="the reconciliation pass")
        assert not state()[1], f"the reconciliation pass failed: {state()[1]}"

    # -- what the host recorded -----------------------------------------------------------------
    def invoice_facts(self, invoice_id: int) -> dict:
        """number, status, issue/due date, total, tax, paid and balance of a host invoice."""
        from host.extensions import db
        from host.models import Invoice

        with self.app.app_context():
            inv = db.session.get(Invoice, invoice_id)
            facts = {"number": inv.number, "status": inv.status, "issue_date": inv.issue_date,
                     "due_date": inv.due_date, "total": inv.total, "tax_total": inv.tax_total,
                     "amount_paid": inv.amount_paid, "balance": inv.balance}
            db.session.remove()
        return facts

    def host_payments(self, invoice_id: int) -> list[tuple]:
        """(source, amount, external id, status) of the invoice's payments, oldest first."""
        from host.extensions import db
        from host.models import Payment

        with self.app.app_context():
            rows = [(p.source, p.amount, p.external_id, p.status) for p in db.session.scalars(
                db.select(Payment).filter_by(invoice_id=invoice_id).order_by(Payment.id))]
            db.session.remove()
        return rows

    def deliveries(self) -> list[tuple]:
        """(id, status, error) of every stored webhook delivery, oldest first."""
        from host.extensions import db
        from host.models import WebhookDelivery

        with self.app.app_context():
            rows = [(d.id, d.status, d.error) for d in db.session.scalars(
                db.select(WebhookDelivery).order_by(WebhookDelivery.id))]
            db.session.remove()
        return rows

    def all_deliveries_processed(self, at_least: int) -> bool:
        rows = self.deliveries()
        return len(rows) >= at_least and all(status == "processed" for _, status, _ in rows)

    def settle_deliveries(self, sandbox_url: str, timeout: float = 60.0) -> list[tuple]:
        """Wait until the provider sandbox at ``sandbox_url`` has delivered every webhook it
        holds and the worker finished every delivery the host stored (processed, failed or
        held); returns them as :meth:`deliveries` does.

        The host's table alone cannot tell: the sandbox sends deliveries one at a time from a
        background thread, so the delivery of an earlier change (a push's own notifications, a
        payment) may still be buffered or on its way while every stored one is processed, and
        be stored after a test counted. The sandbox's control API delivers what it holds now
        (``POST /_sandbox/webhooks/flush``: batch windows and retry delays ignored) until
        nothing is pending; a delivery answered 2xx is stored, so after that only a new change
        at the provider adds one."""
        def delivered():
            sent = httpx.post(f"{sandbox_url}/_sandbox/webhooks/flush", timeout=timeout)
            sent.raise_for_status()
            return not any(d["status"] == "pending" for d in sent.json()["deliveries"])

        poll(delivered, timeout=timeout, interval=0.5, what="the sandbox's webhooks delivered")
        return poll_for(self.deliveries, lambda rows: all(
            status not in ("received", "processing") for _, status, _ in rows),
            timeout=timeout, what="every stored delivery finished")

    def add_tax_rate(self, tenant: Tenant, name: str, rate: str) -> int:
        """A tax rate of the tenant's organization (percent as text, ``"8.875"``)."""
        from host.extensions import db
        from host.models import TaxRate

        with self.app.app_context():
            row = TaxRate(organization_id=tenant.org_id, name=name, rate=Decimal(rate))
            db.session.add(row)
            db.session.commit()
            rate_id = row.id
            db.session.remove()
        return rate_id

    def delivery_count(self) -> int:
        from host.extensions import db
        from host.models import WebhookDelivery

        with self.app.app_context():
            count = db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery))
            db.session.remove()
        return count


# -- reading pages ------------------------------------------------------------------------------


def sync_status(html: str) -> str | None:
    match = re.search(r'class="badge sync-status[^"]*" data-status="([a-z_]+)"', html)
    return match.group(1) if match else None


def invoice_status(html: str) -> str | None:
    match = re.search(r'class="badge invoice-status[^"]*" data-status="([a-z_]+)"', html)
    return match.group(1) if match else None


def provider_link(html: str) -> tuple[str, str, str] | None:
    """(href, target, text) of the provider number link."""
    match = re.search(r'<a class="provider-number" href="([^"]+)" target="([^"]+)"[^>]*>([^<]+)</a>',
                      html)
    return match.groups() if match else None


def sync_error(html: str) -> dict | None:
    match = re.search(r'<div class="sync-error" data-category="([a-z_]+)"', html)
    if not match:
        return None
    message = re.search(r'<span class="sync-error-message">([^<]*)</span>', html)
    fix = re.search(r'<p class="sync-error-fix"><em>Fix:</em> (.*?)</p>', html, re.S)
    return {"category": match.group(1), "message": message.group(1) if message else "",
            "fix": re.sub(r"<[^>]+>", "", fix.group(1)) if fix else ""}  # text, without links


def retry_action(html: str) -> str | None:
    match = re.search(r'<form method="post" action="(/sync/records/\d+/retry)"', html)
    return match.group(1) if match else None


def reconciliation_previews(html: str, kind: str) -> dict[str, tuple[str, str]]:
    """{host name: (outcome, provider cell text)} of one table (``client``, ``service_type``)
    of the reconciliation pass page."""
    section = re.search(rf'<section class="card" id="preview-{kind}">(.*?)</section>', html,
                        re.S).group(1)
    rows = re.findall(r'<tr class="preview outcome-([a-z]+)" data-host-id="\d+">\s*<td>([^<]*)'
                      r'</td>.*?</td>\s*<td>(.*?)</td>', section, re.S)
    return {name.strip(): (outcome, re.sub(r"\s+", " ", cell).strip())
            for outcome, name, cell in rows}
