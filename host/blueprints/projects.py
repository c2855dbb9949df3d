"""Projects: list, create, edit, and their contract lines (service type, rate, GL, class)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from host.extensions import db
from host.forms.common import ActionForm, choices
from host.forms.projects import ContractLineForm, ProjectForm
from host.models import (
    BusinessUnit, Client, ContractLine, GLAccount, InvoiceLine, Project, ServiceType, TaxRate,
)
from host.security.permissions import org_get_or_404
from host.services.queries import org_get, org_rows

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.route("/")
@login_required
def index():
    projects = org_rows(Project, current_user.organization_id, Project.name)
    return render_template("projects/index.html", projects=projects)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = _project_form()
    if form.validate_on_submit():
        project = Project(organization_id=current_user.organization_id)
        if _save(form, project):
            flash(f"Project {project.name} created. Add its contract lines.", "success")
            return redirect(url_for("projects.edit", project_id=project.id))
    return render_template("projects/form.html", form=form, project=None)


@bp.route("/<int:project_id>", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = org_get_or_404(Project, project_id)
    form = _project_form(obj=project)
    if form.validate_on_submit() and _save(form, project):
        flash(f"Project {project.name} saved.", "success")
        return redirect(url_for("projects.edit", project_id=project.id))
    return render_template("projects/form.html", form=form, project=project,
                           line_form=_line_form(), action_form=ActionForm())


@bp.route("/<int:project_id>/contract-lines", methods=["POST"])
@login_required
def add_line(project_id: int):
    project = org_get_or_404(Project, project_id)
    form = _line_form()
    if form.validate_on_submit():
        org_id = current_user.organization_id
        service_type = org_get(ServiceType, org_id, form.service_type_id.data) or abort(400)
        line = ContractLine(
            project=project,
            position=len(project.contract_lines) + 1,
            service_type=service_type,
            description=(form.description.data or "").strip(),
            rate=form.rate.data,
            gl_account=org_get(GLAccount, org_id, form.gl_account_id.data),
            tax_rate=org_get(TaxRate, org_id, form.tax_rate_id.data),
            class_label=(form.class_label.data or "").strip(),
        )
        db.session.add(line)
        db.session.commit()
        flash(f"Contract line {line.label} added.", "success")
    else:
        for field, errors in form.errors.items():
            flash(f"{field}: {'; '.join(errors)}", "error")
    return redirect(url_for("projects.edit", project_id=project.id))


@bp.route("/<int:project_id>/contract-lines/<int:line_id>", methods=["GET", "POST"])
@login_required
def edit_line(project_id: int, line_id: int):
    """Change a contract line's rate, GL override, tax rate or class label (new invoices only:
    existing invoice lines keep what they were created with, except their GL/class lookup)."""
    project = org_get_or_404(Project, project_id)
    line = db.session.get(ContractLine, line_id)
    if line is None or line.project_id != project.id:
        abort(404)
    form = _line_form(obj=line)
    if not form.is_submitted():
        form.gl_account_id.data = line.gl_account_id or 0
        form.tax_rate_id.data = line.tax_rate_id or 0
    form.submit.label.text = "Save contract line"
    if form.validate_on_submit():
        org_id = current_user.organization_id
        line.service_type = org_get(ServiceType, org_id, form.service_type_id.data) or abort(400)
        line.description = (form.description.data or "").strip()
        line.rate = form.rate.data
        line.gl_account = org_get(GLAccount, org_id, form.gl_account_id.data)
        line.tax_rate = org_get(TaxRate, org_id, form.tax_rate_id.data)
        line.class_label = (form.class_label.data or "").strip()
        db.session.commit()
        flash(f"Contract line {line.label} saved.", "success")
        return redirect(url_for("projects.edit", project_id=project.id))
    return render_template("projects/contract_line.html", project=project, line=line,
                           line_form=form)


@bp.route("/<int:project_id>/contract-lines/<int:line_id>/delete", methods=["POST"])
@login_required
def delete_line(project_id: int, line_id: int):
    project = org_get_or_404(Project, project_id)
    line = db.session.get(ContractLine, line_id)
    if line is None or line.project_id != project.id:
        abort(404)
    if ActionForm().validate_on_submit():
        used = db.session.execute(
            sa.select(sa.func.count(InvoiceLine.id)).where(InvoiceLine.contract_line_id == line.id)
        ).scalar()
        if used:
            flash("This contract line is used by invoices and cannot be removed.", "error")
        else:
            db.session.delete(line)
            db.session.commit()
            flash("Contract line removed.", "success")
    return redirect(url_for("projects.edit", project_id=project.id))


def _project_form(obj=None) -> ProjectForm:
    org_id = current_user.organization_id
    form = ProjectForm(obj=obj)
    form.client_id.choices = choices(org_rows(Client, org_id, Client.name))
    form.business_unit_id.choices = choices(org_rows(BusinessUnit, org_id, BusinessUnit.name))
    return form


def _line_form(obj=None) -> ContractLineForm:
    org_id = current_user.organization_id
    form = ContractLineForm(obj=obj)
    form.service_type_id.choices = choices(
        org_rows(ServiceType, org_id, ServiceType.name, active_only=True))
    form.gl_account_id.choices = choices(
        org_rows(GLAccount, org_id, GLAccount.code, active_only=True),
        label=lambda a: a.label, blank="(service type default)")
    form.tax_rate_id.choices = choices(
        org_rows(TaxRate, org_id, TaxRate.name, active_only=True),
        label=lambda t: t.label, blank="(no tax)")
    return form


def _save(form: ProjectForm, project: Project) -> bool:
    org_id = current_user.organization_id
    client = org_get(Client, org_id, form.client_id.data)
    unit = org_get(BusinessUnit, org_id, form.business_unit_id.data)
    if client is None or unit is None:
        abort(400)
    project.name = form.name.data.strip()
    project.client = client
    project.business_unit = unit
    project.due_days = form.due_days.data
    project.active = bool(form.active.data)
    db.session.add(project)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append("A project with this name already exists.")
        return False
    return True

