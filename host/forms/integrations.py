"""Forms of the integrations pages (most are CSRF-only actions; settings forms come from the
provider, see ``host.forms.provider_settings``)."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A POST that carries only the CSRF token (connect, disconnect, save mappings ...)."""
