from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from host.forms.common import option


class NewInvoiceForm(FlaskForm):
    """Quantities per contract line come as ``qty-<contract line id>`` fields."""

    project_id = SelectField("Project", coerce=int, validators=[DataRequired()])
    issue_date = DateField("Issue date", validators=[DataRequired()])
    service_date = DateField("Service date", validators=[Optional()])
    memo = TextAreaField("Memo", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Create draft invoice")


class EditInvoiceForm(FlaskForm):
    """Lines come as ``description-<id>``, ``quantity-<id>``, ``unit_price-<id>``,
    ``discount-<id>``, ``tax_rate-<id>`` fields keyed by the line id."""

    issue_date = DateField("Issue date", validators=[DataRequired()])
    memo = TextAreaField("Memo", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save changes")


class PaymentForm(FlaskForm):
    amount = DecimalField("Amount", places=2, validators=[InputRequired(), NumberRange(min=0.01)])
    date = DateField("Date", validators=[DataRequired()])
    reference = StringField("Reference", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Record payment")


class CreditNoteForm(FlaskForm):
    """Line quantities come as ``credit-<invoice line id>`` fields when ``mode`` is lines."""

    mode = RadioField("Credit", choices=[option("lines", "Invoice lines"),
                                         option("amount", "An amount")], default="lines")
    amount = DecimalField("Amount", places=2, validators=[Optional(), NumberRange(min=0.01)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Issue credit note")
