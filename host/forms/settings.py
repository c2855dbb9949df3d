from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, IntegerField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from host.forms.validators import Checked
from host.models.mixins import Money
from host.services import validation


class GLAccountForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=30)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class InvoiceSettingsForm(FlaskForm):
    default_due_days = IntegerField(
        "Default due days", validators=[InputRequired(), NumberRange(0, 365)])
    submit = SubmitField("Save")


class ServiceTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    sku = StringField("SKU", validators=[Optional(), Length(max=100)])
    default_gl_account_id = SelectField("Default GL account", coerce=int)
    unit_price = DecimalField(
        "Unit price (blank: none)", places=2,
        validators=[Optional(), Checked(validation.number, column=Money, minimum=0)])
    description = TextAreaField(
        "Sales description", validators=[Optional(), Checked(validation.text, max_length=1000)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class TaxRateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    rate = DecimalField("Rate (%)", places=4, validators=[InputRequired(), Checked(validation.percent)])
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class ApiTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
    submit = SubmitField("Create token")
