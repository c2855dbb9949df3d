"""The top navigation: (endpoint, label, admin_only)."""

NAV_ITEMS = (
    ("invoices.index", "Invoices", False),
    ("clients.index", "Clients", False),
    ("projects.index", "Projects", False),
    ("settings.index", "Settings", True),
)


def inject_nav():
    return {"nav_items": NAV_ITEMS}
