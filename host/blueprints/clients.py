"""Clients: list, create, edit (billing contact name and email, currency, tax number)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from host import events
from host.extensions import db
from host.forms.clients import ClientForm
from host.models import Client
from host.security.permissions import org_get_or_404
from host.services.queries import org_rows

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.route("/")
@login_required
def index():
    clients = org_rows(Client, current_user.organization_id, Client.name)
    return render_template("clients/index.html", clients=clients)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = ClientForm()
    if form.validate_on_submit():
        client = Client(organization_id=current_user.organization_id)
        if _save(form, client):
            flash(f"Client {client.name} created.", "success")
            return redirect(url_for("clients.index"))
    return _form_page(form, None)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@login_required
def edit(client_id: int):
    client = org_get_or_404(Client, client_id)
    form = ClientForm(obj=client)
    if form.validate_on_submit():
        if _save(form, client):
            flash(f"Client {client.name} saved.", "success")
            return redirect(url_for("clients.index"))
    return _form_page(form, client)


def _form_page(form: ClientForm, client: Client | None):
    """The form again; after a POST it was refused, so 422 with the errors and what was typed."""
    return render_template("clients/form.html", form=form, client=client), \
        422 if form.is_submitted() else 200


def _save(form: ClientForm, client: Client) -> bool:
    client.name = form.name.data.strip()
    client.billing_contact_name = (form.billing_contact_name.data or "").strip()
    client.billing_email = (form.billing_email.data or "").strip()
    client.currency = (form.currency.data or "").strip().upper()
    client.tax_number = form.tax_number.data or ""
    client.active = bool(form.active.data)
    created = client.id is None
    db.session.add(client)
    try:
        db.session.flush()
        events.client_saved.send(client, created=created)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append("A client with this name already exists.")
        return False
    return True
