"""Flask CLI commands (``flask --app host <command>``) and the ``psa`` console script.

``create-admin``  an organization and its first admin.
``seed``          the demo organization (two business units, clients, projects, an admin).
``worker``        the Huey consumer: runs sync jobs, the sweeper and reconciliation.
``sandboxes``     the QuickBooks and Xero sandboxes on 127.0.0.1.
``demo``          everything at once: migrate, seed, sandboxes, worker, host (Ctrl-C stops).
``integrations new-plugin NAME``  a new provider plugin distribution from the template
                  (:mod:`host.plugin_template`); beside ``integrations plugins``.
"""

from __future__ import annotations

import click
from flask import Flask, current_app


def register_commands(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--org", "org_name", required=True)
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    def create_admin(org_name: str, email: str, password: str) -> None:
        """Create an organization and its first admin user."""
        from host.extensions import db
        from host.models import Organization, User

        org = Organization(name=org_name)
        user = User(organization=org, email=email.lower(), name=email, role="admin")
        user.set_password(password)
        db.session.add_all([org, user])
        db.session.commit()
        click.echo(f"created {user.email} in {org.name}")

    @app.cli.command("seed")
    def seed() -> None:
        """Seed the demo organization (idempotent) and print the admin login."""
        from host.demo import seed_and_describe

        click.echo(seed_and_describe(current_app))

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Worker threads.")
    def worker(workers: int) -> None:
        """Run the background worker (sync jobs, sweeper, reconciliation) until Ctrl-C."""
        from host.sync.worker import run_worker

        run_worker(current_app._get_current_object(), workers=workers)

    @app.cli.command("sandboxes")
    @click.option("--host", "bind", default="127.0.0.1", show_default=True)
    @click.option("--quickbooks-port", default=5001, show_default=True)
    @click.option("--xero-port", default=5002, show_default=True)
    def sandboxes(bind: str, quickbooks_port: int, xero_port: int) -> None:
        """Run the QuickBooks and Xero sandboxes until Ctrl-C."""
        from host.demo import run_sandboxes

        run_sandboxes(current_app._get_current_object(), bind, quickbooks_port, xero_port)

    @app.cli.command("demo")
    @click.option("--host", "bind", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, help="The host's port.")
    @click.option("--quickbooks-port", default=5001, show_default=True)
    @click.option("--xero-port", default=5002, show_default=True)
    @click.option("--workers", default=2, show_default=True)
    @click.option("--verbose", is_flag=True, help="Log every request and job, not only problems.")
    def demo(bind: str, port: int, quickbooks_port: int, xero_port: int, workers: int,
             verbose: bool) -> None:
        """Migrate, seed, start both sandboxes, the worker and the host; Ctrl-C stops all."""
        from host.demo import Ports, run_demo

        run_demo(Ports(bind, port, quickbooks_port, xero_port), workers=workers, verbose=verbose)

    _integrations_group(app).add_command(new_plugin)


@click.command("new-plugin")
@click.argument("name")
@click.option("--directory", "-d", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Where to create psa-NAME/.")
def new_plugin(name: str, directory: str) -> None:
    """Create the provider plugin distribution psa-NAME from the host's template.

    NAME is the provider key: lowercase letters, digits and underscores. The plugin implements
    every hook against its own offline sandbox and passes its tests as created.
    """
    from host.plugin_template import InvalidPluginName, TargetExists, render_plugin

    try:
        target = render_plugin(name, directory)
    except InvalidPluginName as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc
    except TargetExists as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # the directory cannot be written (a file there, no permission)
        raise click.ClickException(f"cannot write the plugin: {exc}") from exc
    click.echo(f"created {target}\n"
               f"next: cd {target} && pip install -e . && pytest   (then read README.md)")


def _integrations_group(app: Flask) -> click.Group:
    """The ``integrations`` command group (the Plugins page blueprint's CLI group)."""
    from flask.cli import AppGroup

    group = app.cli.commands.get("integrations")
    if group is None:
        group = AppGroup("integrations", help="Provider plugins.")
        app.cli.add_command(group)
    return group


def main() -> None:
    """``psa`` console script: the Flask CLI bound to the host app."""
    from flask.cli import FlaskGroup

    from host import create_app

    FlaskGroup(create_app=create_app)()
