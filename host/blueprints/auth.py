"""Password login and logout, and each user's API tokens page."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from host.extensions import db
from host.forms.auth import LoginForm
from host.forms.common import ActionForm
from host.forms.settings import ApiTokenForm
from host.models import ApiToken, User
from host.security import login_throttle
from host.security.redirects import redirect_back
from host.services.api_tokens import create_token, revoke_token

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email, address = form.email.data.strip().lower(), request.remote_addr
        wait = login_throttle.retry_after(email, address)
        if wait is not None:
            return render_template(
                "auth/login.html", form=form,
                throttled=f"Too many wrong passwords. Try again in {_duration(wait)}."
            ), 429, {"Retry-After": str(wait)}
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data):
            login_throttle.record_failure(email, address)
            flash("Wrong email or password.", "error")
        else:
            login_throttle.record_success(email)
            login_user(user)
            return redirect_back(url_for("home.index"), request.args.get("next"))
    return render_template("auth/login.html", form=form)


def _duration(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds > 60 else \
        f"{seconds} second{'s' if seconds != 1 else ''}"


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """Create a token (its value is shown once), list and revoke one's own tokens."""
    form = ApiTokenForm()
    plaintext = None
    if form.validate_on_submit():
        _row, plaintext = create_token(current_user, form.name.data)
        form = ApiTokenForm(formdata=None)
    tokens = db.session.execute(
        db.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.id.desc())
    ).scalars().all()
    return render_template("auth/api_tokens.html", form=form, tokens=tokens,
                           plaintext=plaintext, action_form=ActionForm())


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    if ActionForm().validate_on_submit():
        revoke_token(row)
        flash(f"Token {row.name} revoked.", "success")
    return redirect(url_for("auth.api_tokens"))
