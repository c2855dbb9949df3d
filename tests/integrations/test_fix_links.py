"""``fix_links``: page names in a fix become links for admins; the rest stays escaped text."""

from flask_login import login_user

from host.extensions import db
from host.integrations.fix_links import fix_links
from host.models import User


def _render(app, org, connection, text, email):
    with app.test_request_context("/"):
        login_user(db.session.scalars(db.select(User).filter_by(email=email)).one())
        return str(fix_links(text, connection))


def test_page_and_table_names_link_for_admins_and_text_stays_escaped(app, org,
                                                                     connection_factory):
    conn = connection_factory()
    text = "Map <b>VAT</b> in the Tax codes table on the manage page & the Reconciliation page."
    html = _render(app, org, conn, text, org.admin_email)
    base = f"/settings/integrations/connections/{conn.id}"
    assert html == (
        "Map &lt;b&gt;VAT&lt;/b&gt; in the "
        f'<a class="fix-link" href="{base}#mapping-tax_code">Tax codes table</a> on the '
        f'<a class="fix-link" href="{base}">manage page</a> &amp; the '
        f'<a class="fix-link" href="{base}/reconciliation">Reconciliation page</a>.')
    member = _render(app, org, conn, text, org.member_email)
    assert member == ("Map &lt;b&gt;VAT&lt;/b&gt; in the Tax codes table on the manage page "
                      "&amp; the Reconciliation page.")
    assert _render(app, org, conn, None, org.admin_email) == ""
