"""An offline Xero: identity, connections, the Accounting API, webhooks, pages and a control API.

``flask --app psa_xero.sandbox run --port 5055``. See ``plugins/xero/README.md`` (Sandbox).
"""

from .app import XeroSandbox, create_app
from .seed import MC_TENANT_ID, NZ_TENANT_ID, TENANT_IDS, UK_TENANT_ID, US_TENANT_ID
from .state import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

__all__ = ["DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "MC_TENANT_ID", "NZ_TENANT_ID", "TENANT_IDS",
           "UK_TENANT_ID", "US_TENANT_ID", "XeroSandbox", "create_app"]
