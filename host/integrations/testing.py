"""pytest plugin (``pytest11`` entry point ``psa``): fixtures for host and provider-plugin tests.

Fixtures (all function-scoped unless noted):

``psa_template_db`` (session)  a SQLite file migrated to ``heads`` once; each app copies it.
``make_app``                   factory ``make_app(plugins=None, **config) -> Flask``; builds an app
                               on a fresh copy of the migrated database. ``plugins`` names the
                               only plugins to load (autoload off); None loads every installed one.
``app``                        ``make_app()`` with the fake provider only (see ``psa_plugins``).
``client``                     Flask test client of ``app``.
``org``                        an organization with two business units, an admin and a member.
``admin_client`` / ``member_client``  test clients logged in as those users.
``db``                         the Flask-SQLAlchemy ``db`` inside an app context of ``app``.
``business_unit``              the first business unit of ``org`` (a ``BusinessUnit``, in ``db``).
``connection_factory``         ``connection_factory(business_unit_id=None, provider_key=None,
                               status="connected", tokens=None, tenant=("t-1", "Fake Books Inc"),
                               settings=None, setup_complete=True) -> Connection`` with encrypted
                               tokens (the provider key defaults to ``psa_provider_key``).
``psa_provider_key``           override: the provider key the factory uses ("fakeprovider").
``browser`` (session) / ``page``  Playwright Chromium (``/usr/bin/chromium``, headless).
``live_server``                the ``app`` served on 127.0.0.1 in a thread (``.url``).

``callback_params``            the OAuth callback parameters the contract suite passes to
                               ``on_connect``; ``{}`` unless a plugin's conftest overrides it.

``ProviderContractSuite`` (host.integrations.contract_suite) is the shared test class every
provider plugin subclasses; see that package for the fixtures a plugin provides.

Helpers (plain functions): ``create_org(app, ...)``, ``login(client, email, password)``,
``csrf_token(client, url)`` (a CSRF token for the client's session),
``make_connection(app, business_unit_id, provider_key, ...) -> id``, and
``connect_via_oauth(app, client, provider_key, business_unit_id, consent=...)`` which drives
start -> provider consent -> callback with a test client.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from host.integrations.contract_suite import ProviderContractSuite  # noqa: F401  (re-export)
from host.integrations.provider_state import (  # noqa: F401  (re-export for plugin authors)
    ALL_FAULTS,
    REQUIRED_FAULTS,
    HeldAllocation,
    HeldDocument,
    HeldLine,
    HeldPayment,
    ProviderState,
    SignedDelivery,
)


def _migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision="heads")


@pytest.fixture(scope="session")
def psa_template_db(tmp_path_factory):
    """A database migrated once per session (and per plugin set); copied for each app."""
    from host import create_app

    cache: dict[tuple, Path] = {}

    def get(plugins: tuple | None) -> Path:
        if plugins not in cache:
            folder = tmp_path_factory.mktemp("template-db")
            app = create_app(_config(folder, plugins))
            _migrate(app)
            with app.app_context():
                from host.extensions import db

                db.engine.dispose()
            cache[plugins] = folder / "psa.sqlite3"
        return cache[plugins]

    return get


def _config(folder: Path, plugins, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_DIR": str(folder),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'psa.sqlite3'}",
        "HUEY_BACKEND": "memory",
        "HUEY_IMMEDIATE": False,
        "HUEY_SQLITE_PATH": str(folder / "huey.sqlite3"),
    }
    if plugins is not None:
        config["PSA_DISABLE_PLUGIN_AUTOLOAD"] = True
        config["PSA_PLUGINS"] = list(plugins)
    config.update(extra)
    return config


@pytest.fixture
def callback_params():
    """The OAuth callback parameters ``on_connect`` receives in the contract suite (override in
    a plugin's conftest: QuickBooks ``{"realmId": ...}``)."""
    return {}


@pytest.fixture
def psa_plugins():
    """Override in a conftest to choose the plugins the ``app`` fixture loads."""
    return ("fakeprovider",)


@pytest.fixture
def make_app(psa_template_db, tmp_path_factory):
    """``make_app(plugins=("myledger",), KEY=value, ...) -> Flask``: a fresh app per call.

    Each app gets its own copy of the migrated database and an in-memory queue. ``plugins``
    names the only plugins it loads (autoload off); None loads every installed one. Keyword
    arguments are configuration keys (``MYLEDGER_BASE_URL=sandbox.url``,
    ``PSA_TRACE_PLUGINS=True``). Engines are disposed after the test.
    """
    from host import create_app

    apps = []

    def factory(plugins=("fakeprovider",), **config):
        key = tuple(plugins) if plugins is not None else None
        folder = tmp_path_factory.mktemp("app")
        shutil.copyfile(psa_template_db(key), folder / "psa.sqlite3")
        app = create_app(_config(folder, key, **config))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            from host.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, psa_plugins):
    """The app the other fixtures use: ``make_app(plugins=psa_plugins)``.

    To give it configuration, override it in your conftest::

        @pytest.fixture
        def app(make_app, psa_plugins, my_sandbox):
            return make_app(plugins=psa_plugins, MYLEDGER_BASE_URL=my_sandbox.url)
    """
    return make_app(plugins=psa_plugins)


@pytest.fixture
def client(app):
    """A Flask test client of ``app``, not logged in."""
    return app.test_client()


@dataclass
class OrgFixture:
    id: int
    business_unit_ids: tuple[int, int]
    admin_email: str
    member_email: str
    password: str


def create_org(app, name="Acme Consulting", units=("Consulting East", "Consulting West"),
               admin_email=None, member_email=None, password="correct horse") -> OrgFixture:
    """Create an organization with business units, an admin and a member (for tests/seeds)."""
    from host.extensions import db
    from host.models import BusinessUnit, Organization, User

    slug = name.lower().split()[0]
    admin_email = admin_email or f"admin@{slug}.test"
    member_email = member_email or f"member@{slug}.test"
    with app.app_context():
        org = Organization(name=name)
        bus = [BusinessUnit(organization=org, name=u) for u in units]
        admin = User(organization=org, email=admin_email, name="Admin", role="admin")
        member = User(organization=org, email=member_email, name="Member", role="member")
        admin.set_password(password)
        member.set_password(password)
        db.session.add_all([org, *bus, admin, member])
        db.session.commit()
        return OrgFixture(org.id, tuple(b.id for b in bus), admin_email, member_email, password)


def login(client, email: str, password: str):
    """Log a test client in through the real form (CSRF disabled only via the token it reads)."""
    import re

    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = match.group(1) if match else ""
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert resp.status_code in (302, 303), "login failed"
    return client


@pytest.fixture
def org(app):
    """An organization "Acme Consulting" in ``app`` (an ``OrgFixture``): ``.id``,
    ``.business_unit_ids`` (two units), ``.admin_email``, ``.member_email``, ``.password``."""
    return create_org(app)


@pytest.fixture
def admin_client(app, org):
    """A test client logged in as ``org``'s admin (who reaches Settings > Integrations)."""
    return login(app.test_client(), org.admin_email, org.password)


@pytest.fixture
def member_client(app, org):
    """A test client logged in as ``org``'s member (no admin rights: Settings answer 403)."""
    return login(app.test_client(), org.member_email, org.password)


# -- database, business unit, connections ------------------------------------------------------


@pytest.fixture
def db(app):
    """``host.extensions.db`` with an app context of ``app`` pushed for the test."""
    from host.extensions import db as _db

    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def business_unit(app, org, db):
    """The first business unit of ``org`` (a ``host.models.BusinessUnit`` in ``db``'s session)."""
    from host.models import BusinessUnit

    return db.session.get(BusinessUnit, org.business_unit_ids[0])


@pytest.fixture
def psa_provider_key():
    """Override in a plugin's conftest: the provider key ``connection_factory`` uses."""
    return "fakeprovider"


DEFAULT_TEST_TOKENS = {"access_token": "test-access", "refresh_token": "test-refresh",
                       "token_type": "Bearer"}


def make_connection(app, business_unit_id: int, provider_key: str, *, status="connected",
                    tokens=None, tenant=("t-1", "Fake Books Inc"), settings=None,
                    setup_complete=True, expires_in: int = 3600):
    """Insert a connection with encrypted tokens (commits). Returns its id."""
    import time

    from host.extensions import db as _db
    from host.integrations.oauth import expires_at_datetime
    from host.models import Connection
    from host.models.mixins import utcnow
    from host.security.crypto import encrypt_tokens

    tokens = dict(tokens or DEFAULT_TEST_TOKENS)
    tokens.setdefault("expires_at", int(time.time()) + expires_in)
    with app.app_context():
        conn = Connection(
            business_unit_id=business_unit_id, provider_key=provider_key, status=status,
            tenant_id=tenant[0] if tenant else None, tenant_name=tenant[1] if tenant else None,
            settings=dict(settings or {}), setup_complete=setup_complete,
            token_ciphertext=encrypt_tokens(tokens, app), token_version=0,
            token_expires_at=expires_at_datetime(tokens),
            connected_at=utcnow() if status == "connected" else None,
        )
        _db.session.add(conn)
        _db.session.commit()
        return conn.id


@pytest.fixture
def connection_factory(app, org, psa_provider_key, db):
    """``connection_factory(business_unit_id=None, provider_key=None, status="connected",
    tokens=None, tenant=("t-1", "Fake Books Inc"), settings=None, setup_complete=True,
    expires_in=3600) -> Connection``: a connection with encrypted tokens, committed and loaded
    in the ``db`` fixture's session (business unit: ``org``'s first; provider key:
    ``psa_provider_key``)."""
    from host.models import Connection

    def factory(business_unit_id=None, provider_key=None, **kw):
        cid = make_connection(app, business_unit_id or org.business_unit_ids[0],
                              provider_key or psa_provider_key, **kw)
        return db.session.get(Connection, cid)

    return factory


def csrf_token(client, url: str = "/settings/integrations") -> str:
    """A CSRF token for ``client``'s session, read from a page (the base layout's meta tag)."""
    import re

    page = client.get(url).get_data(as_text=True)
    match = (re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
             or re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def connect_via_oauth(app, client, provider_key: str, business_unit_id: int, *,
                      allow: bool = True, consent=None):
    """Drive the host's OAuth flow with a Flask test client: start, consent, callback.

    ``consent(authorize_url) -> callback_url`` performs the provider's consent (for the fake
    provider: ``fakeledger.consent``). Returns the callback response.
    """
    from urllib.parse import urlsplit

    token = csrf_token(client, f"/settings/integrations?business_unit={business_unit_id}")
    start = client.post(f"/oauth/{provider_key}/start",
                        data={"business_unit": business_unit_id, "csrf_token": token})
    assert start.status_code in (302, 303), start.get_data(True)
    callback_url = consent(start.headers["Location"], allow=allow)
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


# -- browser -----------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def browser_login(page, base_url: str, email: str, password: str) -> None:
    """Log in through the host's login page in a Playwright ``page``."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_url(lambda url: "/login" not in url)


def browser_connect(page, provider_key: str, provider_label: str, unit_label: str,
                    unit_id: int) -> None:
    """From any page of a logged-in admin: Settings > Integrations, choose the business unit,
    check the provider's tile says "Not connected", press Connect and Proceed in the
    confirmation dialog (which names the business unit and the provider). Leaves the browser
    on its way to the provider's consent page."""
    import re

    from playwright.sync_api import expect

    page.locator("header.topbar nav a", has_text="Settings").click()
    page.click("#tab-integrations")
    page.select_option("#business-unit-select", label=unit_label)
    page.wait_for_url(re.compile(rf"business_unit={unit_id}"))
    tile = page.locator(f'.tile[data-provider="{provider_key}"]')
    expect(tile.locator(".label")).to_have_text(provider_label)
    expect(tile.locator(".status")).to_have_text("Not connected")
    tile.locator(".connect").click()
    dialog = page.locator(f"#confirm-connect-{provider_key}")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).to_contain_text(
        f"This will connect {unit_label} to {provider_label}.")
    page.click("#confirm-proceed")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A Playwright page in a fresh browser context (own cookies), 15 s default timeout."""
    context = browser.new_context()
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def live_server(app):
    """``app`` served by a real threaded HTTP server on 127.0.0.1 (``.url``)."""
    from host.sandbox_kit.serving import ServerThread

    server = ServerThread(app).start()
    yield server
    server.stop()
