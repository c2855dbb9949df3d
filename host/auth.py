"""Login manager wiring: how a session (or an API token) becomes ``current_user``."""

from __future__ import annotations

from host.extensions import db, login_manager
from host.models import User

login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))
