"""The Xero settings form (setup step, Manage page; the revenue account also on Settings >
Financials > GL Accounts).

Fields (stored as ``connection.settings``):

``default_revenue_account``  Xero account *code* of an ACTIVE REVENUE-class account; lines whose
                             GL account is not mapped book here.
``auto_send``                email each pushed invoice to the customer through Xero
                             (``POST /Invoices/{id}/Email``) when the contact has an email.
``tracking_category``        optional TrackingCategoryID: unmapped contract-line classes use the
                             option with the same name in this category.
``bank_account_code``        optional Xero bank account code that payments recorded in the PSA
                             are booked to (``on_payment``); without it they are not pushed.
"""

from __future__ import annotations

from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, ValidationError

from host.forms.provider_settings import ProviderSettingsForm


class XeroSettingsForm(ProviderSettingsForm):
    default_revenue_account = SelectField(
        "Default revenue account", validators=[DataRequired()], validate_choice=False,
        description="Xero account code (an active revenue account) for lines whose GL account "
                    "is not mapped. A contract line's own GL account, when mapped, wins.")
    auto_send = BooleanField(
        "Automatically send invoice to the customer",
        description="Xero emails each invoice to the contact's email address when it is "
                    "pushed. Credit notes are never sent.")
    tracking_category = SelectField(
        "Tracking category for contract-line classes", validate_choice=False,
        description="Optional. A class without a tracking mapping uses the option with the "
                    "same name in this category.")
    bank_account_code = SelectField(
        "Bank account for payments recorded in the PSA", validate_choice=False,
        description="Optional. Payments recorded in the PSA are booked to this Xero bank "
                    "account; leave empty to record them in Xero yourself.")

    def fill_choices(self) -> None:
        self.default_revenue_account.choices = self.choices_from("default_revenue_account")
        self.tracking_category.choices = self.choices_from("tracking_category", blank="— none —")
        self.bank_account_code.choices = self.choices_from("bank_account", blank="— none —")
        self._offered = {
            name: {value for value, _ in getattr(self, name).choices if value}
            for name in ("default_revenue_account", "tracking_category", "bank_account_code")
        }

    def _check_offered(self, field, what: str, describe) -> None:
        value = (field.data or "").strip()
        if not value:
            return
        offered = self._offered.get(field.name, set())
        if self.choice_errors and not offered:
            # Xero could not be asked: the page already shows why; keep the saved value.
            return
        if value not in offered:
            raise ValidationError(describe(value) or f"{value!r} is not {what} in Xero.")

    def validate_default_revenue_account(self, field) -> None:
        from .lookups import describe_account

        self._check_offered(field, "an active revenue account",
                            lambda code: describe_account(self.connection, code))

    def validate_tracking_category(self, field) -> None:
        self._check_offered(field, "an active tracking category", lambda _v: "")

    def validate_bank_account_code(self, field) -> None:
        self._check_offered(field, "an active bank account", lambda _v: "")


def settings_form(connection, formdata=None):
    return XeroSettingsForm.for_connection(connection, formdata)
