from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from host.forms.common import option
from host.forms.validators import Checked
from host.services import validation


class NewInvoiceForm(FlaskForm):
    """Quantities per contract line come as ``qty-<contract line id>`` fields."""

    project_id = SelectField("Project", coerce=int, validators=[DataRequired()])
    issue_date = DateField("Issue date", validators=[DataRequired(), Checked(validation.day)])
    service_date = DateField("Service date", validators=[Optional(), Checked(validation.day)])
    memo = TextAreaField("Memo", validators=[Optional(), Length(max=validation.MEMO_MAX_LENGTH)])
    submit = SubmitField("Create draft invoice")


class EditInvoiceForm(FlaskForm):
    """Lines come as ``description-<id>``, ``quantity-<id>``, ``unit_price-<id>``,
    ``discount-<id>``, ``tax_rate-<id>`` fields keyed by the line id."""

    issue_date = DateField("Issue date", validators=[DataRequired(), Checked(validation.day)])
    memo = TextAreaField("Memo", validators=[Optional(), Length(max=validation.MEMO_MAX_LENGTH)])
    submit = SubmitField("Save changes")


class PaymentForm(FlaskForm):
    amount = DecimalField("Amount", places=2, validators=[
        InputRequired(), Checked(validation.money, positive=True)])
    date = DateField("Date", validators=[DataRequired(), Checked(validation.day)])
    reference = StringField("Reference", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Record payment")


class CreditNoteForm(FlaskForm):
    """Line quantities come as ``credit-<invoice line id>`` fields when ``mode`` is lines."""

    mode = RadioField("Credit", choices=[option("lines", "Invoice lines"),
                                         option("amount", "An amount")], default="lines")
    amount = DecimalField("Amount", places=2, validators=[
        Optional(), Checked(validation.money, positive=True)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=validation.MEMO_MAX_LENGTH)])
    submit = SubmitField("Issue credit note")
