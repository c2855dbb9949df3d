"""LoginFailure: consecutive wrong passwords for one key (an account or a client address).

``key`` is ``"account:<email>"`` or ``"address:<ip>"``; ``failures`` counts the wrong passwords in
a row, each within the window of the one before (``last_failed_at``). See
``host.security.login_throttle``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db


class LoginFailure(db.Model):
    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)

    def __repr__(self) -> str:
        return f"<LoginFailure {self.key} {self.failures}>"
