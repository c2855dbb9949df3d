"""Form helpers shared by the domain pages."""

from flask_wtf import FlaskForm

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


class ActionForm(FlaskForm):
    """A POST button (approve, send, void, delete ...): only the CSRF token."""


def option(value, label):
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


def choices(rows, label=lambda r: r.name, blank: str | None = None):
    """SelectField choices from model rows; ``blank`` adds a leading "none" option (value 0)."""
    items = [option(row.id, label(row)) for row in rows]
    return ([option(0, blank)] if blank is not None else []) + items
