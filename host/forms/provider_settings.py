"""ProviderSettingsForm: the base class of every provider's settings form.

A plugin declares ``ProviderInfo.settings_form = factory`` where ``factory(connection, formdata)``
returns an instance of a subclass. The host renders it (setup wizard, Manage page), validates
it with CSRF, and stores :meth:`settings_data` as JSON on the connection; the plugin reads the
values back from ``connection.settings``. Example::

    class SettingsForm(ProviderSettingsForm):
        default_item = SelectField("Default product/service", validators=[DataRequired()])
        non_us = BooleanField("Company is outside the US")

        def fill_choices(self):
            self.default_item.choices = self.choices_from("item")

        def validate_non_us(self, field):      # cross-field checks: WTForms validate_<field>
            ...

    def settings_form(connection, formdata=None):
        return SettingsForm.for_connection(connection, formdata)

Never put secrets in a settings form: tokens are the host's business.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from flask_wtf import FlaskForm

#: Field names the host manages itself and never stores as provider settings.
HOST_FIELDS = frozenset({"csrf_token", "submit"})


class ProviderSettingsForm(FlaskForm):
    """Flask-WTF form bound to a connection handle (``self.connection``)."""

    connection: Any = None

    @classmethod
    def for_connection(cls, connection, formdata=None, **kwargs) -> "ProviderSettingsForm":
        """Build the form for ``connection``: values from ``formdata`` when posted, else from
        the saved ``connection.settings``. Calls :meth:`fill_choices` before returning."""
        data = dict(connection.settings) if connection is not None else {}
        form = cls(formdata=formdata, data=data, **kwargs)
        form.connection = connection
        form._choice_errors = {}
        form.fill_choices()
        return form

    def fill_choices(self) -> None:
        """Override to set ``choices`` of select fields (called once per form instance)."""

    def choices_from(self, kind: str, blank: str | None = "— choose —") -> list[tuple[str, str]]:
        """``(external_id, label)`` pairs from the plugin's ``list_mapping_choices``.

        Provider errors, a failing plugin and a call over the web time limit do not break the
        page: the field gets no choices and :attr:`choice_errors` says why (rendered next to the
        field by the host).
        """
        from host.contract.errors import PluginFailure, ProviderError
        from host.integrations.dispatch import call_owner

        pairs: list[tuple[str, str]] = [("", blank)] if blank else []
        try:
            for choice in call_owner(self.connection, "list_mapping_choices", kind=kind):
                pairs.append((choice.external_id, choice.label))
        except (ProviderError, PluginFailure) as exc:
            self._choice_errors[kind] = exc.message
        return pairs

    @property
    def choice_errors(self) -> Mapping[str, str]:
        return getattr(self, "_choice_errors", {})

    def settings_data(self) -> dict[str, Any]:
        """The validated values as JSON-safe data (what the host stores on the connection)."""
        return {
            name: _json_safe(field.data)
            for name, field in self._fields.items()
            if name not in HOST_FIELDS and field.type not in ("SubmitField", "CSRFTokenField")
        }


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value
