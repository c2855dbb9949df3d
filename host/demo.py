"""One-command demo: migrate, seed, both sandboxes, the worker and the host, on 127.0.0.1.

``flask --app host demo`` (README command 1). The host's provider configuration points at
the sandboxes (the ``QUICKBOOKS_*`` / ``XERO_*`` keys), the sandboxes' webhooks point at the
host, and everything stops on Ctrl-C. State lives in the instance folder (``var/`` or
``PSA_INSTANCE_DIR``): the host database, the Huey queue, each sandbox's SQLite file and the
instance's ``SECRET_KEY`` (generated once, ``host.security.secret_key``; the CLI needs
``PSA_DEMO=1`` to load the app without ``PSA_SECRET_KEY``, which ``scripts/demo.sh`` sets).

The log is quiet (warnings and errors; ``--verbose`` adds every request and job) and ends with
what to do first (:func:`first_steps`).
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

QBO_VERIFIER_TOKEN = "demo-qbo-verifier-token"
XERO_WEBHOOK_KEY = "demo-xero-webhook-key"


@dataclass(frozen=True)
class Ports:
    bind: str = "127.0.0.1"
    host: int = 5000
    quickbooks: int = 5001
    xero: int = 5002

    def url(self, port: int) -> str:
        return f"http://{self.bind}:{port}"


def provider_config(ports: Ports) -> dict:
    """The host keys that point both plugins at the sandboxes (TEAM.md interface)."""
    from psa_quickbooks.sandbox import DEMO_CLIENT_ID as QBO_ID, DEMO_CLIENT_SECRET as QBO_SECRET
    from psa_xero.sandbox import DEMO_CLIENT_ID as XERO_ID, DEMO_CLIENT_SECRET as XERO_SECRET

    qbo, xero = ports.url(ports.quickbooks), ports.url(ports.xero)
    return {
        "PSA_BASE_URL": ports.url(ports.host),
        "QUICKBOOKS_CLIENT_ID": QBO_ID,
        "QUICKBOOKS_CLIENT_SECRET": QBO_SECRET,
        "QUICKBOOKS_AUTH_BASE_URL": qbo,
        "QUICKBOOKS_API_BASE_URL": qbo,
        "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": QBO_VERIFIER_TOKEN,
        "QUICKBOOKS_APP_BASE_URL": qbo,
        "XERO_CLIENT_ID": XERO_ID,
        "XERO_CLIENT_SECRET": XERO_SECRET,
        "XERO_LOGIN_BASE_URL": xero,
        "XERO_IDENTITY_BASE_URL": xero,
        "XERO_API_BASE_URL": xero,
        "XERO_WEBHOOK_KEY": XERO_WEBHOOK_KEY,
        "XERO_APP_BASE_URL": xero,
    }


def build_sandboxes(instance_dir: Path, ports: Ports, host_url: str | None):
    """Both sandbox apps, persisting beside the host database; webhooks aimed at the host."""
    from psa_quickbooks.sandbox import DEMO_CLIENT_ID as QBO_ID
    from psa_quickbooks.sandbox import create_app as qbo_app
    from psa_xero.sandbox import create_app as xero_app

    qbo_config = {"SANDBOX_DB_PATH": str(instance_dir / "qbo-sandbox.sqlite3")}
    if host_url:
        qbo_config["QBO_WEBHOOKS"] = {QBO_ID: {
            "url": f"{host_url}/webhooks/quickbooks", "verifier_token": QBO_VERIFIER_TOKEN,
            "format": "legacy"}}
    qbo = qbo_app(qbo_config)
    xero = xero_app({"SANDBOX_DB_PATH": str(instance_dir / "xero-sandbox.sqlite3")})
    return qbo, xero


def aim_xero_webhook(xero: Flask, host_url: str) -> str:
    """Point the Xero sandbox's webhook at the host (runs Xero's intent-to-receive check)."""
    try:
        info = xero.extensions["xero_sandbox"].configure_webhook(
            f"{host_url}/webhooks/xero", XERO_WEBHOOK_KEY)
    except Exception as exc:  # noqa: BLE001 - the demo still runs without Xero webhooks
        return f"not configured ({type(exc).__name__}: {exc})"
    itr = info.get("itr") or {}
    if itr.get("passed"):
        return "intent-to-receive check passed"
    codes = [p.get("status_code") for p in itr.get("probes", [])]
    return f"intent-to-receive check FAILED (answers {codes}; is the Xero plugin installed?)"


def migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision="heads")


def seed_and_describe(app: Flask) -> str:
    """Seed the demo data (idempotent, ``host.seed.seed_demo``); return what to print."""
    from host.seed import seed_demo

    return describe_seed(seed_demo(app))


def describe_seed(result: dict) -> str:
    units = ", ".join(result.get("business_units", {}))
    return "\n".join([
        f"Organization:       {result.get('organization')} (business units: {units})",
        f"Admin login:        {result.get('admin_email')} / {result.get('password')}",
        f"Member login:       {result.get('member_email')} / {result.get('password')}",
    ])


def first_steps(ports: Ports, seeded: dict, qbo: Flask, xero: Flask) -> str:
    """The last block of the demo's log: where to start (a business unit, its provider and
    sandbox company), where to pay an invoice in each sandbox, and how to stop."""
    from psa_quickbooks.sandbox import US_REALM
    from psa_xero.sandbox import UK_TENANT_ID

    units = list(seeded.get("business_units", {}).items())
    (us_name, us_id), (uk_name, uk_id) = units[0], units[-1]
    company = qbo.extensions["qbo_sandbox"].state.companies[US_REALM].info["CompanyName"]
    org = xero.extensions["xero_sandbox"].state.orgs[UK_TENANT_ID]["organisation"]["Name"]
    host, qbo_url, xero_url = (ports.url(p) for p in (ports.host, ports.quickbooks, ports.xero))
    settings = f"{host}/settings/integrations?business_unit="
    return "\n".join([
        "",
        f"Open:               {host}/login",
        describe_seed(seeded),
        f"Start with:         business unit {us_name} and QuickBooks: {settings}{us_id}",
        f"                    Connect, pick \"{company}\" on the sandbox's consent page, finish",
        "                    the setup step, map the tax rates on Manage, then Send an invoice.",
        f"Then:               business unit {uk_name} and Xero: {settings}{uk_id}",
        f"                    Connect, tick \"{org}\", choose it in the host.",
        f"Pay in QuickBooks:  {qbo_url}/company/{US_REALM}/invoices  (Receive payment)",
        f"Pay in Xero:        {xero_url}/orgs/{UK_TENANT_ID}  (an invoice's payment form)",
        "                    the host invoice shows the payment within seconds (webhook).",
        "Ctrl-C to stop (host, worker and both sandboxes).",
    ])


def configure_logging(verbose: bool) -> None:
    """Warnings and errors only; ``verbose``: every job and, with the servers not quiet
    (``ServerThread(quiet=False)``), every request of the host and the sandboxes. Configured
    before migrating, so Alembic keeps to it (``migrations/env.py``)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_sandboxes(app: Flask, bind: str, quickbooks_port: int, xero_port: int) -> None:
    from host.sandbox_kit.serving import ServerThread

    ports = Ports(bind, 5000, quickbooks_port, xero_port)
    instance = Path(app.config["INSTANCE_DIR"])
    base = app.config.get("PSA_BASE_URL")
    qbo, xero = build_sandboxes(instance, ports, base)
    stop = threading.Event()
    _stop_on_signals(stop)
    with ServerThread(qbo, bind, quickbooks_port), ServerThread(xero, bind, xero_port):
        print(f"QuickBooks sandbox: {ports.url(quickbooks_port)}")
        print(f"Xero sandbox:       {ports.url(xero_port)}")
        print("Ctrl-C to stop.", flush=True)
        _wait_for_interrupt(stop)


def run_demo(ports: Ports, workers: int = 2, instance_dir: str | None = None,
             ready: threading.Event | None = None, stop: threading.Event | None = None,
             verbose: bool = False) -> None:
    """Everything in one process. ``ready`` / ``stop`` let tests drive it from a thread."""
    from host import create_app
    from host.sandbox_kit.serving import ServerThread
    from host.seed import seed_demo
    from host.sync.worker import WorkerThread

    configure_logging(verbose)

    busy = [p for p in (ports.host, ports.quickbooks, ports.xero) if not _port_free(ports.bind, p)]
    if busy:
        raise SystemExit(f"Port(s) {', '.join(map(str, busy))} on {ports.bind} are in use; "
                         "stop what runs there or pass --port / --quickbooks-port / --xero-port.")
    overrides = {**provider_config(ports), "DEMO": True}
    if instance_dir:
        overrides["INSTANCE_DIR"] = instance_dir
    app = create_app(overrides)
    instance = Path(app.config["INSTANCE_DIR"])
    migrate(app)
    seeded = seed_demo(app)
    host_url = ports.url(ports.host)
    qbo, xero = build_sandboxes(instance, ports, host_url)
    servers = [ServerThread(qbo, ports.bind, ports.quickbooks, quiet=not verbose),
               ServerThread(xero, ports.bind, ports.xero, quiet=not verbose),
               ServerThread(app, ports.bind, ports.host, quiet=not verbose)]
    worker = WorkerThread(app, workers=workers)
    stop = stop or threading.Event()
    _stop_on_signals(stop)
    try:
        for server in servers:
            server.start()
        worker.start()
        xero_hook = aim_xero_webhook(xero, host_url)
        print(f"PSA host:           {host_url}")
        print(f"QuickBooks sandbox: {ports.url(ports.quickbooks)}")
        print(f"Xero sandbox:       {ports.url(ports.xero)}  (webhook: {xero_hook})")
        print(f"Worker:             {workers} thread(s), queue {app.config['HUEY_BACKEND']}")
        print(f"Data:               {instance}")
        print(first_steps(ports, seeded, qbo, xero), flush=True)
        if ready is not None:
            ready.set()
        _wait_for_interrupt(stop)
    finally:
        worker.stop()
        for server in reversed(servers):
            server.stop()


def _port_free(bind: str, port: int) -> bool:
    """Nothing listens on ``port``. With SO_REUSEADDR, as the servers bind: connections of the
    previous run left in TIME_WAIT (a minute after Ctrl-C) do not make a restart refuse."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind, port))
        except OSError:
            return False
    return True


def _stop_on_signals(stop: threading.Event) -> None:
    """Ctrl-C and SIGTERM set ``stop`` (installed before the banner, so no race)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())


def _wait_for_interrupt(stop: threading.Event | None = None) -> None:
    if stop is None:
        stop = threading.Event()
        _stop_on_signals(stop)
    while not stop.wait(0.5):
        pass
