"""Migrations: an empty SQLite database upgraded to ``heads`` matches the models, plugin
branches join through ``ProviderInfo.migrations_path``, and ``hookspecs`` is ours."""

import dataclasses
import sys
import textwrap
import types
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

import fakeprovider
import hookspecs
from hookspecs import hookimpl
from host import create_app


def fresh_app(tmp_path, plugins=None, **extra):
    config = {"TESTING": True, "SECRET_KEY": "t", "INSTANCE_DIR": str(tmp_path),
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
              "HUEY_BACKEND": "memory", **extra}
    if plugins is not None:
        config.update(PSA_DISABLE_PLUGIN_AUTOLOAD=True, PSA_PLUGINS=list(plugins))
    return create_app(config)


def test_upgrade_heads_on_an_empty_database_matches_the_models(tmp_path):
    app = fresh_app(tmp_path)  # every installed plugin, as in production
    with app.app_context():
        from host.extensions import db

        upgrade(revision="heads")
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_plugin_migration_branch_joins_upgrade_heads(tmp_path):
    versions = tmp_path / "plugin_versions"
    versions.mkdir()
    (versions / "tmpledger_0001.py").write_text(textwrap.dedent('''
        from alembic import op
        import sqlalchemy as sa

        revision = "tmpledger_0001"
        down_revision = None
        branch_labels = ("psa_tmpledger",)
        depends_on = "0001_initial"

        def upgrade():
            op.create_table("tmpledger_cursor",
                            sa.Column("connection_id", sa.Integer, primary_key=True),
                            sa.Column("cursor", sa.String(100)))

        def downgrade():
            op.drop_table("tmpledger_cursor")
    '''))
    mod = types.ModuleType("psa_tmpledger_plugin")

    def register_provider(config):
        return dataclasses.replace(fakeprovider.register_provider(config), key="tmpledger",
                                   migrations_path=str(versions))

    mod.register_provider = hookimpl(register_provider)
    sys.modules["psa_tmpledger_plugin"] = mod
    app = fresh_app(tmp_path, plugins=("fakeprovider", "psa_tmpledger_plugin"))
    with app.app_context():
        from host.extensions import db

        upgrade(revision="heads")
        inspector = sa.inspect(db.engine)
        assert {"tmpledger_cursor", "connections"} <= set(inspector.get_table_names())
        with db.engine.connect() as conn:
            heads = sorted(r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version")))
        db.engine.dispose()
    # the plugin head depends on the host revision, so it records 0001_initial as applied
    # (later host revisions are heads of their own)
    assert "tmpledger_0001" in heads and "0001_initial" not in heads

    blocked = fresh_app(tmp_path / "b", plugins=("fakeprovider", "psa_tmpledger_plugin"),
                        PSA_PLUGINS_BLOCKED=["psa_tmpledger_plugin"],
                        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'blocked.sqlite3'}")
    with blocked.app_context():
        from host.extensions import db

        upgrade(revision="heads")
        assert "tmpledger_cursor" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_hookspecs_module_belongs_to_the_psa_host_distribution():
    dist = metadata.distribution("psa-host")
    files = {str(Path(dist.locate_file(f)).resolve()) for f in dist.files or ()}
    module = str(Path(hookspecs.__file__).resolve())
    direct = module in files
    editable = any(Path(f).name.endswith(".pth") or "__editable__" in f for f in files) and \
        Path(module).parent == Path(__file__).resolve().parent.parent
    assert direct or editable, f"hookspecs at {module} is not the psa-host distribution's"
    assert hasattr(hookspecs, "ENTRY_POINT_GROUP") and hookspecs.PROJECT_NAME == "psa"
