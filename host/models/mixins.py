"""Column helpers shared by host models."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


# Money: exact decimals, never floats. 2 places for amounts, 4 for rates and quantities.
# host.services.validation reads precision and scale from these to refuse what cannot fit.
Money = sa.Numeric(14, 2, asdecimal=True)
Quantity = sa.Numeric(14, 4, asdecimal=True)
#: Percent with up to 4 decimals (8.875 % US sales tax, 20 % VAT).
Percent = sa.Numeric(7, 4, asdecimal=True)
