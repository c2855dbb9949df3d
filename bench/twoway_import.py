"""The initial import of two-way sync against each sandbox: records/min against the provider's
rate limit, the busiest window, and the worker's peak memory at 1x and 2x the records.

    .venv/bin/python bench/twoway_import.py            # 5,000 customers, 2,000 products and
                                                       # 10,000 invoices per sandbox, then 2x
    .venv/bin/python bench/twoway_import.py --small    # 10x fewer (the smoke test runs this)
    .venv/bin/python bench/twoway_import.py --providers xero --factors 1

For each provider (QuickBooks, Xero) and each factor: a sandbox on a real port seeded through
its store (``twoway_seed``), a host over real HTTP with a real ``flask --app host worker``
process (``host.integrations.e2e.E2E``), a business unit connected through the host's pages;
then each object's inbound direction is switched on in turn (customers, products, invoices:
an invoice needs its customer) and the worker imports it. The sandbox counts every request
(``twoway_meter``); the worker's memory is read from ``/proc``.

Printed per object: records imported, requests made, requests/min against the provider's
per-minute limit (read from ``ProviderInfo.rate_limits``) and the percent of it used,
records/min, the busiest window of each of the provider's limits (must never exceed it), the
share of the time the provider spent answering. Then the worker's resident memory before the
import and its high-water mark after it, at each factor: flat memory means the peaks (and
what the import added on top of the idle worker) stay about the same when the records double.

Time is not scaled: the host paces requests by the plugin's declared limits in wall-clock
seconds and the sandboxes count the same minutes (``SANDBOX_TIME_SCALE`` 1), so a window the
benchmark reports is a real one. Percent of the limit says whether the limit was what held
the import back (near 100 %) or the host's own work (anything well below).

Not a test: the numbers are printed; ``tests/bench/test_twoway_import_bench.py`` runs
``--small`` to keep the script working and checks the counts, never the times.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
for folder in (HERE, ROOT / "plugins" / "quickbooks" / "tests",
               ROOT / "plugins" / "quickbooks" / "tests" / "e2e", ROOT / "plugins" / "xero" / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from twoway_meter import RequestMeter, busiest_window, memory_kib  # noqa: E402
from twoway_seed import Counts, seed_quickbooks, seed_xero  # noqa: E402

FULL = Counts(customers=5000, items=2000, invoices=10000)
SMALL = Counts(customers=500, items=200, invoices=1000)
OBJECTS = ("customer", "item", "invoice")
#: How long one object's import may take before the run gives up on it.
IMPORT_TIMEOUT = 3600.0


# -- the providers ---------------------------------------------------------------------------------


@dataclass
class Sandbox:
    """A provider sandbox on a real port with a request meter around it."""

    provider: str
    app: object
    server: object
    meter: RequestMeter
    state: object  # QboSandbox / XeroSandbox

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.state.close()


def start_sandbox(provider: str) -> Sandbox:
    from host.sandbox_kit.serving import ServerThread

    if provider == "quickbooks":
        from psa_quickbooks.sandbox import create_app
        from qbo_testkit import OAUTH_CLIENTS

        app = create_app({"QBO_OAUTH_CLIENTS": OAUTH_CLIENTS, "SANDBOX_TIME_SCALE": 1.0})
        state = app.extensions["qbo_sandbox"]
    else:
        from psa_xero.sandbox import create_app

        app = create_app({"SANDBOX_TIME_SCALE": 1.0})
        state = app.extensions["xero_sandbox"]
    meter = RequestMeter(app.wsgi_app)
    app.wsgi_app = meter
    return Sandbox(provider, app, ServerThread(app).start(), meter, state)


def host_config(sandbox: Sandbox) -> dict:
    """The host keys aiming the plugin at the sandbox (as the plugins' e2e tests do)."""
    if sandbox.provider == "quickbooks":
        from psa_quickbooks.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

        return {"QUICKBOOKS_CLIENT_ID": DEMO_CLIENT_ID,
                "QUICKBOOKS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                "QUICKBOOKS_AUTH_BASE_URL": sandbox.url, "QUICKBOOKS_API_BASE_URL": sandbox.url,
                "QUICKBOOKS_APP_BASE_URL": sandbox.url,
                "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": "bench-verifier-token"}
    from xero_testkit import xero_config

    return xero_config(sandbox.url)


def seed_and_connect(sandbox: Sandbox, env, counts: Counts):
    """Seed the sandbox tenant with ``counts`` and connect a new organization's first business
    unit to it through the host's pages; returns the ``Tenant``."""
    if sandbox.provider == "quickbooks":
        from psa_quickbooks.sandbox import US_REALM
        from qbo_e2ekit import SETUP, consent_to

        seed_quickbooks(sandbox.state, US_REALM, counts)
        return env.connect(env.new_org(), "quickbooks", consent=consent_to(US_REALM),
                           setup=SETUP)
    from psa_xero.sandbox import US_TENANT_ID
    from xero_e2ekit import connect

    seed_xero(sandbox.state, US_TENANT_ID, counts)
    return connect(env, US_TENANT_ID)


# -- one run ---------------------------------------------------------------------------------------


@dataclass
class ObjectResult:
    """One object's import as measured."""

    object: str
    records: int  #: records the host created, matched or updated (the setting's counts)
    skipped: int
    failed: int
    requests: int
    seconds: float
    provider_seconds: float  #: time the sandbox spent answering those requests
    busiest: dict  #: {limit name: most requests in any window of that limit}
    endpoints: dict  #: {"GET /api.xro/2.0/Invoices": n, ...}
    statuses: dict  #: {HTTP status: n}
    status: str
    error: str = ""

    @property
    def requests_per_minute(self) -> float:
        return self.requests / self.seconds * 60 if self.seconds else 0.0

    @property
    def records_per_minute(self) -> float:
        return self.records / self.seconds * 60 if self.seconds else 0.0


@dataclass
class RunResult:
    provider: str
    factor: int
    seeded: Counts
    limits: list  #: [(name, requests, per_seconds)] of the per-connection limits
    objects: list = field(default_factory=list)
    rss_before_kib: int = 0
    peak_kib: int = 0
    host_rows: dict = field(default_factory=dict)


def _endpoint(hit) -> str:
    """``METHOD /path`` with ids folded, and a QuickBooks query's entity."""
    path = re.sub(r"/[0-9a-fA-F-]{32,36}(?=/|$)", "/<id>", hit.path)
    path = re.sub(r"/company/\d+/", "/company/<realm>/", path)
    path = re.sub(r"/\d+(?=/|$)", "/<id>", path)
    entity = re.search(r"(?i)from%20(\w+)|from\+(\w+)", hit.query)
    if entity:
        path += f" FROM {entity.group(1) or entity.group(2)}"
    return f"{hit.method} {path}"


def _connection_limits(env, provider: str) -> list[tuple[str, int, float]]:
    from host.integrations.registry import get_registry

    with env.app.app_context():
        info = get_registry(env.app)[provider]
        return [(limit.name or f"{limit.requests}/{limit.per_seconds:g}s", limit.requests,
                 float(limit.per_seconds)) for limit in info.rate_limits
                if limit.scope == "connection"]


def import_object(env, sandbox: Sandbox, connection_id: int, obj: str, limits,
                  progress) -> ObjectResult:
    """Switch ``obj``'s inbound direction on, start its import, wait until it is done."""
    from host.extensions import db
    from host.models import Connection, SyncObjectSetting
    from host.sync.twoway import importer
    from host.sync.twoway.settings import setting_for

    started = time.time()
    with env.app.app_context():
        setting = setting_for(db.session.get(Connection, connection_id), obj)
        setting.direction = "in"
        db.session.commit()
        importer.start(setting)
        db.session.commit()
        setting_id = setting.id
        db.session.remove()
    last_print = 0.0
    deadline = time.monotonic() + IMPORT_TIMEOUT
    while True:
        with env.app.app_context():
            row = db.session.get(SyncObjectSetting, setting_id)
            status, error = row.import_status, row.import_error or ""
            done = row.created + row.matched + row.updated
            skipped, failed = row.skipped, row.failed
            db.session.remove()
        if status in ("done", "failed"):
            break
        if time.monotonic() > deadline:
            status, error = "timeout", f"still {status} after {IMPORT_TIMEOUT:.0f}s"
            break
        if time.monotonic() - last_print > 10:
            progress(f"  {obj}: {status}, {done} imported, {skipped} skipped, {failed} failed")
            last_print = time.monotonic()
        time.sleep(0.2)
    finished = time.time()
    hits = sandbox.meter.hits(started, finished)
    return ObjectResult(
        object=obj, records=done, skipped=skipped, failed=failed, requests=len(hits),
        seconds=finished - started, provider_seconds=sum(h.seconds for h in hits),
        busiest={name: busiest_window([h.at for h in hits], per) for name, _, per in limits},
        endpoints=dict(Counter(_endpoint(h) for h in hits).most_common(4)),
        statuses=dict(Counter(h.status for h in hits)),
        status=status, error=error)


def host_rows(env, tenant) -> dict:
    """What the host now holds for the organization: clients, service types, imported
    invoices, and how many provider records are linked to more than one host record."""
    import sqlalchemy as sa

    from host.extensions import db
    from host.models import Client, Invoice, ServiceType, SyncLink

    with env.app.app_context():
        count = lambda model, *where: db.session.scalar(  # noqa: E731
            sa.select(sa.func.count()).select_from(model).where(*where))
        doubled = db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(SyncLink.object, SyncLink.external_id)
            .where(SyncLink.connection_id == tenant.connection_id)
            .group_by(SyncLink.object, SyncLink.external_id)
            .having(sa.func.count() > 1).subquery()))
        rows = {"clients": count(Client, Client.organization_id == tenant.org_id),
                "service_types": count(ServiceType,
                                       ServiceType.organization_id == tenant.org_id),
                "invoices": count(Invoice, Invoice.source_connection_id == tenant.connection_id),
                "links_held_twice": doubled}
        db.session.remove()
    return rows


def run(provider: str, factor: int, base: Counts, folder: Path, template_db: Path,
        progress, page_size: int | None = None) -> RunResult:
    """Seed ``base`` x ``factor`` records into a fresh sandbox and import them into a fresh
    host; returns the measurements."""
    from host.config import defaults
    from host.integrations.e2e import E2E

    counts = base.times(factor)
    sandbox = start_sandbox(provider)
    # the worker's production timings (E2E shortens leases and sweeps for tests: a 3 s lease
    # expires while a page is applied, and the sweeper hands the page to the other thread)
    production = defaults(folder)
    config = {**host_config(sandbox), "RECONCILE_INTERVAL_MINUTES": 59,
              **{key: production[key] for key in (
                  "SYNC_LEASE_SECONDS", "SYNC_SWEEP_SECONDS", "SYNC_STALE_PENDING_SECONDS",
                  "SYNC_BACKOFF_BASE_SECONDS", "SYNC_BACKOFF_MAX_SECONDS")}}
    if page_size:
        config["PSA_IMPORT_PAGE_SIZE"] = page_size
    env = E2E(template_db, folder, plugins=(provider,), config=config)
    try:
        env.start()
        progress(f"{provider} x{factor}: seeding {counts}")
        tenant = seed_and_connect(sandbox, env, counts)
        result = RunResult(provider, factor, counts, _connection_limits(env, provider))
        time.sleep(1.0)  # the idle worker settles (its first sweep and reconcile pass)
        result.rss_before_kib = memory_kib(env.worker.proc.pid)[0]
        for obj in OBJECTS:
            progress(f"{provider} x{factor}: importing {obj}s")
            outcome = import_object(env, sandbox, tenant.connection_id, obj, result.limits,
                                    progress)
            result.objects.append(outcome)
            if outcome.status != "done":
                progress(f"  {obj}: {outcome.status} {outcome.error}\n"
                         + env.worker_log()[-3000:])
                break
        result.peak_kib = memory_kib(env.worker.proc.pid)[1]
        result.host_rows = host_rows(env, tenant)
        return result
    finally:
        env.stop()
        sandbox.stop()


def template_database(provider: str, folder: Path) -> Path:
    """A host database migrated with the provider's plugin (copied for each run)."""
    from flask_migrate import upgrade

    from host import create_app

    folder.mkdir(parents=True, exist_ok=True)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_DIR": str(folder),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'psa.sqlite3'}",
                      "HUEY_BACKEND": "memory", "PSA_DISABLE_PLUGIN_AUTOLOAD": True,
                      "PSA_PLUGINS": [provider]})
    with app.app_context():
        upgrade(revision="heads")
        from host.extensions import db

        db.engine.dispose()
    return folder / "psa.sqlite3"


# -- printing --------------------------------------------------------------------------------------


LABELS = {"quickbooks": "QuickBooks", "xero": "Xero"}


def report(results: list[RunResult]) -> str:
    out: list[str] = []
    for provider in dict.fromkeys(r.provider for r in results):
        runs = [r for r in results if r.provider == provider]
        limits = runs[0].limits
        minute = next(((n, req) for n, req, per in limits if per == 60), (None, 0))
        out.append(f"\n{LABELS[provider]}: limits per connection (ProviderInfo.rate_limits): "
                   + ", ".join(f"{req} per {per:g} s" for _, req, per in limits))
        out.append("  time: real, not scaled (sandbox time_scale 1; the host paces requests "
                   "by the declared limits in wall-clock seconds)")
        head = (f"  {'object':<9}{'x':>3}{'records':>9}{'skip':>6}{'fail':>6}{'requests':>10}"
                f"{'req/min':>9}{'% limit':>9}{'rec/min':>10}{'limit allows':>14}"
                + "".join(f"{'max/' + format(per, 'g') + 's':>12}" for _, _, per in limits)
                + f"{'seconds':>9}{'provider':>10}{'bound by':>9}  endpoints")
        out.append(head)
        for r in runs:
            for o in r.objects:
                share = o.provider_seconds / o.seconds * 100 if o.seconds else 0
                used = o.requests_per_minute / minute[1] * 100 if minute[1] else 0
                # records/min the per-minute limit would allow at this run's records a request
                allows = minute[1] * o.records / o.requests if o.requests else 0
                out.append(
                    f"  {o.object:<9}{r.factor:>3}{o.records:>9}{o.skipped:>6}{o.failed:>6}"
                    f"{o.requests:>10}{o.requests_per_minute:>9.1f}{used:>8.1f}%"
                    f"{o.records_per_minute:>10.0f}{allows:>14.0f}"
                    + "".join(f"{o.busiest[n]:>7}/{req:<4}" for n, req, _ in limits)
                    + f"{o.seconds:>9.1f}{share:>9.0f}%{'limit' if used >= 90 else 'host':>8}  "
                    + ", ".join(f"{k} x{v}" for k, v in o.endpoints.items())
                    + "".join(f"; {n} answered {status}" for status, n in o.statuses.items()
                              if status != 200)
                    + ("" if o.status == "done" else f"  [{o.status}: {o.error}]"))
            over = [f"{o.object} {n} {o.busiest[n]} > {req}" for o in r.objects
                    for n, req, _ in limits if o.busiest[n] > req]
            out.append(f"  x{r.factor}: seeded {asdict(r.seeded)}; host holds {r.host_rows}; "
                       f"limit exceeded: {', '.join(over) or 'never'}")
        for r in runs:
            out.append(f"  worker memory x{r.factor}: {r.rss_before_kib / 1024:.1f} MiB idle "
                       f"before the import, peak {r.peak_kib / 1024:.1f} MiB "
                       f"(+{(r.peak_kib - r.rss_before_kib) / 1024:.1f} MiB)")
        if len(runs) > 1 and runs[0].peak_kib:
            first, last = runs[0], runs[-1]
            grew = (last.peak_kib - last.rss_before_kib) / max(1, first.peak_kib
                                                                  - first.rss_before_kib)
            out.append(f"  peak x{last.factor} / peak x{first.factor}: "
                       f"{last.peak_kib / first.peak_kib:.2f} (import's own growth: "
                       f"{grew:.2f}; flat memory = close to 1)")
    return "\n".join(out)


def save(results: list[RunResult], path: Path) -> None:
    path.write_text(json.dumps([{**asdict(r), "objects": [
        {**asdict(o), "requests_per_minute": o.requests_per_minute,
         "records_per_minute": o.records_per_minute} for o in r.objects]}
        for r in results], indent=2, default=str))


def load(path: Path) -> list[RunResult]:
    """Measurements written by ``--json`` (to print them again with ``--report``)."""
    names = set(ObjectResult.__dataclass_fields__)
    return [RunResult(provider=r["provider"], factor=r["factor"], seeded=Counts(**r["seeded"]),
                      limits=[tuple(limit) for limit in r["limits"]],
                      objects=[ObjectResult(**{**{k: v for k, v in o.items() if k in names},
                                               "statuses": {int(status): n for status, n
                                                            in o["statuses"].items()}})
                               for o in r["objects"]],
                      rss_before_kib=r["rss_before_kib"], peak_kib=r["peak_kib"],
                      host_rows=r["host_rows"])
            for r in json.loads(path.read_text())]


def main(argv: list[str] | None = None) -> list[RunResult]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true",
                        help=f"{SMALL.customers} customers, {SMALL.items} products, "
                             f"{SMALL.invoices} invoices (10x fewer)")
    parser.add_argument("--providers", nargs="+", default=["quickbooks", "xero"],
                        choices=["quickbooks", "xero"])
    parser.add_argument("--factors", nargs="+", type=int, default=[1, 2],
                        help="runs at these multiples of the records (default: 1 2)")
    parser.add_argument("--page-size", type=int, default=None,
                        help="the host's PSA_IMPORT_PAGE_SIZE (default: its default, 100)")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="print the measurements a --json run wrote; run nothing")
    args = parser.parse_args(argv)
    if args.report:
        results = load(args.report)
        print(report(results))
        return results
    base = SMALL if args.small else FULL

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = []
    with tempfile.TemporaryDirectory(prefix="twoway-bench-") as tmp:
        for provider in args.providers:
            template = template_database(provider, Path(tmp) / f"{provider}-template")
            for factor in args.factors:
                folder = Path(tmp) / f"{provider}-x{factor}"
                folder.mkdir()
                results.append(run(provider, factor, base, folder, template, progress,
                                   args.page_size))
                if args.json:  # after each run: an interrupted run keeps what it measured
                    save(results, args.json)
    print(report(results))
    return results


if __name__ == "__main__":
    main()
