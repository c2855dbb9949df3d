"""Test data for domain and API tests: a small catalog on top of the ``org`` fixture."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Catalog:
    org_id: int
    business_unit_id: int
    gl_consulting: int
    gl_support: int
    st_consulting: int
    st_support: int
    tax_ny: int
    tax_zero: int
    client_id: int
    project_id: int
    cl_consulting: int
    cl_support: int


def make_catalog(app, org, *, due_days=None, client_name="Globex", billing_email="ap@globex.test"):
    """GL accounts, service types, tax rates, a client and a project with two contract lines:
    consulting 150.00/h taxed 8.875 % with a GL override and class "Advisory", and support
    80.00 untaxed on the service type's default account."""
    from host.extensions import db
    from host.models import (
        Client, ContractLine, GLAccount, Project, ServiceType, TaxRate,
    )

    with app.app_context():
        gl_c = GLAccount(organization_id=org.id, code="4000", name="Consulting revenue")
        gl_s = GLAccount(organization_id=org.id, code="4100", name="Support revenue")
        gl_o = GLAccount(organization_id=org.id, code="4050", name="Advisory revenue")
        st_c = ServiceType(organization_id=org.id, name="Consulting", sku="CONS", default_gl_account=gl_c)
        st_s = ServiceType(organization_id=org.id, name="Support", sku="SUPP", default_gl_account=gl_s)
        tax = TaxRate(organization_id=org.id, name="NY sales tax", rate=Decimal("8.875"))
        zero = TaxRate(organization_id=org.id, name="Zero", rate=Decimal("0"))
        client = Client(organization_id=org.id, name=client_name,
                        billing_contact_name="Hank Scorpio", billing_email=billing_email)
        project = Project(organization_id=org.id, name=f"{client_name} rollout", client=client,
                          business_unit_id=org.business_unit_ids[0], due_days=due_days)
        cl_c = ContractLine(project=project, position=1, service_type=st_c, rate=Decimal("150.00"),
                            gl_account=gl_o, tax_rate=tax, class_label="Advisory",
                            description="Senior consulting")
        cl_s = ContractLine(project=project, position=2, service_type=st_s, rate=Decimal("80.00"))
        db.session.add_all([gl_c, gl_s, gl_o, st_c, st_s, tax, zero, client, project, cl_c, cl_s])
        db.session.commit()
        return Catalog(org.id, org.business_unit_ids[0], gl_c.id, gl_s.id, st_c.id, st_s.id,
                       tax.id, zero.id, client.id, project.id, cl_c.id, cl_s.id)


def csrf_from(client, url: str) -> str:
    """The CSRF token rendered on ``url`` (the base layout's meta tag)."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, page: str | None = None):
    """POST ``data`` with the CSRF token read from ``page`` (default: ``url``)."""
    token = csrf_from(client, page or url)
    return client.post(url, data={**data, "csrf_token": token})
