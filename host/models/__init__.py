"""Host models, one concept per module. Importing this package registers every table."""

from host.models.business_unit import BusinessUnit
from host.models.connection import Connection
from host.models.organization import Organization
from host.models.user import User

__all__ = ["BusinessUnit", "Connection", "Organization", "User"]
