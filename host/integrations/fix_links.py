"""The ``fix_links`` Jinja filter: a fix text that names a page of the integration ("map it on
the Manage page", "on the Xero reconciliation page") gets that page's name as a link to it,
for the connection the fix is about. Plugins write plain text (``ProviderError.fix``,
``Check.fix``); the host turns the page names into links here, once, wherever fixes are shown
(sync panel, sync overview, Test results). Admins only: the pages linked are admin pages.
"""

from __future__ import annotations

import re

from flask import url_for
from flask_login import current_user
from markupsafe import Markup, escape

#: page name (as plugins write it, any case) -> endpoint of that page
PAGES = {
    "manage page": "integrations.manage",
    "reconciliation page": "integrations.reconciliation",
    "sync overview": "sync.overview",
}
_PATTERN = re.compile("|".join(re.escape(name) for name in PAGES), re.IGNORECASE)


def fix_links(text: str | None, connection) -> Markup:
    """``text`` escaped, each page name in it a link to ``connection``'s page."""
    if not text:
        return Markup("")
    escaped = str(escape(text))
    if connection is None or not getattr(current_user, "is_admin", False):
        return Markup(escaped)

    def link(match: re.Match) -> str:
        endpoint = PAGES[match.group(0).lower()]
        href = url_for(endpoint, connection_id=connection.id)
        return f'<a class="fix-link" href="{escape(href)}">{match.group(0)}</a>'

    return Markup(_PATTERN.sub(link, escaped))
