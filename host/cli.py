"""Flask CLI commands (``flask --app host <command>``) and the ``psa`` console script."""

from __future__ import annotations

import click
from flask import Flask


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


def main() -> None:
    """``psa`` console script: the Flask CLI bound to the host app."""
    from flask.cli import FlaskGroup

    from host import create_app

    FlaskGroup(create_app=create_app)()
