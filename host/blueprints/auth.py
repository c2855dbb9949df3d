"""Password login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from host.extensions import db
from host.forms.auth import LoginForm
from host.models import User

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            db.select(User).filter_by(email=form.email.data.strip().lower())
        ).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data):
            flash("Wrong email or password.", "error")
        else:
            login_user(user)
            target = request.args.get("next", "")
            if not target.startswith("/") or urlsplit(target).netloc:
                target = url_for("home.index")
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
