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
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


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
def psa_plugins():
    """Override in a conftest to choose the plugins the ``app`` fixture loads."""
    return ("fakeprovider",)


@pytest.fixture
def make_app(psa_template_db, tmp_path_factory):
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
    return make_app(plugins=psa_plugins)


@pytest.fixture
def client(app):
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
    return create_org(app)


@pytest.fixture
def admin_client(app, org):
    return login(app.test_client(), org.admin_email, org.password)


@pytest.fixture
def member_client(app, org):
    return login(app.test_client(), org.member_email, org.password)
