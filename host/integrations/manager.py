"""Builds the pluggy plugin manager for an app (filled in by the integrations work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    app.extensions.setdefault("psa", None)
