"""Demo data: the "Northwind Consulting" organization (``seed_demo(app)``), safe to run twice.

Two business units (US, UK), an admin and a member, GL accounts, service types with SKUs, tax
rates (US sales tax 8.875 %, UK VAT 20 %, zero), clients with billing emails (one without),
projects with contract lines and due days, and a few draft and approved invoices. Every row is
looked up by its natural key before it is created, so a second run changes nothing.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

ORG_NAME = "Northwind Consulting"
ADMIN_EMAIL = "admin@northwind.test"
MEMBER_EMAIL = "member@northwind.test"
DEFAULT_PASSWORD = "northwind-demo"

GL_ACCOUNTS = [
    ("4000", "Consulting Revenue"), ("4100", "Support Revenue"), ("4200", "Training Revenue"),
    ("4300", "Reimbursed Expenses"), ("4900", "Other Income"),
]
SERVICE_TYPES = [  # name, sku, default GL code
    ("Consulting", "CONS-HR", "4000"), ("Support retainer", "SUPP-MO", "4100"),
    ("Training", "TRAIN-DAY", "4200"), ("Expenses", "EXP", "4300"),
]
TAX_RATES = [("US Sales Tax (NY)", "8.875"), ("UK VAT 20%", "20"), ("Zero rated", "0")]
CLIENTS = [  # name, contact, email, currency
    ("Contoso Ltd", "Jane Doe", "ap@contoso.test", ""),
    ("Fabrikam Inc", "Bob Kelly", "billing@fabrikam.test", ""),
    ("Tailspin Toys UK", "Olivia Brown", "accounts@tailspin.test", "GBP"),
    ("Woodgrove Bank", "Sam Reed", "", ""),  # no billing email: cannot be emailed
]
PROJECTS = [  # name, client, business unit, due days, lines (service, rate, tax, GL override, class)
    ("Contoso ERP rollout", "Contoso Ltd", "Northwind US", 15, [
        ("Consulting", "175.00", "US Sales Tax (NY)", None, "Implementation"),
        ("Training", "1200.00", "US Sales Tax (NY)", "4900", "Enablement"),
    ]),
    ("Fabrikam managed support", "Fabrikam Inc", "Northwind US", None, [
        ("Support retainer", "2500.00", "Zero rated", None, "Support"),
    ]),
    ("Tailspin UK advisory", "Tailspin Toys UK", "Northwind UK", 30, [
        ("Consulting", "140.00", "UK VAT 20%", None, "Advisory"),
        ("Expenses", "1.00", "Zero rated", None, "Advisory"),
    ]),
    ("Woodgrove risk audit", "Woodgrove Bank", "Northwind US", 45, [
        ("Consulting", "210.00", "Zero rated", None, "Audit"),
    ]),
]
INVOICES = [  # project, {service type: quantity}, approve?
    ("Contoso ERP rollout", {"Consulting": "12", "Training": "1"}, True),
    ("Fabrikam managed support", {"Support retainer": "1"}, True),
    ("Tailspin UK advisory", {"Consulting": "8.5", "Expenses": "236.40"}, False),
    ("Woodgrove risk audit", {"Consulting": "20"}, True),
    ("Contoso ERP rollout", {"Consulting": "6"}, False),
]


def seed_demo(app, password: str | None = None) -> dict:
    """Create (or complete) the demo organization; returns ids and the logins to print."""
    password = password or os.environ.get("PSA_DEMO_PASSWORD") or DEFAULT_PASSWORD
    with app.app_context():
        return _seed(password)


def _seed(password: str) -> dict:
    from host.extensions import db
    from host.models import (
        BusinessUnit, Client, ContractLine, GLAccount, Invoice, Organization, Project,
        ServiceType, TaxRate, User,
    )
    from host.services import invoicing

    def one(model, **where):
        return db.session.execute(sa.select(model).filter_by(**where)).scalars().first()

    def get_or_add(model, defaults=None, **where):
        row = one(model, **where)
        if row is None:
            row = model(**where, **(defaults or {}))
            db.session.add(row)
            db.session.flush()
        return row

    org = get_or_add(Organization, {"currency": "USD", "default_due_days": 30}, name=ORG_NAME)
    units = {name: get_or_add(BusinessUnit, organization_id=org.id, name=name)
             for name in ("Northwind US", "Northwind UK")}
    users = {}
    for email, role, name in ((ADMIN_EMAIL, "admin", "Nora Admin"),
                              (MEMBER_EMAIL, "member", "Milo Member")):
        user = one(User, email=email)
        if user is None:
            user = User(organization_id=org.id, email=email, name=name, role=role)
            user.set_password(password)
            db.session.add(user)
        users[role] = user
    gl = {code: get_or_add(GLAccount, {"name": name}, organization_id=org.id, code=code)
          for code, name in GL_ACCOUNTS}
    services = {
        name: get_or_add(ServiceType, {"sku": sku, "default_gl_account_id": gl[code].id},
                         organization_id=org.id, name=name)
        for name, sku, code in SERVICE_TYPES
    }
    taxes = {name: get_or_add(TaxRate, {"rate": Decimal(rate)}, organization_id=org.id, name=name)
             for name, rate in TAX_RATES}
    clients = {
        name: get_or_add(Client, {"billing_contact_name": contact, "billing_email": email,
                                  "currency": currency}, organization_id=org.id, name=name)
        for name, contact, email, currency in CLIENTS
    }
    projects = {}
    for name, client, unit, due_days, lines in PROJECTS:
        project = get_or_add(Project, {"client_id": clients[client].id,
                                       "business_unit_id": units[unit].id, "due_days": due_days},
                             organization_id=org.id, name=name)
        if not project.contract_lines:
            for position, (service, rate, tax, gl_code, label) in enumerate(lines, start=1):
                project.contract_lines.append(ContractLine(
                    position=position, service_type=services[service], rate=Decimal(rate),
                    tax_rate=taxes[tax], gl_account=gl[gl_code] if gl_code else None,
                    class_label=label))
        projects[name] = project
    db.session.flush()

    has_invoices = db.session.execute(
        sa.select(sa.func.count(Invoice.id)).where(Invoice.organization_id == org.id)).scalar()
    if not has_invoices:
        today = date.today()
        for offset, (project_name, quantities, approve) in enumerate(INVOICES):
            project = projects[project_name]
            by_service = {cl.service_type.name: cl.id for cl in project.contract_lines}
            invoice = invoicing.create_invoice_from_project(
                project, {by_service[s]: q for s, q in quantities.items()},
                issue_date=today - timedelta(days=2 * (len(INVOICES) - offset)),
                service_date=today - timedelta(days=7), created_by=users["admin"], commit=False)
            db.session.flush()
            if approve:
                invoicing.approve(invoice, commit=False)
    db.session.commit()

    invoices = db.session.execute(
        sa.select(Invoice).where(Invoice.organization_id == org.id).order_by(Invoice.sequence)
    ).scalars().all()
    return {
        "organization_id": org.id,
        "organization": org.name,
        "admin_email": ADMIN_EMAIL,
        "member_email": MEMBER_EMAIL,
        "password": password,
        "business_units": {name: unit.id for name, unit in units.items()},
        "clients": {name: c.id for name, c in clients.items()},
        "projects": {name: p.id for name, p in projects.items()},
        "invoices": {inv.number: inv.status for inv in invoices},
        "created_invoices": not has_invoices,
    }
