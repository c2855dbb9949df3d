"""Pure mappers from the host's snapshot types to QuickBooks Online v3 JSON payloads (no I/O).

Money is Decimal in and a two-decimal JSON number out (``Decimal -> str -> float`` in
``_common.money``). Line discounts are folded into the line's net amount and unit price rather
than sent as a ``DiscountLineDetail`` (see ``_common.sales_line``).
"""

from ._common import ResolvedRefs, money
from .credit_memo import credit_memo_payload
from .customer import customer_payload, sanitize_display_name, unique_display_name
from .invoice import invoice_payload
from .payment import payment_payload

__all__ = [
    "ResolvedRefs",
    "credit_memo_payload",
    "customer_payload",
    "invoice_payload",
    "money",
    "payment_payload",
    "sanitize_display_name",
    "unique_display_name",
]
