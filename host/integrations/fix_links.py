"""The ``fix_links`` Jinja filter: a fix text that names a page of the integration ("map it on
the Manage page", "on the Xero reconciliation page", "in the Tax rates table") gets that name as
a link to the page, for the connection the fix is about. Plugins write plain text
(``ProviderError.fix``, ``Check.fix``); the host turns the page names into links here, once,
wherever fixes are shown (sync panel, sync overview, Test results). Admins only: the pages
linked are admin pages.
"""

from __future__ import annotations

import re

from flask import url_for
from flask_login import current_user
from markupsafe import Markup, escape

from host.integrations.registry import get_registry

#: page name (as plugins write it, any case) -> endpoint of that page
PAGES = {
    "manage page": "integrations.manage",
    "reconciliation page": "integrations.reconciliation",
    "sync overview": "sync.overview",
}


def _targets(connection) -> dict[str, str]:
    """lower-cased phrase -> URL: the pages, and each mapping table ("Tax rates table") of the
    connection's provider as an anchor on its Manage page."""
    targets = {name: url_for(endpoint, connection_id=connection.id)
               for name, endpoint in PAGES.items()}
    info = get_registry().get(connection.provider_key)
    manage = targets["manage page"]
    for kind in info.mapping_kinds if info else ():
        targets[f"{kind.label} table".lower()] = f"{manage}#mapping-{kind.key}"
    return targets


def fix_links(text: str | None, connection) -> Markup:
    """``text`` escaped, each page name in it a link to ``connection``'s page."""
    if not text:
        return Markup("")
    escaped = str(escape(text))
    if connection is None or not getattr(current_user, "is_admin", False):
        return Markup(escaped)
    targets = {str(escape(phrase)).lower(): href for phrase, href in _targets(connection).items()}
    pattern = re.compile("|".join(re.escape(p) for p in sorted(targets, key=len, reverse=True)),
                         re.IGNORECASE)

    def link(match: re.Match) -> str:
        href = targets[match.group(0).lower()]
        return f'<a class="fix-link" href="{escape(href)}">{match.group(0)}</a>'

    return Markup(pattern.sub(link, escaped))
