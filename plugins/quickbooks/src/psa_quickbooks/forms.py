"""The QuickBooks settings form (setup wizard's Test Connection step and the Manage page).

Fields (stored on the connection, read back by the hooks from ``connection.settings``):

``default_item``   the product/service for lines whose service type maps to nothing
``non_us``         the company is outside the US (a tax code on every line); prefilled from
                   the company's country, with a warning when the choice contradicts it
``auto_send``      email each pushed invoice to the client through QuickBooks
``use_classes``    send contract-line classes as QuickBooks classes (needs class tracking in
                   QuickBooks; without it each invoice's record says which classes were not
                   booked)
``untaxed_tax_code`` non-US: the tax code for lines without a tax rate
"""

from __future__ import annotations

from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Optional

from hookspecs import ProviderError
from host.forms.provider_settings import ProviderSettingsForm


class QuickBooksSettingsForm(ProviderSettingsForm):
    default_item = SelectField(
        "Default product/service", validators=[DataRequired()],
        description="Used for lines whose service type has no product/service of the same "
                    "name or SKU in QuickBooks (and no mapping).")
    non_us = BooleanField("Company is outside the US (VAT / GST: a tax code on every line)")
    auto_send = BooleanField("Automatically send invoice to the customer")
    use_classes = BooleanField("Use class mapping (contract line class to QuickBooks class)")
    untaxed_tax_code = SelectField(
        "Tax code for untaxed lines (non-US companies)", validators=[Optional()],
        description="Lines without a tax rate need a QuickBooks tax code too outside the US "
                    "(for example the zero-rated or exempt code).")

    def fill_choices(self) -> None:
        self.default_item.choices = self.choices_from("default_item")
        self.untaxed_tax_code.choices = self.choices_from("tax_code", blank="— none —")
        self._describe_country()

    def _describe_country(self) -> None:
        """Say what QuickBooks reports, and warn when the choice contradicts it."""
        from .api import QboClient
        from .company import load

        if self.connection is None or not getattr(self.connection, "tenant_id", None):
            return
        try:
            company = load(QboClient(self.connection))
        except ProviderError:
            return
        where = "outside the US" if company.non_us else "in the US"
        text = f"QuickBooks reports {company.name} in {company.country or '?'} ({where})."
        if self.non_us.data is not None and bool(self.non_us.data) != company.non_us:
            text += (" Warning: your choice contradicts the company's country; invoices will "
                     "be refused (US companies take TAX/NON on lines, others a tax code per "
                     "line) unless QuickBooks is wrong.")
        self.non_us.description = text
        if not company.class_per_line:
            self.use_classes.description = (
                "Class tracking per line is off in QuickBooks, so classes are not booked per "
                "line; with this on, each invoice's sync record says which classes were not "
                "booked (untick it if classes should not go to QuickBooks).")


def settings_form(connection, formdata=None):
    return QuickBooksSettingsForm.for_connection(connection, formdata)
