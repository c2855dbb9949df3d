"""Host models, one concept per module. Importing this package registers every table."""

from host.models.api_token import ApiToken
from host.models.business_unit import BusinessUnit
from host.models.client import Client
from host.models.connection import Connection
from host.models.contract_line import ContractLine
from host.models.credit_note import CreditNote, CreditNoteLine
from host.models.external_ref import ConnectionMapping, ExternalRefRow
from host.models.gl_account import GLAccount
from host.models.idempotency_key import IdempotencyKey
from host.models.invoice import Invoice, InvoiceLine
from host.models.login_failure import LoginFailure
from host.models.oauth_authorization import OAuthAuthorization
from host.models.organization import Organization
from host.models.payment import Payment
from host.models.project import Project
from host.models.rate_limit import ConcurrencyLease, RateLimitBucket
from host.models.service_type import ServiceType
from host.models.tax_rate import TaxRate
from host.models.user import User
from host.models.sync_link import SyncLink, SyncLinkEvent
from host.models.sync_object import SyncObjectSetting
from host.models.sync_record import SyncEvent, SyncRecord
from host.models.webhook_delivery import WebhookDelivery

__all__ = [
    "ApiToken", "BusinessUnit", "Client", "Connection", "ContractLine", "CreditNote",
    "CreditNoteLine", "GLAccount", "IdempotencyKey", "Invoice", "InvoiceLine", "LoginFailure",
    "OAuthAuthorization", "Organization", "Payment", "Project", "ServiceType", "TaxRate",
    "User",
    "ConcurrencyLease", "ConnectionMapping", "ExternalRefRow", "RateLimitBucket",
    "SyncEvent", "SyncLink", "SyncLinkEvent", "SyncObjectSetting", "SyncRecord",
    "WebhookDelivery",
]
