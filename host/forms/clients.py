from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from host.forms.validators import Checked, PlainEmail
from host.services import validation


class ClientForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    billing_contact_name = StringField("Billing contact", validators=[Optional(), Length(max=200)])
    billing_email = EmailField(
        "Billing email", validators=[Optional(), PlainEmail(), Length(max=254)])
    currency = StringField(
        "Currency (blank: organization's)",
        validators=[Optional(), Regexp(r"^[A-Za-z]{3}$", message="Three letters, e.g. USD.")])
    tax_number = StringField(
        "Tax number (VAT / tax registration)",
        validators=[Optional(), Checked(validation.text, max_length=50)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")
