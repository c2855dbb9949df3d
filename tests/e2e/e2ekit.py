"""The end-to-end harness: host server thread, worker process, HTTP user (imported by name)."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
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


@dataclass
class Tenant:
    org_id: int
    business_unit_id: int
    connection_id: int
    user: "User"


class User:
    """A logged-in browser-less user over real HTTP (cookies + CSRF from the page)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=20)

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


class E2E:
    def __init__(self, template_db: Path, folder: Path) -> None:
        import fakeledger

        self.folder = folder
        shutil.copyfile(template_db, folder / "psa.sqlite3")
        self.ledger_url = fakeledger.serve()
        self.config = {
            "TESTING": False,
            "SECRET_KEY": "e2e-secret",
            "INSTANCE_DIR": str(folder),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'psa.sqlite3'}",
            "HUEY_BACKEND": "sqlite",
            "HUEY_SQLITE_PATH": str(folder / "huey.sqlite3"),
            "PSA_DISABLE_PLUGIN_AUTOLOAD": True,
            "PSA_PLUGINS": ["fakeprovider"],
            "FAKEPROVIDER_BASE_URL": self.ledger_url,
            "SYNC_LEASE_SECONDS": 3,
            "SYNC_SWEEP_SECONDS": 1,
            "SYNC_STALE_PENDING_SECONDS": 2,
            "SYNC_BACKOFF_BASE_SECONDS": 3,
            "SYNC_BACKOFF_MAX_SECONDS": 10,
        }
        self.app = None
        self.server = None
        self.worker: WorkerProcess | None = None

    # -- processes --------------------------------------------------------------------------
    def worker_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PSA_")}
        env["PSA_INSTANCE_DIR"] = str(self.folder)
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
        for key, value in self.config.items():
            if key == "INSTANCE_DIR":
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = ",".join(value)
            env[f"PSA_{key}"] = str(value)
        return env

    def start(self) -> None:
        from host import create_app
        from host.sandbox_kit.serving import ServerThread

        self.app = create_app(dict(self.config))
        self.server = ServerThread(self.app).start()
        self.url = self.server.url
        self.start_worker()

    def start_worker(self) -> WorkerProcess:
        self.worker = WorkerProcess(self.worker_env(), self.folder / "worker.log").start()
        return self.worker

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()
        if self.server:
            self.server.stop()
        with self.app.app_context():
            from host.extensions import db

            db.session.remove()
            db.engine.dispose()

    def worker_log(self) -> str:
        path = self.folder / "worker.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- data ----------------------------------------------------------------------------------
    def user(self) -> User:
        return User(self.url)

    def new_connected_org(self) -> Tenant:
        """An organization whose first business unit connects to the fake ledger through the
        host's real OAuth and setup pages."""
        import fakeledger

        from host.integrations.testing import create_org

        n = next(_counter)
        org = create_org(self.app, name=f"Org{n} Consulting", admin_email=f"admin{n}@e2e.test",
                         member_email=f"member{n}@e2e.test")
        user = self.user().login(org.admin_email, org.password)
        bu = org.business_unit_ids[0]
        start = user.post_form(f"/settings/integrations?business_unit={bu}",
                               "/oauth/fakeprovider/start", {"business_unit": bu})
        assert start.status_code in (302, 303), start.text
        callback = httpx.URL(fakeledger.consent(start.headers["Location"]))
        done = user.http.get(f"{callback.path}?{callback.query.decode()}")
        assert done.status_code in (302, 303), done.text
        setup_path = done.headers["Location"]
        match = re.search(r"/connections/(\d+)/setup", setup_path)
        assert match, setup_path
        connection_id = int(match.group(1))
        finish = user.post_form(setup_path, setup_path, {"default_item": "1", "action": "finish"})
        assert finish.status_code in (302, 303), finish.text
        return Tenant(org.id, bu, connection_id, user)

    def draft_invoice(self, tenant: Tenant, amount: str = "100.00") -> int:
        from decimal import Decimal

        from host.extensions import db
        from host.models import Client, Project
        from host.services.invoicing import create_invoice

        with self.app.app_context():
            client = Client(organization_id=tenant.org_id, name=f"Client {next(_counter)}",
                            billing_email="ap@client.test")
            project = Project(organization_id=tenant.org_id, client=client,
                              business_unit_id=tenant.business_unit_id,
                              name=f"Retainer {next(_counter)}")
            db.session.add_all([client, project])
            db.session.flush()
            invoice = create_invoice(project, [{"quantity": 1, "unit_price": Decimal(amount),
                                                "description": "Consulting"}])
            invoice_id = invoice.id
            db.session.remove()
        return invoice_id

    def sync_row(self, invoice_id: int) -> dict | None:
        from host.extensions import db
        from host.models import SyncRecord

        with self.app.app_context():
            record = db.session.scalars(db.select(SyncRecord).filter_by(
                object_type="invoice", object_id=invoice_id)).first()
            row = None if record is None else {
                "id": record.id, "status": record.status, "attempts": record.attempts,
                "key": record.idempotency_key, "external_id": record.external_id,
                "events": [e.kind for e in record.events]}
            db.session.remove()
        return row

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
    fix = re.search(r'<p class="sync-error-fix"><em>Fix:</em> ([^<]*)</p>', html)
    return {"category": match.group(1), "message": message.group(1) if message else "",
            "fix": fix.group(1) if fix else ""}


def retry_action(html: str) -> str | None:
    match = re.search(r'<form method="post" action="(/sync/records/\d+/retry)"', html)
    return match.group(1) if match else None
